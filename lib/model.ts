/**
 * The tutorial model: an LSTM reads a window of notes and three heads predict the next
 * note's pitch (128 logits), step and duration.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TutorialConfig } from "./config.ts";
import { initRecurrentOrthogonal } from "./_init.ts";
import { fusedLstm } from "./fused_lstm.ts";
import { mseWithPositivePressure, sparseCategoricalCrossentropyFromLogits } from "./loss.ts";

/** Builds an LSTM layer from a tf.layers.lstm-style config. */
export type LstmFactory = (config: Parameters<typeof tf.layers.lstm>[0]) => tf.layers.Layer;

/**
 * The LSTM factory for a config's `lstm` setting: `"layers"` is `tf.layers.lstm`, `"fused"`
 * the project's fused layer (same weights, much faster training; see `fused_lstm.ts`).
 */
export function lstmFactory(kind: "layers" | "fused"): LstmFactory {
  return kind === "fused" ? fusedLstm : (c) => tf.layers.lstm(c);
}

/** Options for {@linkcode buildTutorialModel}. */
export interface BuildModelOptions {
  /**
   * Makes the LSTM layer; swap in another implementation with the same weights.
   * @default {lstmFactory(config.lstm)}
   */
  lstmLayer?: LstmFactory;
  /**
   * Compile the model with its losses and Adam optimiser.
   * @default {true}
   */
  compile?: boolean;
}

/** Names of the model's outputs, in order. */
export const OUTPUT_NAMES = ["pitch", "step", "duration"] as const;

/**
 * Builds (and by default compiles) the tutorial model.
 *
 * Input `[batch, seqLength, 3]` (pitch / 128, stepSec, durationSec); outputs `pitch`
 * `[batch, 128]` logits, `step` `[batch, 1]` and `duration` `[batch, 1]` seconds.
 * Weight initialisation is seeded by `config.seed`.
 */
export function buildTutorialModel(
  config: TutorialConfig,
  options: BuildModelOptions = {},
): tf.LayersModel {
  const seed = config.seed;
  const lstmLayer = options.lstmLayer ?? lstmFactory(config.lstm);
  const input = tf.input({ shape: [config.dataset.seqLength, 3], name: "notes" });
  const lstm = lstmLayer({
    units: config.model.lstmUnits,
    name: "lstm",
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    // Filled with a fast seeded orthogonal matrix below (tfjs's own is very slow).
    recurrentInitializer: "zeros",
  });
  const hidden = lstm.apply(input) as tf.SymbolicTensor;
  const head = (name: string, units: number, k: number) =>
    tf.layers.dense({
      units,
      name,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + k }),
    }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({
    inputs: input,
    outputs: [head("pitch", 128, 2), head("step", 1, 3), head("duration", 1, 4)],
    name: "tutorial",
  });
  initRecurrentOrthogonal([lstm], seed + 1);
  if (options.compile ?? true) compileTutorialModel(model, config);
  return model;
}

/**
 * Compiles a tutorial model with Adam, cross-entropy on pitch and `mseWithPositivePressure`
 * on step and duration. tfjs has no `lossWeights`, so each head's loss is multiplied by its
 * weight here (Keras would report the unweighted per-head losses). Changes `model` in place.
 */
export function compileTutorialModel(model: tf.LayersModel, config: TutorialConfig): void {
  const w = config.model.lossWeights;
  const weighted =
    (weight: number, fn: (y: tf.Tensor, p: tf.Tensor) => tf.Scalar) =>
    (y: tf.Tensor, p: tf.Tensor) => tf.tidy(() => tf.mul(weight, fn(y, p)) as tf.Scalar);
  model.compile({
    optimizer: tf.train.adam(config.model.learningRate),
    loss: {
      pitch: weighted(w.pitch, sparseCategoricalCrossentropyFromLogits),
      step: weighted(w.step, mseWithPositivePressure),
      duration: weighted(w.duration, mseWithPositivePressure),
    },
  });
}

/** One row of a model summary. */
export interface LayerSummary {
  layer: string;
  type: string;
  outputShape: string;
  params: number;
}

/** The model's layers as table rows (name, type, output shape, parameter count). */
export function modelSummaryRows(model: tf.LayersModel): LayerSummary[] {
  return model.layers.map((l) => ({
    layer: l.name,
    type: l.getClassName(),
    outputShape: JSON.stringify(l.outputShape).replaceAll("null", "batch"),
    params: l.countParams(),
  }));
}
