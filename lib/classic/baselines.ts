/**
 * The classic family's yardsticks: what counting scores on the token labels of the held-out
 * windows, the same labels the model's `val_loss` averages over. The unigram counts the
 * training windows' labels; the n-gram counts the training files' token sequences and
 * predicts each label from the tokens before it in its window (`windowBaselines` in
 * `lib/train/baseline.ts`).
 *
 * @module
 */
import { type HeldOutBaselines, windowBaselines } from "../train/baseline.ts";
import type { ClassicWindowIndex } from "./windows.ts";

/**
 * The unigram and n-gram cross-entropies (nats) of the held-out windows' label tokens over
 * the whole vocabulary, compared with `val_loss`. The n-gram counts each of
 * `train.sequences` on its own (one per file; a `crossFiles` index joins the files into
 * one) and chooses its order and smoothing on them alone. Computed once per pair of indexes
 * (later calls return the same object).
 *
 * @param train windows of the training files (not changed)
 * @param validation windows of the held-out files (not changed), or `null`
 * @returns `null` when nothing is held out
 */
export function classicBaselines(
  train: ClassicWindowIndex,
  validation: ClassicWindowIndex | null,
): HeldOutBaselines | null {
  return windowBaselines(train, validation, {
    classes: train.vocabSize,
    compareWith: "val_loss",
    label: "token",
  });
}
