/**
 * The one way this project gets numbers out of a `tf.tidy`: return the tensors from the tidy,
 * then read and dispose them. Handed typed arrays instead, `tf.tidy` visits every element of
 * its result looking for tensors, which for a large result costs far more than the product.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Runs `f` inside `tf.tidy`, reads the tensors it returns (in order) and disposes them.
 *
 * @returns each tensor's values as the backend reads them (`dataSync`): a fresh copy on wasm,
 *   the tensor's own array on cpu (nothing writes it after the dispose); copy before changing
 *   one that a later tensor may be built on
 */
export function readTidy(f: () => tf.Tensor[]): Float32Array[] {
  const tensors = tf.tidy(f);
  try {
    return tensors.map((t) => t.dataSync() as Float32Array);
  } finally {
    tf.dispose(tensors);
  }
}
