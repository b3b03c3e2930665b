/**
 * The tutorial family's yardsticks: what counting scores on the pitch labels of the
 * held-out windows, the same labels the model's `val_pitch_loss` averages over. The unigram
 * counts the training windows' label pitches; the n-gram counts the training files' pitch
 * sequences and predicts each label from the pitches before it in its window.
 *
 * @module
 */
import type { HeldOutBaselines } from "../train/baseline.ts";
import { unigramCrossEntropy } from "../train/baseline.ts";
import { ngramCrossEntropy } from "../train/ngram.ts";
import { PITCHES } from "./model.ts";
import { tutorialLabels, type TutorialWindowIndex } from "./windows.ts";

/** Results by training index, then held-out index: both are fixed once made. */
const CACHE = new WeakMap<
  TutorialWindowIndex,
  WeakMap<TutorialWindowIndex, HeldOutBaselines>
>();

/** The pitch of every note of every sequence (file) of a window index. */
function pitchSequences(index: TutorialWindowIndex): Int32Array[] {
  return index.sequences.map((values) => {
    const pitches = new Int32Array(values.length / 3);
    for (let i = 0; i < pitches.length; i++) pitches[i] = values[i * 3];
    return pitches;
  });
}

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
  if (validation.count === 0) return null;
  const cached = CACHE.get(train)?.get(validation);
  if (cached) return cached;
  const { sequenceLength } = validation;
  const baselines: HeldOutBaselines = {
    compareWith: "val_pitch_loss",
    label: "pitch",
    classes: PITCHES,
    unigram: unigramCrossEntropy(
      { train: tutorialLabels(train), heldOut: tutorialLabels(validation) },
      { classes: PITCHES },
    ),
    ngram: ngramCrossEntropy({
      train: pitchSequences(train),
      heldOut: {
        sequences: pitchSequences(validation),
        sequence: validation.sequence,
        position: validation.offset.map((o) => o + sequenceLength),
      },
    }, { classes: PITCHES, maxContext: sequenceLength }),
  };
  if (!CACHE.has(train)) CACHE.set(train, new WeakMap());
  CACHE.get(train)!.set(validation, baselines);
  return baselines;
}
