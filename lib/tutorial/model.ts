/**
 * The tutorial model: an LSTM reads a window of notes and three heads predict the next
 * note's pitch (128 logits), step and duration. Its loss: cross-entropy on the pitch logits,
 * and mean squared error with "positive pressure" on step and duration, which also punishes
 * negative predictions (a note cannot start before the previous one, nor last less than
 * nothing).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TutorialConfig } from "../config/config.ts";
import type { LossFunction } from "../train/loop.ts";
import { sparseAccuracy } from "../train/accuracy.ts";

/** Options for {@linkcode buildTutorialModel}: faster parts with the same interface. */
export interface BuildTutorialModelOptions {
  /**
   * Makes the LSTM layer; swap in another implementation with the same weights (a run
   * passes the fused one of `lib/engine/fused_lstm.ts` when `config.lstm` is `"fused"`).
   * @default {tf.layers.lstm}
   */
  lstmLayer?: (config: Parameters<typeof tf.layers.lstm>[0]) => tf.layers.Layer;
  /**
   * Fills the LSTM layer's recurrent kernel after the build, from the seed `config.seed + 1`
   * (a run passes the fast seeded orthogonal fill `initRecurrentOrthogonal` of
   * `lib/engine/init.ts`). Without it, tfjs's seeded orthogonal initialiser fills the kernel
   * as the layer builds, as Keras does (seconds already at 128 units on the cpu backend).
   * @default {undefined}
   */
  initRecurrent?: (lstms: tf.layers.Layer[], seed: number) => void;
}

/** Pitches the model predicts between (MIDI 0..127): the width of its pitch logits. */
export const PITCHES = 128;

/** Names of the model's outputs, in order. */
export const OUTPUT_NAMES = ["pitch", "step", "duration"] as const;

/**
 * Builds the tutorial model (train it with {@linkcode tutorialLoss} and
 * {@linkcode tutorialOptimizer}).
 *
 * Its input follows `config.model.input`:
 * - `"scaled"` (the source tutorial): one input `notes` `[batch, sequenceLength, 3]` (pitch /
 *   pitchScale, stepSec, durationSec) read by the LSTM;
 * - `"embedding"`: inputs `pitch_ids` `[batch, sequenceLength]` (MIDI pitches) and `timing`
 *   `[batch, sequenceLength, 2]` (stepSec, durationSec); an Embedding layer turns each pitch
 *   into a learned vector of `model.embeddingSize` numbers, which the LSTM reads beside step
 *   and duration.
 *
 * With `model.dropout` above 0 a Dropout layer sits between the LSTM and the heads.
 * Outputs `pitch` `[batch, 128]` logits, `step` `[batch, 1]` and `duration` `[batch, 1]`
 * seconds. Weight initialisation is seeded by `config.seed`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildTutorialModel, resolveTutorialConfig, selectBackend } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 *
 * const config = resolveTutorialConfig({
 *   model: { sequenceLength: 10, lstmUnits: 16, input: "scaled" },
 * });
 * const model = buildTutorialModel(config);
 * assert.deepEqual(model.inputs[0].shape, [null, 10, 3]); // [batch, notes, 3]
 * assert.deepEqual(model.outputs.map((o) => o.shape), [[null, 128], [null, 1], [null, 1]]);
 * model.dispose();
 * ```
 */
export function buildTutorialModel(
  config: TutorialConfig,
  options: BuildTutorialModelOptions = {},
): tf.LayersModel {
  const seed = config.seed;
  const { sequenceLength, embeddingSize } = config.model;
  const lstmLayer = options.lstmLayer ?? ((c) => tf.layers.lstm(c));
  const initRecurrent = options.initRecurrent;
  let inputs: tf.SymbolicTensor[];
  let notes: tf.SymbolicTensor;
  if (config.model.input === "embedding") {
    const pitchIds = tf.input({ shape: [sequenceLength], name: "pitch_ids" });
    const timing = tf.input({ shape: [sequenceLength, 2], name: "timing" });
    const vectors = tf.layers.embedding({
      inputDim: PITCHES,
      outputDim: embeddingSize,
      name: "pitch_embedding",
      embeddingsInitializer: tf.initializers.randomUniform({
        minval: -0.05,
        maxval: 0.05,
        seed: seed + 5,
      }),
    }).apply(pitchIds) as tf.SymbolicTensor;
    notes = tf.layers.concatenate({ name: "note_vectors" }).apply([
      vectors,
      timing,
    ]) as tf.SymbolicTensor;
    inputs = [pitchIds, timing];
  } else {
    notes = tf.input({ shape: [sequenceLength, 3], name: "notes" });
    inputs = [notes];
  }
  const lstm = lstmLayer({
    units: config.model.lstmUnits,
    name: "lstm",
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    // With initRecurrent, filled after the build instead.
    recurrentInitializer: initRecurrent
      ? "zeros"
      : tf.initializers.orthogonal({ seed: seed + 1, gain: 1 }),
  });
  let hidden = lstm.apply(notes) as tf.SymbolicTensor;
  if (config.model.dropout > 0) {
    const rate = config.model.dropout;
    hidden = tf.layers.dropout({ rate, seed: seed + 6, name: "dropout" }).apply(
      hidden,
    ) as tf.SymbolicTensor;
  }
  const head = (name: string, units: number, k: number) =>
    tf.layers.dense({
      units,
      name,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + k }),
    }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({
    inputs,
    outputs: [head("pitch", PITCHES, 2), head("step", 1, 3), head("duration", 1, 4)],
    name: "tutorial",
  });
  initRecurrent?.([lstm], seed + 1);
  return model;
}

/**
 * The tutorial's optimiser: `tf.train.adam` at `model.learningRate` (a run trains with it
 * through `fastOptimizer` of `lib/engine/fast_parts.ts`: the same update, a loop per variable).
 */
export function tutorialOptimizer(config: TutorialConfig): tf.Optimizer {
  return tf.train.adam(config.model.learningRate);
}

/**
 * Mean over the batch of `(y - p)^2 + 10 * max(-p, 0)`.
 *
 * @param yTrue `[batch, 1]` targets (seconds)
 * @param yPred `[batch, 1]` predictions (seconds)
 * @returns a scalar
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { mseWithPositivePressure, selectBackend } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 *
 * // a step predicted 0.1 s too late costs 0.01; one predicted at -0.1 s costs 0.01 + 10 * 0.1
 * const late = mseWithPositivePressure(tf.tensor2d([[0]]), tf.tensor2d([[0.1]]));
 * const negative = mseWithPositivePressure(tf.tensor2d([[0]]), tf.tensor2d([[-0.1]]));
 * assert.ok(Math.abs(late.dataSync()[0] - 0.01) < 1e-6);
 * assert.ok(Math.abs(negative.dataSync()[0] - 1.01) < 1e-6);
 * ```
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
 * The tutorial model's loss, weighted by the config's `model.lossWeights`: `pitch_loss`,
 * `step_loss`, `duration_loss` and their weighted sum `loss`, plus the metric
 * `pitch_accuracy`. Targets are `{pitch: [batch], step: [batch, 1], duration: [batch, 1]}`;
 * outputs are `[pitchLogits, step, duration]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { resolveTutorialConfig, selectBackend, tutorialLoss } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 *
 * const config = resolveTutorialConfig(); // model.lossWeights: pitch 0.05, step 1, duration 1
 * const loss = tutorialLoss(config);
 * const half = tf.tensor2d([[0.5]]);
 * const ys = { pitch: tf.tensor1d([60], "int32"), step: half, duration: half };
 * // uniform pitch logits: the pitch loss is ln 128; step and duration are exact
 * const parts = loss(ys, [tf.zeros([1, 128]), half, half]);
 * assert.ok(Math.abs(parts.pitch_loss.dataSync()[0] - Math.log(128)) < 1e-5);
 * assert.ok(Math.abs(parts.loss.dataSync()[0] - 0.05 * Math.log(128)) < 1e-5);
 * ```
 */
export function tutorialLoss(config: TutorialConfig): LossFunction {
  const weights = config.model.lossWeights;
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
