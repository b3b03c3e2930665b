/**
 * The generation loop on the stateful runner (`stateful.ts`), for any family: feed the seed
 * window's rows, then for every step pick the next item (a note, a token) from the model's
 * outputs and feed the row it becomes. The family says how outputs become an item and an
 * item a row; the runner carries the LSTM states, so each step reads one row instead of the
 * whole window.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { createStatefulRunner, type LayerMath, type StateMemory } from "./stateful.ts";

/** Options for {@linkcode generateStateful}: the family's two steps and the runner's settings. */
export interface GenerateStatefulOptions<T> {
  /** Items to generate (an integer >= 0). */
  length: number;
  /**
   * The next item from the model's outputs after the last fed row (one array per model
   * output); draws its random numbers here, in order.
   */
  pick: (outputs: Float32Array[]) => T;
  /** The row (`[time, inputDim]` row-major, usually one step) that feeds `item` to the model. */
  rowOf: (item: T) => ArrayLike<number>;
  /**
   * What the LSTM state remembers (see `stateful.ts`).
   * @default {"carried"}
   */
  memory?: StateMemory;
  /**
   * Steps per window for `memory: "window"`.
   * @default {the model's input length}
   */
  windowLength?: number;
  /**
   * How the layers after the LSTMs are computed (see `StatefulRunnerOptions.layerMath`).
   * @default {"js"}
   */
  layerMath?: LayerMath;
  /**
   * Called after each item with `(done, total)`.
   * @default {undefined}
   */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Generates `options.length` items: feeds `seedRows`, then per step picks an item from the
 * outputs and, unless it is the last, feeds its row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { generateStateful, selectBackend } from "midi-lstm/engine";
 *
 * await selectBackend({ backend: "cpu" });
 * const input = tf.input({ shape: [3, 1] });
 * const hidden = tf.layers.lstm({ units: 4 }).apply(input) as tf.SymbolicTensor;
 * const output = tf.layers.dense({ units: 2 }).apply(hidden) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: input, outputs: output });
 * // greedy: the index of the larger output, fed back as the next step
 * const ids = generateStateful(model, [0, 1, 0], {
 *   length: 5,
 *   pick: ([scores]) => (scores[1] > scores[0] ? 1 : 0),
 *   rowOf: (id) => [id],
 * });
 * assert.equal(ids.length, 5);
 * model.dispose();
 * ```
 *
 * @param model any model the stateful runner steps (`createStatefulRunner`)
 * @param seedRows `[time, inputDim]` row-major: the seed window (not changed)
 * @returns the items, in order
 * @throws {Error} naming `length` when it is not an integer >= 0, and as
 *   `createStatefulRunner` when the model holds a layer it cannot step
 */
export function generateStateful<T>(
  model: tf.LayersModel,
  seedRows: ArrayLike<number>,
  options: GenerateStatefulOptions<T>,
): T[] {
  const { length } = options;
  if (!Number.isInteger(length) || length < 0) {
    throw new Error(`length: expected an integer >= 0, got ${JSON.stringify(length)}`);
  }
  const out: T[] = [];
  if (length === 0) return out;
  const runner = createStatefulRunner(model, {
    memory: options.memory,
    windowLength: options.windowLength,
    layerMath: options.layerMath,
  });
  let outputs = runner.feed(seedRows);
  for (let i = 0; i < length; i++) {
    const item = options.pick(outputs);
    out.push(item);
    options.onProgress?.(i + 1, length);
    if (i + 1 < length) outputs = runner.feed(options.rowOf(item));
  }
  return out;
}
