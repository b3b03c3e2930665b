/**
 * The classic family's training data: token ids cut into windows of `sequenceLength`, each
 * labelled with the id that follows. Inputs are ids divided by the vocabulary size (the
 * original notebooks' normalisation, `input: "scaled"`) or the ids themselves (`input:
 * "embedding"`); labels stay integer ids, so no `[windows, vocab]` one-hot matrix is ever
 * built.
 *
 * The index of windows, the labels, the shuffle rule and the pipeline are the windowing both
 * families share (`lib/train/windows.ts`); this file says how a window of ids becomes the
 * model's tensors. Windows stay inside one file unless `crossFiles` is set (the notebooks
 * joined every file into one list, so their windows ran across file boundaries:
 * `tokens - sequenceLength` windows in all). Split files for validation before windowing
 * (`splitByFile` in `lib/train/split.ts`), so no window leaks across the split.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { idWindowInputs } from "./encode.ts";
import type { ModelInput } from "../config/classic_presets.ts";
import {
  labelStart,
  windowDataset,
  type WindowDatasetOptions,
  type WindowIndex,
  windowIndex,
  windowLabels,
  windowSequence,
} from "../train/windows.ts";

/** Options for {@linkcode classicWindows}. */
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

/**
 * Where every window starts (`lib/train/windows.ts`); each sequence is a file's token ids
 * (or all files' joined, with `crossFiles`), so `width` is 1.
 */
export interface ClassicWindowIndex extends WindowIndex<Int32Array> {
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
 *   there are files but no window can be made
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classicLabels, classicWindows } from "midi-lstm";
 *
 * // two files of token ids; windows of 3 never cross from one file into the next
 * const index = classicWindows([[0, 1, 2, 3, 4], [4, 3, 2, 1]], {
 *   vocabSize: 5,
 *   sequenceLength: 3,
 * });
 * assert.equal(index.count, 3); // (5 - 3) + (4 - 3)
 * assert.deepEqual(Array.from(classicLabels(index)), [3, 4, 1]);
 * ```
 */
export function classicWindows(
  fileTokenIds: readonly (readonly number[])[],
  options: ClassicWindowOptions,
): ClassicWindowIndex {
  const { vocabSize } = options;
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
  const index = windowIndex(files, {
    sequenceLength: options.sequenceLength ?? 100,
    crossFiles: options.crossFiles,
    unit: "tokens",
  });
  return { ...index, vocabSize, input: options.input ?? "scaled" };
}

/**
 * The label of every window: the id of the token after it.
 *
 * @param index windows from {@linkcode classicWindows} (not changed)
 * @returns `[index.count]`, window order
 */
export function classicLabels(index: ClassicWindowIndex): Int32Array {
  return windowLabels(index);
}

/** One batch as the classic model takes it. */
export interface ClassicBatch {
  /**
   * `"scaled"`: `[batch, sequenceLength, 1]` ids / vocabSize; `"embedding"`:
   * `[batch, sequenceLength]` ids.
   */
  xs: tf.Tensor;
  /** `[batch]` int32 id of the token after each window. */
  ys: tf.Tensor1D;
}

/**
 * Builds the tensors of one batch from window numbers, in the order given. The caller owns
 * (and disposes) the returned tensors.
 *
 * @param index windows from {@linkcode classicWindows}
 * @param windows window numbers, each in `[0, index.count)`
 * @throws {Error} when a window number is out of range
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { classicWindows, gatherClassicBatch, selectBackend } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 * const index = classicWindows([[0, 1, 2, 3]], { vocabSize: 4, sequenceLength: 2 });
 * const { xs, ys } = gatherClassicBatch(index, [1]); // window 1: ids 1, 2, then 3
 * assert.deepEqual(xs.shape, [1, 2, 1]); // [batch, sequenceLength, 1]
 * assert.deepEqual(Array.from(xs.dataSync()), [0.25, 0.5]); // id / vocabSize
 * assert.deepEqual(Array.from(ys.dataSync()), [3]);
 * tf.dispose([xs, ys]);
 * ```
 */
export function gatherClassicBatch(
  index: ClassicWindowIndex,
  windows: ArrayLike<number>,
): ClassicBatch {
  const { sequenceLength, vocabSize, input } = index;
  const n = windows.length;
  const inputIds = new Int32Array(n * sequenceLength);
  const labels = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    const w = windows[b];
    const ids = windowSequence(index, w);
    const from = index.offset[w];
    inputIds.set(ids.subarray(from, from + sequenceLength), b * sequenceLength);
    labels[b] = ids[labelStart(index, w)];
  }
  return {
    xs: idWindowInputs(inputIds, [n, sequenceLength], { vocabSize, input }),
    ys: tf.tensor1d(labels, "int32"),
  };
}

/**
 * The classic input pipeline: window numbers -> shuffle -> batch -> gather -> prefetch
 * (`windowDataset` of `lib/train/windows.ts` with {@linkcode gatherClassicBatch}). Each
 * element is a {@linkcode ClassicBatch}, as `trainModel` expects with `classicLoss(config)`
 * from `lib/classic/model.ts`. Each iteration is one epoch with its own seeded order (see
 * `seed` and `epoch`). Unless `shuffleBuffer` says otherwise, every window is in the shuffle
 * buffer, so each epoch is a full permutation (the sources' `model.fit(..., shuffle=True)`).
 *
 * @throws {Error} naming `batchSize` when it is not a positive integer
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { classicDataset, classicWindows, selectBackend } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 * const ids = Array.from({ length: 12 }, (_, i) => i % 4);
 * const index = classicWindows([ids], { vocabSize: 4, sequenceLength: 4 }); // 8 windows
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
  options: WindowDatasetOptions = {},
): tf.data.Dataset<tf.TensorContainer> {
  return windowDataset(index, gatherClassicBatch, { shuffleBuffer: Infinity, ...options });
}
