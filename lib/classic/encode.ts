/**
 * The one place tokens become the model's numbers and back. A token (`"E4"`, `"4.9"`) becomes
 * its id in the vocabulary (`encodeTokens` of `lib/music/vocabulary.ts`), and the model reads
 * each id divided by the vocabulary size, so inputs land in [0, 1). The model answers with one
 * probability per id; the id drawn becomes a token again (`decodeIds`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

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

/** A window of ids as the model's input tensor `[1, ids, 1]`. */
export function idsTensor(ids: readonly number[], vocabSize: number): tf.Tensor3D {
  return tf.tensor3d(encodeIds(ids, vocabSize), [1, ids.length, 1]);
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
