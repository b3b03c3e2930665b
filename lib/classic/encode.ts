/**
 * The one place tokens become the model's numbers and back. A token (`"E4"`, `"4.9"`) becomes
 * its id in the vocabulary (`encodeTokens` of `lib/music/vocabulary.ts`). How the model reads
 * an id depends on its `input` (`model.input` in the config):
 *
 * - `"scaled"` (the sources): the id divided by the vocabulary size, so inputs land in
 *   [0, 1), one number per step: input `[ids, 1]`;
 * - `"embedding"`: the id itself, an index into a learned table of vectors: input `[ids]`.
 *
 * The model answers with one probability per id; the id drawn becomes a token again
 * (`decodeIds`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelInput } from "../config/classic_presets.ts";

/** The model's input for one id: `id / vocabSize`. */
export function scaleId(id: number, vocabSize: number): number {
  return id / vocabSize;
}

/**
 * The model's input for a window of ids: `[ids]`, each divided by `vocabSize`. The ids are
 * not changed.
 */
export function encodeIds(ids: readonly number[], vocabSize: number): Float32Array {
  return Float32Array.from(ids, (id) => scaleId(id, vocabSize));
}

/** A window of ids as a `"scaled"` model's input tensor `[1, ids, 1]`. */
export function idsTensor(ids: readonly number[], vocabSize: number): tf.Tensor3D {
  return tf.tensor3d(encodeIds(ids, vocabSize), [1, ids.length, 1]);
}

/** Options for {@linkcode runnerIds}. */
export interface IdInputOptions {
  /** Number of tokens in the vocabulary: a `"scaled"` id is divided by it. */
  vocabSize: number;
  /**
   * How the model reads an id (see the module notes).
   * @default {"scaled"}
   */
  input?: ModelInput;
}

/**
 * The numbers the model reads for these ids, one per id: `id / vocabSize` for `"scaled"`,
 * the id itself for `"embedding"`. The ids are not changed.
 */
export function runnerIds(ids: readonly number[], options: IdInputOptions): Float32Array {
  return (options.input ?? "scaled") === "scaled"
    ? encodeIds(ids, options.vocabSize)
    : Float32Array.from(ids);
}

/** Options for {@linkcode idWindowInputs}. */
export interface IdWindowInputOptions {
  /** `[batch, ids]`: windows, and ids per window. */
  shape: readonly [number, number];
  /**
   * How the model reads an id (see the module notes).
   * @default {"scaled"}
   */
  input?: ModelInput;
}

/**
 * A batch of windows as the model's input.
 *
 * @param values `[batch, ids]` row-major, as {@linkcode runnerIds} gives them for `input`
 * @returns `[batch, ids, 1]` for `"scaled"`, `[batch, ids]` for `"embedding"`
 */
export function idWindowInputs(values: Float32Array, options: IdWindowInputOptions): tf.Tensor {
  const [batch, ids] = options.shape;
  return (options.input ?? "scaled") === "scaled"
    ? tf.tensor3d(values, [batch, ids, 1])
    : tf.tensor2d(values, [batch, ids]);
}

/**
 * The model's probabilities as logits for sampling: `log p` (a zero probability becomes
 * `-Infinity`, never drawn). Dividing these by a temperature T and taking the softmax is the
 * same as raising the probabilities to `1 / T` and renormalising.
 *
 * @param probs `[vocab]` probabilities (not changed; need not sum exactly to 1)
 */
export function probabilitiesToLogits(probs: ArrayLike<number>): Float64Array {
  return Float64Array.from(probs as ArrayLike<number>, (p) => p > 0 ? Math.log(p) : -Infinity);
}
