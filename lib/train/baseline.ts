/**
 * The unigram baseline: the cross-entropy a model scores when it ignores its input and
 * always predicts how often each label occurs in the training windows. A trained model that
 * does not beat it on held-out pieces has learnt label frequencies and nothing more.
 *
 * ```ts
 * const nats = unigramCrossEntropy({ train: [0, 0, 1], heldOut: [0, 1] }, { classes: 3 });
 * ```
 *
 * The n-gram yardstick (`ngram.ts`) is the harder one to beat; {@linkcode HeldOutBaselines}
 * holds both, as a run records them, and {@linkcode windowBaselines} measures both on a
 * family's windows.
 *
 * @module
 */
import { type NgramBaseline, ngramCrossEntropy } from "./ngram.ts";
import { type WindowIndex, windowLabels } from "./windows.ts";

/** Labels to compare: the training windows' and the held-out windows'. */
export interface UnigramLabels {
  /** Class ids of the training windows' labels (not changed). */
  train: ArrayLike<number>;
  /** Class ids of the held-out windows' labels (not changed). */
  heldOut: ArrayLike<number>;
}

/** Options of {@linkcode unigramCrossEntropy}. */
export interface UnigramOptions {
  /** Number of classes (the vocabulary size, or 128 pitches). */
  classes: number;
  /**
   * Added to every class's training count (add-one smoothing), so a label never seen in
   * training costs a finite amount, as it does for a model.
   * @default {1}
   */
  smoothing?: number;
}

/**
 * Mean cross-entropy in nats of the held-out labels under the training labels' smoothed
 * frequencies: `-mean(log((count[y] + s) / (n + s * classes)))`, the same units as the
 * models' sparse categorical cross-entropy.
 *
 * @throws {Error} when `classes` is not a positive integer, `smoothing` is negative, there
 *   are no held-out labels, or a label is not an integer in `0..classes-1` (naming which set
 *   and position)
 */
export function unigramCrossEntropy(labels: UnigramLabels, options: UnigramOptions): number {
  const { classes } = options;
  const smoothing = options.smoothing ?? 1;
  if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`unigramCrossEntropy: classes: expected a positive integer, got ${classes}`);
  }
  if (!(smoothing >= 0)) {
    throw new Error(`unigramCrossEntropy: smoothing: expected >= 0, got ${smoothing}`);
  }
  if (labels.heldOut.length === 0) {
    throw new Error("unigramCrossEntropy: expected held-out labels, got none");
  }
  const counts = new Float64Array(classes);
  const check = (set: "train" | "heldOut", i: number): number => {
    const y = labels[set][i];
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new Error(
        `unigramCrossEntropy: ${set}[${i}]: expected a class id in 0..${classes - 1}, got ${y}`,
      );
    }
    return y;
  };
  for (let i = 0; i < labels.train.length; i++) counts[check("train", i)]++;
  const total = labels.train.length + smoothing * classes;
  let sum = 0;
  for (let i = 0; i < labels.heldOut.length; i++) {
    const p = (counts[check("heldOut", i)] + smoothing) / total;
    sum -= Math.log(p);
  }
  return sum / labels.heldOut.length;
}

/** What a run's model is measured against: count models scored on its own held-out labels. */
export interface HeldOutBaselines {
  /**
   * The history's value in the same units: `"val_loss"` (classic: the token cross-entropy)
   * or `"val_pitch_loss"` (tutorial: the pitch head's cross-entropy; its `val_loss` adds the
   * step and duration errors).
   */
  compareWith: "val_loss" | "val_pitch_loss";
  /** What the labels are, for people: `"token"` or `"pitch"`. */
  label: "token" | "pitch";
  /** Number of labels the model chooses from (the vocabulary size, or 128 pitches). */
  classes: number;
  /**
   * Cross-entropy (nats) of the held-out labels under the training windows' label
   * frequencies ({@linkcode unigramCrossEntropy}, add-one smoothing).
   */
  unigram: number;
  /** The n-gram yardstick on the same labels (`ngramCrossEntropy` in `ngram.ts`). */
  ngram: NgramBaseline;
}

/** What a family's window labels are, for {@linkcode windowBaselines}. */
export interface WindowBaselineOptions {
  /** Number of label classes (the vocabulary size, or 128 pitches). */
  classes: number;
  /** The history's value in the same units. */
  compareWith: HeldOutBaselines["compareWith"];
  /** What the labels are, for people. */
  label: HeldOutBaselines["label"];
}

/** Results by training index, then held-out index: both are fixed once made. */
const CACHE = new WeakMap<WindowIndex, WeakMap<WindowIndex, HeldOutBaselines>>();

/** The label (first number) of every step of every sequence of a window index. */
function labelSequences(index: WindowIndex): ArrayLike<number>[] {
  if (index.width === 1) return index.sequences;
  return index.sequences.map((values) => {
    const labels = new Int32Array(Math.floor(values.length / index.width));
    for (let i = 0; i < labels.length; i++) labels[i] = values[i * index.width];
    return labels;
  });
}

/**
 * Both families' yardsticks: the unigram and n-gram cross-entropies (nats) of the held-out
 * windows' labels, the same labels the model's `compareWith` value averages over. The
 * unigram counts the training windows' labels; the n-gram counts the label of every step of
 * each of `train.sequences` (one per file; a `crossFiles` index joins the files into one),
 * chooses its order and smoothing on them alone, and predicts each held-out label from the
 * labels before it in its window. Computed once per pair of indexes (later calls return the
 * same object).
 *
 * @param train windows of the training files (not changed)
 * @param validation windows of the held-out files (not changed), or `null`
 * @returns `null` when nothing is held out
 * @throws {Error} as {@linkcode unigramCrossEntropy} and `ngramCrossEntropy` when a label is
 *   not in `0..classes-1`
 */
export function windowBaselines(
  train: WindowIndex,
  validation: WindowIndex | null,
  options: WindowBaselineOptions,
): HeldOutBaselines | null {
  if (validation == null || validation.count === 0) return null;
  const cached = CACHE.get(train)?.get(validation);
  if (cached) return cached;
  const { classes } = options;
  const baselines: HeldOutBaselines = {
    compareWith: options.compareWith,
    label: options.label,
    classes,
    unigram: unigramCrossEntropy(
      { train: windowLabels(train), heldOut: windowLabels(validation) },
      { classes },
    ),
    ngram: ngramCrossEntropy({
      train: labelSequences(train),
      heldOut: {
        sequences: labelSequences(validation),
        sequence: validation.sequence,
        position: validation.offset.map((o) => o + validation.sequenceLength),
      },
    }, { classes, maxContext: validation.sequenceLength }),
  };
  if (!CACHE.has(train)) CACHE.set(train, new WeakMap());
  CACHE.get(train)!.set(validation, baselines);
  return baselines;
}
