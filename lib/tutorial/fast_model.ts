/**
 * The tutorial model as a run builds and trains it: the lesson's model (`model.ts`) with the
 * engine's fast parts swapped in behind the same interface: the fused LSTM (when
 * `config.lstm` is `"fused"`), the fast seeded orthogonal recurrent kernel, the fused Adam
 * update, and the loss by name for Workers.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { TutorialConfig } from "../config/config.ts";
import { fusedAdam } from "../engine/fused_adam.ts";
import { type LstmFactory, lstmFactory } from "../engine/fused_lstm.ts";
import { initRecurrentOrthogonal } from "../engine/init.ts";
import type { ParallelLossSpec } from "../engine/workers.ts";
import { buildTutorialModel } from "./model.ts";

/** Options for {@linkcode buildFastTutorialModel}. */
export interface BuildFastTutorialModelOptions {
  /**
   * Makes the LSTM layer; swap in another implementation with the same weights.
   * @default {lstmFactory(config.lstm)}
   */
  lstmLayer?: LstmFactory;
}

/**
 * {@linkcode buildTutorialModel} as a run builds it: the LSTM from `config.lstm` and the
 * recurrent kernel filled by `initRecurrentOrthogonal` from `config.seed + 1`, so the same
 * seed gives the same weights as every run before.
 */
export function buildFastTutorialModel(
  config: TutorialConfig,
  options: BuildFastTutorialModelOptions = {},
): tf.LayersModel {
  return buildTutorialModel(config, {
    lstmLayer: options.lstmLayer ?? lstmFactory(config.lstm),
    initRecurrent: initRecurrentOrthogonal,
  });
}

/**
 * The optimiser a run trains with: Adam at `model.learningRate` (`tf.train.adam`'s update,
 * each variable's in one loop: `lib/engine/fused_adam.ts`).
 */
export function fastTutorialOptimizer(config: TutorialConfig): tf.Optimizer {
  return fusedAdam(config.model.learningRate);
}

/**
 * `tutorialLoss(config)` (`model.ts`) by module and name, for training with Workers; every
 * thread computes it with `tutorialBatchLoss(model, config)` (`fast_loss.ts`).
 */
export function tutorialLossSpec(config: TutorialConfig): ParallelLossSpec {
  return {
    module: new URL("./model.ts", import.meta.url).href,
    name: "tutorialLoss",
    args: [config],
    batchLoss: {
      module: new URL("./fast_loss.ts", import.meta.url).href,
      name: "tutorialBatchLoss",
    },
  };
}
