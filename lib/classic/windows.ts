/**
 * The classic family's training data: token ids cut into windows of `sequenceLength`, each
 * labelled with the id that follows. Inputs are ids divided by the vocabulary size (the
 * original notebooks' normalisation, `input: "scaled"`) or the ids themselves (`input:
 * "embedding"`); labels stay integer ids, so no `[windows, vocab]` one-hot matrix is ever
 * built.
 *
 * Windows stay inside one file unless `crossFiles` is set (the notebooks joined every file
 * into one list, so their windows ran across file boundaries: `tokens - sequenceLength`
 * windows in all). Split files for validation before windowing (`splitByFile` in
 * `lib/train/split.ts`), so no window leaks across the split.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { idWindowInputs, scaleId } from "./encode.ts";
import type { ModelInput } from "../config/classic_presets.ts";
import { mulberry32, shuffleInPlace } from "../random/random.ts";

/** Options for {@linkcode classicWindowIndex} and {@linkcode classicWindows}. */
export interface ClassicWindowOptions {
  /** Number of tokens in the vocabulary; inputs are divided by it and ids must be below it. */
  vocabSize: number;
  /**
   * Tokens per input window.
   * @default {100}
   */
  sequenceLength?: number;
  /**
   * Join all files into one sequence first, as the original notebooks did, so windows may
   * span the end of one file and the start of the next.
   * @default {false}
   */
  crossFiles?: boolean;
  /**
   * How the model reads an id: `"scaled"` (id / vocabSize, input `[batch, ids, 1]`) or
   * `"embedding"` (the id, input `[batch, ids]`).
   * @default {"scaled"}
   */
  input?: ModelInput;
}

/** Where every window starts; nothing is copied per window. */
export interface ClassicWindowIndex {
  /** The id sequences windows are cut from (one per file, or one joined sequence). */
  sequences: Int32Array[];
  /** Sequence of each window. */
  sequence: Int32Array;
  /** First token of each window within its sequence. */
  offset: Int32Array;
  /** File (index into the input list) of each window's first token. */
  fileOfWindow: Int32Array;
  /** Number of windows. */
  count: number;
  sequenceLength: number;
  vocabSize: number;
  input: ModelInput;
}

/**
 * Indexes every window of `sequenceLength` ids that has a following id to predict. A file of
 * `n` ids gives `max(0, n - sequenceLength)` windows. The input is copied into typed arrays.
 *
 * @param fileTokenIds token ids per file
 * @throws {Error} naming the setting when `sequenceLength` or `vocabSize` is not a positive
 *   integer, naming the file and position when an id is outside `0..vocabSize-1`, and when
 *   no window can be made
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classicLabels, classicWindowIndex } from "midi-lstm";
 *
 * // two files of token ids; windows of 3 never cross from one file into the next
 * const index = classicWindowIndex([[0, 1, 2, 3, 4], [4, 3, 2, 1]], {
 *   vocabSize: 5,
 *   sequenceLength: 3,
 * });
 * assert.equal(index.count, 3); // (5 - 3) + (4 - 3)
 * assert.deepEqual(Array.from(classicLabels(index)), [3, 4, 1]);
 * ```
 */
export function classicWindowIndex(
  fileTokenIds: readonly (readonly number[])[],
  options: ClassicWindowOptions,
): ClassicWindowIndex {
  const sequenceLength = options.sequenceLength ?? 100;
  const { vocabSize } = options;
  if (!Number.isInteger(sequenceLength) || sequenceLength < 1) {
    throw new Error(`sequenceLength: expected a positive integer, got ${sequenceLength}`);
  }
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new Error(`vocabSize: expected a positive integer, got ${vocabSize}`);
  }
  const files = fileTokenIds.map((ids, f) => {
    const arr = Int32Array.from(ids);
    arr.forEach((id, i) => {
      if (!(id >= 0 && id < vocabSize) || id !== ids[i]) {
        throw new Error(
          `file ${f}, token ${i}: expected an id in 0..${vocabSize - 1}, got ${ids[i]}`,
        );
      }
    });
    return arr;
  });
  let sequences: Int32Array[];
  let fileOfToken: (seq: number, offset: number) => number;
  if (options.crossFiles) {
    const joined = new Int32Array(files.reduce((n, f) => n + f.length, 0));
    const owner = new Int32Array(joined.length);
    let at = 0;
    files.forEach((f, i) => {
      joined.set(f, at);
      owner.fill(i, at, at + f.length);
      at += f.length;
    });
    sequences = [joined];
    fileOfToken = (_, offset) => owner[offset];
  } else {
    sequences = files;
    fileOfToken = (seq) => seq;
  }
  const perSequence = sequences.map((s) => Math.max(0, s.length - sequenceLength));
  const count = perSequence.reduce((a, b) => a + b, 0);
  if (count === 0) {
    const longest = Math.max(0, ...sequences.map((s) => s.length));
    throw new Error(
      `sequenceLength: ${sequenceLength} needs at least ${
        sequenceLength + 1
      } tokens in a file, but the longest of ${files.length} has ${longest}`,
    );
  }
  const sequence = new Int32Array(count);
  const offset = new Int32Array(count);
  const fileOfWindow = new Int32Array(count);
  let w = 0;
  perSequence.forEach((n, s) => {
    for (let i = 0; i < n; i++, w++) {
      sequence[w] = s;
      offset[w] = i;
      fileOfWindow[w] = fileOfToken(s, i);
    }
  });
  const input = options.input ?? "scaled";
  return { sequences, sequence, offset, fileOfWindow, count, sequenceLength, vocabSize, input };
}

/** Windows gathered into flat typed arrays. */
export interface ClassicWindowBatch {
  /** `[count, sequenceLength]` row-major: token ids divided by `vocabSize` (`"scaled"`), or ids. */
  inputs: Float32Array;
  /** `[count]` id of the token after each window. */
  labels: Int32Array;
  /** Number of windows. */
  count: number;
  sequenceLength: number;
}

/**
 * Copies the given windows into flat arrays, in the order given.
 *
 * @param index windows from {@linkcode classicWindowIndex}
 * @param windows window numbers, each in `[0, index.count)`
 * @throws {Error} when a window number is out of range
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classicWindowIndex, gatherClassicWindows } from "midi-lstm";
 *
 * const index = classicWindowIndex([[0, 1, 2, 3]], { vocabSize: 4, sequenceLength: 2 });
 * const batch = gatherClassicWindows(index, [1]); // window 1: ids 1, 2, then 3
 * assert.deepEqual(Array.from(batch.inputs), [0.25, 0.5]); // id / vocabSize
 * assert.deepEqual(Array.from(batch.labels), [3]);
 * ```
 */
export function gatherClassicWindows(
  index: ClassicWindowIndex,
  windows: ArrayLike<number>,
): ClassicWindowBatch {
  const { sequenceLength, vocabSize } = index;
  const scaled = index.input === "scaled";
  const n = windows.length;
  const inputs = new Float32Array(n * sequenceLength);
  const labels = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    const w = windows[b];
    if (!(Number.isInteger(w) && w >= 0 && w < index.count)) {
      throw new Error(`window: expected a number in 0..${index.count - 1}, got ${w}`);
    }
    const seq = index.sequences[index.sequence[w]];
    const from = index.offset[w];
    for (let t = 0; t < sequenceLength; t++) {
      const id = seq[from + t];
      inputs[b * sequenceLength + t] = scaled ? scaleId(id, vocabSize) : id;
    }
    labels[b] = labelOf(index, w);
  }
  return { inputs, labels, count: n, sequenceLength };
}

/** Every window of a corpus, materialised. */
export interface ClassicWindows extends ClassicWindowBatch {
  /** File of each window's first token. */
  fileOfWindow: Int32Array;
}

/**
 * The label of every window: the id of the token after it.
 *
 * @param index windows from {@linkcode classicWindowIndex} (not changed)
 * @returns `[index.count]`, window order
 */
export function classicLabels(index: ClassicWindowIndex): Int32Array {
  return Int32Array.from({ length: index.count }, (_, w) => labelOf(index, w));
}

/** The id of the token after window `w`. */
function labelOf(index: ClassicWindowIndex, w: number): number {
  return index.sequences[index.sequence[w]][index.offset[w] + index.sequenceLength];
}

/**
 * Every window of a corpus in file order, as flat typed arrays (`inputs` takes
 * `4 * count * sequenceLength` bytes; use {@linkcode classicDataset} for large corpora).
 *
 * @param fileTokenIds token ids per file (not changed)
 * @throws {Error} as {@linkcode classicWindowIndex}
 */
export function classicWindows(
  fileTokenIds: readonly (readonly number[])[],
  options: ClassicWindowOptions,
): ClassicWindows {
  const index = classicWindowIndex(fileTokenIds, options);
  const all = Int32Array.from({ length: index.count }, (_, i) => i);
  return { ...gatherClassicWindows(index, all), fileOfWindow: index.fileOfWindow };
}

/** Options for {@linkcode classicDataset}. */
export interface ClassicDatasetOptions {
  /**
   * Windows per batch (the last batch may be smaller).
   * @default {64}
   */
  batchSize?: number;
  /**
   * Shuffle all windows each epoch (a full, seeded permutation).
   * @default {true}
   */
  shuffle?: boolean;
  /**
   * Seed of the shuffle; epoch `e` uses `seed + e`, so runs repeat exactly.
   * @default {0}
   */
  seed?: number;
  /**
   * Batches prepared ahead of the one being trained on.
   * @default {2}
   */
  prefetch?: number;
  /**
   * Stop each pass after this many batches (`null`: all windows). Quick runs use it.
   * @default {null}
   */
  maxBatches?: number | null;
}

/**
 * The classic input pipeline: shuffled window order -> batches -> gather -> prefetch. Each
 * element is `{xs, ys}` with `xs` `[batch, sequenceLength, 1]` float32 (ids / vocabSize;
 * `[batch, sequenceLength]` ids with `input: "embedding"`) and `ys` `[batch]` int32 ids, as `model.fitDataset` expects with
 * `classicLoss` from `lib/classic/model.ts`.
 *
 * @throws {Error} naming `batchSize` when it is not a positive integer
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { classicDataset, classicWindowIndex, selectBackend } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 * const ids = Array.from({ length: 12 }, (_, i) => i % 4);
 * const index = classicWindowIndex([ids], { vocabSize: 4, sequenceLength: 4 }); // 8 windows
 * const shapes: number[][] = [];
 * await classicDataset(index, { batchSize: 5, seed: 1 }).forEachAsync((batch) => {
 *   const { xs } = batch as unknown as { xs: tf.Tensor };
 *   shapes.push(xs.shape);
 *   tf.dispose(batch);
 * });
 * assert.deepEqual(shapes, [[5, 4, 1], [3, 4, 1]]); // [batch, sequenceLength, 1]
 * ```
 */
export function classicDataset(
  index: ClassicWindowIndex,
  options: ClassicDatasetOptions = {},
): tf.data.Dataset<tf.TensorContainer> {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize: expected a positive integer, got ${batchSize}`);
  }
  const seed = options.seed ?? 0;
  const shuffle = options.shuffle ?? true;
  let epoch = 0;
  function* batches(): Iterator<tf.TensorContainer> {
    const order = Array.from({ length: index.count }, (_, i) => i);
    if (shuffle) shuffleInPlace(order, mulberry32(seed + epoch));
    epoch++;
    const end = Math.min(order.length, (options.maxBatches ?? Infinity) * batchSize);
    for (let from = 0; from < end; from += batchSize) {
      const batch = gatherClassicWindows(index, order.slice(from, from + batchSize));
      yield {
        xs: idWindowInputs(batch.inputs, {
          shape: [batch.count, index.sequenceLength],
          input: index.input,
        }),
        ys: tf.tensor1d(batch.labels, "int32"),
      };
    }
  }
  return tf.data.generator(batches).prefetch(options.prefetch ?? 2);
}
