/**
 * The classic model as a run builds and trains it: the lesson's model (`model.ts`) with the
 * engine's fast parts swapped in behind the same interface: the fused LSTM (when
 * `config.lstm` is `"fused"`), the fast seeded orthogonal recurrent kernels, the fused Adam
 * update, and the loss by name for Workers.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassicConfig } from "../config/config.ts";
import { fusedAdam } from "../engine/fused_adam.ts";
import { type LstmFactory, lstmFactory } from "../engine/fused_lstm.ts";
import { initRecurrentOrthogonal } from "../engine/init.ts";
import type { ParallelLossSpec } from "../engine/workers.ts";
import { buildClassicModel } from "./model.ts";

/** Options for {@linkcode buildFastClassicModel}. */
export interface BuildFastClassicModelOptions {
  /** Number of tokens in the vocabulary: the width of the softmax. Required. */
  vocabSize: number;
  /**
   * Makes each LSTM layer; swap in another implementation with the same weights.
   * @default {lstmFactory(config.lstm)}
   */
  lstmLayer?: LstmFactory;
}

/**
 * {@linkcode buildClassicModel} as a run builds it: the LSTMs from `config.lstm` and the
 * recurrent kernels filled by `initRecurrentOrthogonal` from `config.seed + 1`, so the same
 * seed gives the same weights as every run before.
 *
 * @throws {Error} as {@linkcode buildClassicModel}
 */
export function buildFastClassicModel(
  config: ClassicConfig,
  options: BuildFastClassicModelOptions,
): tf.LayersModel {
  return buildClassicModel(config, {
    vocabSize: options.vocabSize,
    lstmLayer: options.lstmLayer ?? lstmFactory(config.lstm),
    initRecurrent: initRecurrentOrthogonal,
  });
}

/**
 * The optimiser a run trains with: RMSprop (`tf.train.rmsprop`) or Adam (`tf.train.adam`'s
 * update, each variable's in one loop: `lib/engine/fused_adam.ts`) at `model.learningRate`.
 */
export function fastClassicOptimizer(config: ClassicConfig): tf.Optimizer {
  const { optimizer, learningRate } = config.model;
  return optimizer === "adam" ? fusedAdam(learningRate) : tf.train.rmsprop(learningRate);
}

/** `classicLoss(config)` (`model.ts`) by module and name, for training with Workers. */
export function classicLossSpec(config: ClassicConfig): ParallelLossSpec {
  return {
    module: new URL("./model.ts", import.meta.url).href,
    name: "classicLoss",
    args: [config],
  };
}
