/**
 * The classic family's yardsticks: what counting scores on the token labels of the held-out
 * windows, the same labels the model's `val_loss` averages over. The unigram counts the
 * training windows' labels; the n-gram counts the training files' token sequences and
 * predicts each label from the tokens before it in its window.
 *
 * @module
 */
import type { HeldOutBaselines } from "../train/baseline.ts";
import { unigramCrossEntropy } from "../train/baseline.ts";
import { ngramCrossEntropy } from "../train/ngram.ts";
import { classicLabels, type ClassicWindowIndex } from "./windows.ts";

/** Results by training index, then held-out index: both are fixed once made. */
const CACHE = new WeakMap<ClassicWindowIndex, WeakMap<ClassicWindowIndex, HeldOutBaselines>>();

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
  if (validation == null || validation.count === 0) return null;
  const cached = CACHE.get(train)?.get(validation);
  if (cached) return cached;
  const classes = train.vocabSize;
  const { sequenceLength } = validation;
  const baselines: HeldOutBaselines = {
    compareWith: "val_loss",
    label: "token",
    classes,
    unigram: unigramCrossEntropy(
      { train: classicLabels(train), heldOut: classicLabels(validation) },
      { classes },
    ),
    ngram: ngramCrossEntropy({
      train: train.sequences,
      heldOut: {
        sequences: validation.sequences,
        sequence: validation.sequence,
        position: validation.offset.map((o) => o + sequenceLength),
      },
    }, { classes, maxContext: sequenceLength }),
  };
  if (!CACHE.has(train)) CACHE.set(train, new WeakMap());
  CACHE.get(train)!.set(validation, baselines);
  return baselines;
}
