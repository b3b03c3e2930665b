/**
 * The tutorial family's yardsticks: what counting scores on the pitch labels of the
 * held-out windows, the same labels the model's `val_pitch_loss` averages over. The unigram
 * counts the training windows' label pitches; the n-gram counts the training files' pitch
 * sequences and predicts each label from the pitches before it in its window
 * (`windowBaselines` in `lib/train/baseline.ts`).
 *
 * @module
 */
import { type HeldOutBaselines, windowBaselines } from "../train/baseline.ts";
import { PITCHES } from "./model.ts";
import type { TutorialWindowIndex } from "./windows.ts";

/**
 * The unigram and n-gram cross-entropies (nats) of the held-out windows' label pitches,
 * compared with `val_pitch_loss`. The n-gram's order and smoothing are chosen on the
 * training files alone. Computed once per pair of indexes (later calls return the same
 * object).
 *
 * @param train windows of the training files (not changed)
 * @param validation windows of the held-out files (not changed)
 * @returns `null` when nothing is held out
 */
export function tutorialBaselines(
  train: TutorialWindowIndex,
  validation: TutorialWindowIndex,
): HeldOutBaselines | null {
  return windowBaselines(train, validation, {
    classes: PITCHES,
    compareWith: "val_pitch_loss",
    label: "pitch",
  });
}
