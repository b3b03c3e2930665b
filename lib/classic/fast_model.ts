/**
 * The classic model as a run builds and trains it: the lesson's model (`model.ts`) with the
 * engine's fast parts swapped in behind the same interface: the fast seeded orthogonal
 * recurrent kernels, the fused Adam update, and the loss by name for Workers.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassicModelConfig, ClassicPreset } from "../config/classic_presets.ts";
import { fusedAdam } from "../engine/fused_adam.ts";
import { initRecurrentOrthogonal } from "../engine/init.ts";
import type { ParallelLossSpec } from "../engine/workers.ts";
import { buildClassicModel, type BuildClassicModelOptions } from "./model.ts";

/**
 * {@linkcode buildClassicModel} as a run builds it: the recurrent kernels filled by
 * `initRecurrentOrthogonal` from `seed + 1`, so the same seed gives the same weights as every
 * run before. `options.lstmLayer` is passed on (a run passes `lstmFactory(config.lstm)`).
 *
 * @throws {Error} as {@linkcode buildClassicModel}
 */
export function buildFastClassicModel(
  config: ClassicModelConfig | ClassicPreset,
  options: BuildClassicModelOptions,
): tf.LayersModel {
  return buildClassicModel(config, { ...options, initRecurrent: initRecurrentOrthogonal });
}

/**
 * The optimiser a run trains with: RMSprop (`tf.train.rmsprop`) or Adam (`tf.train.adam`'s
 * update, each variable's in one loop: `lib/engine/fused_adam.ts`) at the config's learning
 * rate.
 */
export function fastClassicOptimizer(config: ClassicModelConfig): tf.Optimizer {
  return config.optimizer === "adam"
    ? fusedAdam(config.learningRate)
    : tf.train.rmsprop(config.learningRate);
}

/** `classicTrainLoss` (`model.ts`) by module and name, for training with Workers. */
export function classicLossSpec(): ParallelLossSpec {
  return { module: new URL("./model.ts", import.meta.url).href, name: "classicTrainLoss" };
}
