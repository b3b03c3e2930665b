/**
 * The tutorial's loss the fast way, for training: the same values and gradients as
 * {@linkcode tutorialLoss} of `model.ts` on the model's outputs, with the three heads and their
 * losses as one op (`denseHeadsLoss`, `lib/engine/dense_heads.ts`) and the losses in loops over
 * typed arrays. `model.ts` is the lesson; this file is tested to agree with it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TutorialConfig } from "../config/config.ts";
import { denseHeadsLoss, type TypedLossArrays } from "../engine/dense_heads.ts";
import type { BatchLossFunction } from "../train/loop.ts";
import { OUTPUT_NAMES, PITCHES } from "./model.ts";

/**
 * `mseWithPositivePressure` of `model.ts` on typed arrays (a `TypedLoss` of
 * `lib/engine/dense_heads.ts`): returns the mean of `(y - p)^2 + 10 * max(-p, 0)` and writes
 * its gradient with respect to `pred` into `grad`.
 *
 * @param arrays `pred` and `target` `[rows, cols]` seconds (not changed), `grad` (written)
 */
export function mseWithPositivePressureTyped(arrays: TypedLossArrays): number {
  const { pred, target, grad, rows, cols } = arrays;
  const count = rows * cols;
  let sum = 0;
  for (let k = 0; k < count; k++) {
    const p = pred[k];
    const d = target[k] - p;
    sum += d * d + (p < 0 ? -10 * p : 0);
    grad[k] = (-2 * d + (p < 0 ? -10 : 0)) / count;
  }
  return sum / count;
}

/**
 * `sparseCategoricalCrossentropyFromLogits` of `model.ts` on typed arrays (a `TypedLoss`):
 * returns the mean over rows of `-log softmax(logits)[label]` and writes its gradient,
 * `(softmax - oneHot) / rows`, into `grad`.
 *
 * @param arrays `pred`: logits `[rows, cols]` and `target`: `[rows]` class ids (not changed);
 *   `grad` (written)
 */
export function sparseCrossentropyFromLogitsTyped(arrays: TypedLossArrays): number {
  const { pred: logits, target: labels, grad, rows, cols: classes } = arrays;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[o + j]);
    let total = 0;
    for (let j = 0; j < classes; j++) total += grad[o + j] = Math.exp(logits[o + j] - max);
    const label = labels[r];
    sum += Math.log(total) + max - logits[o + label];
    const scale = 1 / (total * rows);
    for (let j = 0; j < classes; j++) grad[o + j] *= scale;
    grad[o + label] -= 1 / rows;
  }
  return sum / rows;
}

/** Share of rows whose largest logit (the first, on ties) is at the label. */
function accuracyOf(logits: Float32Array, labels: Float32Array, classes: number): number {
  const rows = labels.length;
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < classes; j++) {
      if (logits[r * classes + j] > logits[r * classes + best]) best = j;
    }
    if (best === labels[r]) hits++;
  }
  return hits / Math.max(1, rows);
}

/**
 * `tutorialLoss` of `model.ts` computed straight from a batch's inputs, with the three heads and
 * their losses as one op (`denseHeadsLoss` in `lib/engine/dense_heads.ts`): the same values
 * and gradients as `tutorialLoss(config)(ys, model.apply(xs))`, in one op where the tensor
 * form has one per layer and per step of each loss. The training loop takes it as `batchLoss`.
 *
 * @param model a model from `buildTutorialModel` (its layers are read, not changed)
 * @param config the run config, whose `model.lossWeights` weight the heads' losses
 * @throws {Error} when a head of `model` is not a linear Dense layer; the returned function
 *   throws on a pitch label outside 0..127
 */
export function tutorialBatchLoss(
  model: tf.LayersModel,
  config: TutorialConfig,
): BatchLossFunction {
  const weights = config.model.lossWeights;
  const lstm = model.getLayer("lstm");
  // The Dropout layer between the LSTM and the heads (`model.dropout`), when there is one.
  const dropout = model.layers.find((l) => l.getClassName() === "Dropout") ?? null;
  const dense = OUTPUT_NAMES.map((name) => model.getLayer(name));
  for (const layer of dense) {
    const activation = layer.getConfig().activation;
    if (layer.getClassName() !== "Dense" || activation !== "linear") {
      throw new Error(
        `tutorialBatchLoss: expected head "${layer.name}" to be a linear Dense layer, got ` +
          `${layer.getClassName()} (${activation ?? "no activation"})`,
      );
    }
  }
  const classes = PITCHES;
  // The LSTM's input: the model's input itself ("scaled"), or what the layers before the LSTM
  // (the pitch embedding beside step and duration) make of the model's inputs.
  const lstmInput = lstm.input as tf.SymbolicTensor;
  const before = model.inputs.length === 1 && model.inputs[0] === lstmInput
    ? null
    : tf.model({ inputs: model.inputs, outputs: lstmInput });
  return (xs, ys, training) => {
    const y = ys as { pitch: tf.Tensor; step: tf.Tensor; duration: tf.Tensor };
    const notes = before ? before.apply(xs, { training }) as tf.Tensor : xs;
    let hidden = lstm.apply(notes, { training }) as tf.Tensor2D;
    if (dropout) hidden = dropout.apply(hidden, { training }) as tf.Tensor2D;
    const [kp, bp] = dense[0].trainableWeights.map((w) => w.read());
    const [ks, bs] = dense[1].trainableWeights.map((w) => w.read());
    const [kd, bd] = dense[2].trainableWeights.map((w) => w.read());
    const labels = Float32Array.from(y.pitch.dataSync());
    const wrong = labels.findIndex((p) => !(p >= 0 && p < classes && Number.isInteger(p)));
    if (wrong >= 0) {
      throw new Error(
        `tutorialBatchLoss: expected pitch labels 0..${classes - 1}, got ${labels[wrong]} ` +
          `at row ${wrong}`,
      );
    }
    const heads = denseHeadsLoss(hidden, [
      {
        kernel: kp as tf.Tensor2D,
        bias: bp as tf.Tensor1D,
        target: labels,
        loss: sparseCrossentropyFromLogitsTyped,
        weight: weights.pitch,
      },
      {
        kernel: ks as tf.Tensor2D,
        bias: bs as tf.Tensor1D,
        target: y.step.dataSync() as Float32Array,
        loss: mseWithPositivePressureTyped,
        weight: weights.step,
      },
      {
        kernel: kd as tf.Tensor2D,
        bias: bd as tf.Tensor1D,
        target: y.duration.dataSync() as Float32Array,
        loss: mseWithPositivePressureTyped,
        weight: weights.duration,
      },
    ]);
    const [pitchLoss, stepLoss, durationLoss] = heads.parts;
    return {
      loss: heads.loss,
      pitch_loss: tf.scalar(pitchLoss),
      step_loss: tf.scalar(stepLoss),
      duration_loss: tf.scalar(durationLoss),
      pitch_accuracy: tf.scalar(accuracyOf(heads.outputs[0], labels, classes)),
    };
  };
}
