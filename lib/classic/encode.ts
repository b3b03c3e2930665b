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
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildVocabulary, encodeIds, encodeTokens } from "midi-lstm";
 *
 * const tokens = ["E4", "0.4.7", "G4", "E4"];
 * const vocab = buildVocabulary(tokens); // ["0.4.7", "E4", "G4"]: ids 0, 1, 2
 * const ids = encodeTokens(vocab, tokens);
 * assert.deepEqual(ids, [1, 0, 2, 1]);
 * // a "scaled" model reads id / vocabulary size
 * const inputs = [1 / 3, 0, 2 / 3, 1 / 3].map(Math.fround); // float32
 * assert.deepEqual(Array.from(encodeIds(ids, vocab.size)), inputs);
 * ```
 */
export function encodeIds(ids: ArrayLike<number>, vocabSize: number): Float32Array {
  return Float32Array.from(ids, (id) => scaleId(id, vocabSize));
}

/**
 * A window of ids as a `"scaled"` model's input tensor `[1, ids, 1]`: the `"scaled"` case of
 * {@linkcode idsInputs}.
 */
export function idsTensor(ids: readonly number[], vocabSize: number): tf.Tensor3D {
  return idsInputs(ids, { vocabSize, input: "scaled" }) as tf.Tensor3D;
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
export function runnerIds(ids: ArrayLike<number>, options: IdInputOptions): Float32Array {
  return (options.input ?? "scaled") === "scaled"
    ? encodeIds(ids, options.vocabSize)
    : Float32Array.from(ids);
}

/**
 * The model's input for a batch of windows of token ids.
 *
 * @param ids `[batch, ids]` row-major token ids (not changed)
 * @param shape `[batch, ids]`
 * @returns `"scaled"`: `[batch, ids, 1]` with id / vocabSize; `"embedding"`: the ids
 *   `[batch, ids]`
 * @throws {Error} when `ids` does not hold `batch * ids` numbers
 */
export function idWindowInputs(
  ids: ArrayLike<number>,
  shape: readonly [number, number],
  options: IdInputOptions,
): tf.Tensor {
  const [batch, perWindow] = shape;
  if (ids.length !== batch * perWindow) {
    throw new Error(
      `idWindowInputs: expected ${batch} x ${perWindow} = ${batch * perWindow} ids, ` +
        `got ${ids.length}`,
    );
  }
  const values = runnerIds(ids, options);
  return (options.input ?? "scaled") === "scaled"
    ? tf.tensor3d(values, [batch, perWindow, 1])
    : tf.tensor2d(values, [batch, perWindow]);
}

/**
 * A window of ids as the model's input, batch of one: `[1, ids, 1]` for `"scaled"`, `[1, ids]`
 * for `"embedding"`. The ids are not changed.
 */
export function idsInputs(ids: readonly number[], options: IdInputOptions): tf.Tensor {
  return idWindowInputs(ids, [1, ids.length], options);
}

/**
 * The model's probabilities as logits for sampling: `log p` (a zero probability becomes
 * `-Infinity`, never drawn). Dividing these by a temperature T and taking the softmax is the
 * same as raising the probabilities to `1 / T` and renormalising.
 *
 * @param probs `[vocab]` probabilities (not changed; need not sum exactly to 1)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probabilitiesToLogits, sampleLogits } from "midi-lstm";
 *
 * const logits = probabilitiesToLogits([0.5, 0.5, 0]);
 * assert.deepEqual(Array.from(logits), [Math.log(0.5), Math.log(0.5), -Infinity]);
 * // a token of probability 0 is never drawn, whatever the temperature
 * assert.notEqual(sampleLogits(logits, { temperature: 5, random: () => 0.999 }), 2);
 * ```
 */
export function probabilitiesToLogits(probs: ArrayLike<number>): Float64Array {
  return Float64Array.from(probs as ArrayLike<number>, (p) => p > 0 ? Math.log(p) : -Infinity);
}
