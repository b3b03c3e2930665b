/**
 * The windowing both families share: every window of `sequenceLength` steps over per-file
 * sequences (where it starts, nothing copied), the label of each window (the step after it),
 * the one epoch-shuffle rule, and the `tf.data` pipeline (order -> batches -> gather ->
 * prefetch). A family supplies only how a batch of windows becomes tensors (its gather).
 *
 * A sequence is a flat typed array of `width` numbers per step: the tutorial's notes are
 * `[notes, 3]` (pitch, step, duration), the classic family's tokens `[tokens, 1]` (ids). The
 * first number of a step is its label (a pitch, a token id).
 *
 * The shuffle: epoch `e`'s order is drawn from `deriveSeed(seed, SEED_TAG.shuffle, e)`
 * (`lib/random/seeds.ts`) through a shuffle buffer of `shuffleBuffer` windows, as
 * `tf.data`'s `shuffle` does; a buffer as large as the number of windows (`Infinity`, say)
 * gives a full, uniformly random permutation. So the order of an epoch depends only on the
 * seed and the epoch, and a resumed run sees the order an uninterrupted one would.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { mulberry32, randomInt } from "../random/random.ts";
import { deriveSeed, SEED_TAG } from "../random/seeds.ts";

/** What windows are cut from: numbers, `width` per step. */
export type StepArray = Float32Array | Int32Array;

/** Where every window starts; nothing is copied per window. */
export interface WindowIndex<S extends StepArray = StepArray> {
  /** The sequences windows are cut from: one per file, or one joined sequence (`crossFiles`). */
  sequences: S[];
  /** Numbers per step in each sequence. */
  width: number;
  /** Sequence (index into `sequences`) of each window. */
  sequence: Int32Array;
  /** First step of each window within its sequence. */
  offset: Int32Array;
  /** File (index into the input list) of each window's first step. */
  file: Int32Array;
  /** Number of windows. */
  count: number;
  /** Steps per window. */
  sequenceLength: number;
}

/** Options for {@linkcode windowIndex}. */
export interface WindowIndexOptions {
  /** Steps per window (a positive integer). */
  sequenceLength: number;
  /**
   * Numbers per step in each sequence.
   * @default {1}
   */
  width?: number;
  /**
   * Join all files into one sequence first (as the classic sources did), so windows may span
   * the end of one file and the start of the next.
   * @default {false}
   */
  crossFiles?: boolean;
  /**
   * What a step is, for the error messages (`"notes"`, `"tokens"`).
   * @default {"steps"}
   */
  unit?: string;
}

/**
 * Indexes every window of `sequenceLength` steps that has a following step to predict: a
 * sequence of `n` steps gives `max(0, n - sequenceLength)` windows, in sequence order.
 * No file gives no windows (`count` 0); files too short to give one are skipped.
 *
 * @param sequences one per file, `width` numbers per step (kept, not copied, unless joined)
 * @throws {Error} naming `sequenceLength` when it is not a positive integer, or when there are
 *   files but none is long enough to give a single window
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { windowIndex, windowLabels } from "midi-lstm";
 *
 * // two files of ids; windows of 3 never cross from one file into the next
 * const index = windowIndex([Int32Array.of(0, 1, 2, 3, 4), Int32Array.of(4, 3, 2, 1)], {
 *   sequenceLength: 3,
 * });
 * assert.equal(index.count, 3); // (5 - 3) + (4 - 3)
 * assert.deepEqual(Array.from(index.file), [0, 0, 1]);
 * assert.deepEqual(Array.from(windowLabels(index)), [3, 4, 1]); // the step after each window
 * ```
 */
export function windowIndex<S extends StepArray>(
  sequences: readonly S[],
  options: WindowIndexOptions,
): WindowIndex<S> {
  const { sequenceLength } = options;
  const width = options.width ?? 1;
  const unit = options.unit ?? "steps";
  if (!Number.isInteger(sequenceLength) || sequenceLength < 1) {
    throw new Error(`sequenceLength: expected a positive integer, got ${sequenceLength}`);
  }
  const lengths = sequences.map((s) => Math.floor(s.length / width));
  // With crossFiles: one sequence of every file's steps, and the file each step came from.
  const crossed = options.crossFiles && sequences.length > 0
    ? joinSequences(sequences, lengths, width)
    : null;
  const joined = crossed ? [crossed.steps] : [...sequences];
  const perSequence = joined.map((s) => Math.max(0, Math.floor(s.length / width) - sequenceLength));
  const count = perSequence.reduce((a, b) => a + b, 0);
  if (count === 0 && sequences.length > 0) {
    const longest = Math.max(...lengths);
    throw new Error(
      options.crossFiles
        ? `sequenceLength: ${sequenceLength} needs at least ${sequenceLength + 1} ${unit} ` +
          `in all, but the ${sequences.length} files have ${lengths.reduce((a, b) => a + b)}`
        : `sequenceLength: ${sequenceLength} needs files of at least ${sequenceLength + 1} ` +
          `${unit}, but the longest of ${sequences.length} has ${longest}`,
    );
  }
  const sequence = new Int32Array(count);
  const offset = new Int32Array(count);
  const file = new Int32Array(count);
  let w = 0;
  perSequence.forEach((n, s) => {
    for (let i = 0; i < n; i++, w++) {
      sequence[w] = s;
      offset[w] = i;
      file[w] = crossed ? crossed.fileOfStep[i] : s;
    }
  });
  return { sequences: joined, width, sequence, offset, file, count, sequenceLength };
}

/** Every sequence's steps one after another, and the index of the file of each step. */
function joinSequences<S extends StepArray>(
  sequences: readonly S[],
  lengths: readonly number[],
  width: number,
): { steps: S; fileOfStep: Int32Array } {
  // A new array of the sequences' own type (Float32Array or Int32Array).
  const Typed = sequences[0].constructor as new (length: number) => S;
  const steps = new Typed(sequences.reduce((n, s) => n + s.length, 0));
  const fileOfStep = new Int32Array(steps.length / width);
  let at = 0;
  sequences.forEach((s, f) => {
    steps.set(s, at * width);
    fileOfStep.fill(f, at, at + lengths[f]);
    at += lengths[f];
  });
  return { steps, fileOfStep };
}

/**
 * The sequence window `w` is cut from.
 *
 * @throws {Error} when `w` is not a window number of `index`
 */
export function windowSequence<S extends StepArray>(index: WindowIndex<S>, w: number): S {
  if (!(Number.isInteger(w) && w >= 0 && w < index.count)) {
    throw new Error(`window: expected a number in 0..${index.count - 1}, got ${w}`);
  }
  return index.sequences[index.sequence[w]];
}

/** Where window `w`'s label step (the one after it) starts in its sequence. */
export function labelStart(index: WindowIndex, w: number): number {
  return (index.offset[w] + index.sequenceLength) * index.width;
}

/**
 * The label of every window: the first number of the step after it (a pitch, a token id).
 *
 * @param index windows from {@linkcode windowIndex} (not changed)
 * @returns `[index.count]`, window order
 */
export function windowLabels(index: WindowIndex): Int32Array {
  const labels = new Int32Array(index.count);
  for (let w = 0; w < index.count; w++) {
    labels[w] = index.sequences[index.sequence[w]][labelStart(index, w)];
  }
  return labels;
}

/** Options for {@linkcode epochOrder}. */
export interface EpochOrderOptions {
  /**
   * Shuffle buffer, in windows; 0 keeps the windows in order, and a buffer at least as
   * large as the number of windows (`Infinity`, say) gives a full, uniform permutation.
   * @default {10000}
   */
  shuffleBuffer?: number;
  /**
   * Seed of the shuffle.
   * @default {0}
   */
  seed?: number;
  /**
   * The epoch (0-based) whose order is wanted; for a dataset, that of its first pass, each
   * later pass being the next epoch (a run resumed after `n` epochs passes `n`).
   * @default {0}
   */
  epoch?: number;
}

/**
 * Window numbers `0..count-1` in the order of one epoch: the one shuffle rule of both
 * families. The order is drawn from `deriveSeed(seed, SEED_TAG.shuffle, epoch)` through a
 * shuffle buffer (as `tf.data`'s `shuffle`): the buffer fills with the first windows, then
 * each step emits a random window of the buffer and puts the next one in its place.
 *
 * @throws {Error} naming `shuffleBuffer` when it is negative or not a whole number
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochOrder } from "midi-lstm";
 *
 * const order = epochOrder(8, { shuffleBuffer: Infinity, seed: 1, epoch: 0 });
 * assert.deepEqual(Array.from(order).sort(), [0, 1, 2, 3, 4, 5, 6, 7]); // each window once
 * assert.deepEqual(order, epochOrder(8, { shuffleBuffer: Infinity, seed: 1, epoch: 0 }));
 * assert.deepEqual(Array.from(epochOrder(3, { shuffleBuffer: 0 })), [0, 1, 2]); // in order
 * ```
 */
export function epochOrder(count: number, options: EpochOrderOptions = {}): Int32Array {
  const buffer = checkedBuffer(options.shuffleBuffer ?? 10000);
  const order = new Int32Array(count);
  if (buffer === 0) {
    for (let i = 0; i < count; i++) order[i] = i;
    return order;
  }
  const random = mulberry32(deriveSeed(options.seed ?? 0, SEED_TAG.shuffle, options.epoch ?? 0));
  const held: number[] = [];
  let out = 0;
  for (let id = 0; id < count; id++) {
    if (held.length < buffer) {
      held.push(id);
      continue;
    }
    const j = randomInt(random, held.length);
    order[out++] = held[j];
    held[j] = id;
  }
  while (held.length > 0) {
    const j = randomInt(random, held.length);
    order[out++] = held[j];
    held[j] = held[held.length - 1];
    held.pop();
  }
  return order;
}

/** `shuffleBuffer`, checked: 0, a whole number or `Infinity`. */
function checkedBuffer(buffer: number): number {
  if (!(buffer >= 0 && (Number.isInteger(buffer) || buffer === Infinity))) {
    throw new Error(
      `shuffleBuffer: expected 0 (no shuffle), a whole number of windows or Infinity, ` +
        `got ${buffer}`,
    );
  }
  return buffer;
}

/** Options for {@linkcode windowDataset} and both families' datasets. */
export interface WindowDatasetOptions extends EpochOrderOptions {
  /**
   * Windows per batch (the last batch of an epoch may be smaller).
   * @default {64}
   */
  batchSize?: number;
  /**
   * Stop each pass after this many batches (`null`: all windows). Quick runs use it.
   * @default {null}
   */
  maxBatches?: number | null;
  /**
   * Batches prepared ahead of the one being trained on.
   * @default {2}
   */
  prefetch?: number;
}

/**
 * Makes the tensors of one batch (`{xs, ys}`) from window numbers; the caller disposes them.
 */
export type GatherBatch<I extends WindowIndex> = (index: I, windows: Int32Array) => object;

/**
 * The input pipeline of both families: each epoch's order ({@linkcode epochOrder}) ->
 * batches of window numbers -> `gather` -> prefetch. Each iteration of the dataset is one
 * epoch; its elements are what `gather` makes (`{xs, ys}`, as `model.fitDataset` and
 * `trainModel` expect). The dataset counts its passes: every new iteration (a
 * `forEachAsync`, a `take(1).toArray()`) draws the next epoch's order, so preview batches
 * with a dataset of their own, not the one you train with.
 *
 * @param index windows from {@linkcode windowIndex} or a family's windows
 * @param gather the family's batch of windows as tensors
 * @throws {Error} naming `batchSize` when it is not a positive integer, and as
 *   {@linkcode epochOrder}
 */
export function windowDataset<I extends WindowIndex>(
  index: I,
  gather: GatherBatch<I>,
  options: WindowDatasetOptions = {},
): tf.data.Dataset<tf.TensorContainer> {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize: expected a positive integer, got ${batchSize}`);
  }
  const shuffleBuffer = checkedBuffer(options.shuffleBuffer ?? 10000);
  const seed = options.seed;
  let epoch = options.epoch ?? 0;
  function* batches(): Iterator<tf.TensorContainer> {
    const order = epochOrder(index.count, { shuffleBuffer, seed, epoch });
    epoch++;
    const end = Math.min(order.length, (options.maxBatches ?? Infinity) * batchSize);
    for (let from = 0; from < end; from += batchSize) {
      const batch = gather(index, order.subarray(from, Math.min(end, from + batchSize)));
      // A family's batch type is an interface, which TypeScript does not count as a
      // `TensorContainer` (it has no index signature); its fields are tensors all the same.
      yield batch as tf.TensorContainer;
    }
  }
  return tf.data.generator(batches).prefetch(options.prefetch ?? 2);
}
