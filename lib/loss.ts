/**
 * The tutorial family's losses: cross-entropy on pitch logits, and mean squared error with
 * "positive pressure" on step and duration, which also punishes negative predictions
 * (a note cannot start before the previous one, nor last less than nothing).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Mean over the batch of `(y - p)^2 + 10 * max(-p, 0)`.
 *
 * @param yTrue `[batch, 1]` targets (seconds)
 * @param yPred `[batch, 1]` predictions (seconds)
 * @returns a scalar
 */
export function mseWithPositivePressure(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const mse = tf.squaredDifference(yTrue, yPred);
    const positivePressure = tf.mul(10, tf.relu(tf.neg(yPred)));
    return tf.mean(tf.add(mse, positivePressure)) as tf.Scalar;
  });
}

/**
 * Sparse categorical cross-entropy computed from logits: the mean over the batch of
 * `-log softmax(logits)[label]`. One-hot rows exist only inside this call.
 *
 * @param labels `[batch]` or `[batch, 1]` integer class ids
 * @param logits `[batch, classes]` unnormalised scores
 * @returns a scalar
 */
export function sparseCategoricalCrossentropyFromLogits(
  labels: tf.Tensor,
  logits: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.shape.length - 1]!;
    const ids = tf.cast(tf.reshape(labels, [-1]), "int32");
    const oneHot = tf.oneHot(ids, classes);
    return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
  });
}

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

/** Weights of the three heads in the total loss. */
export interface LossWeights {
  /** @default {0.05} */
  pitch: number;
  /** @default {1} */
  step: number;
  /** @default {1} */
  duration: number;
}

/** The tutorial's loss weights: pitch is scaled down so the three losses are comparable. */
export const DEFAULT_LOSS_WEIGHTS: LossWeights = { pitch: 0.05, step: 1, duration: 1 };

/**
 * Losses (and metrics such as accuracy) of one batch by name; `loss` is the total that is
 * minimised, the others are logged.
 */
export type LossParts = { loss: tf.Scalar } & Record<string, tf.Scalar>;

/** Computes a model's losses from a batch's targets and the model's outputs (in order). */
export type LossFunction = (ys: tf.TensorContainer, outputs: tf.Tensor[]) => LossParts;

/**
 * The tutorial model's loss: `pitch_loss`, `step_loss`, `duration_loss` and their weighted
 * sum `loss`, plus the metric `pitch_accuracy`. Targets are `{pitch: [batch], step: [batch, 1], duration: [batch, 1]}`;
 * outputs are `[pitchLogits, step, duration]`.
 */
export function tutorialLoss(weights: LossWeights = DEFAULT_LOSS_WEIGHTS): LossFunction {
  return (ys, outputs) => {
    const y = ys as { pitch: tf.Tensor; step: tf.Tensor; duration: tf.Tensor };
    const [pitch, step, duration] = outputs;
    const parts = {
      pitch_loss: sparseCategoricalCrossentropyFromLogits(y.pitch, pitch),
      step_loss: mseWithPositivePressure(y.step, step),
      duration_loss: mseWithPositivePressure(y.duration, duration),
    };
    const loss = tf.addN([
      tf.mul(weights.pitch, parts.pitch_loss),
      tf.mul(weights.step, parts.step_loss),
      tf.mul(weights.duration, parts.duration_loss),
    ]) as tf.Scalar;
    return { loss, ...parts, pitch_accuracy: sparseAccuracy(y.pitch, pitch) };
  };
}
