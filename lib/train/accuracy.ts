/**
 * Accuracy of class predictions: a metric logged beside the losses of both families.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Share of rows whose highest score is the label (a metric, logged beside the losses; it has
 * no gradient and is not minimised).
 *
 * @param labels `[batch]` or `[batch, 1]` integer class ids
 * @param scores `[batch, classes]` logits or probabilities
 * @returns a scalar in [0, 1]
 */
export function sparseAccuracy(labels: tf.Tensor, scores: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const ids = tf.cast(tf.reshape(labels, [-1]), "int32");
    return tf.mean(tf.cast(tf.equal(tf.argMax(scores, -1), ids), "float32")) as tf.Scalar;
  });
}
