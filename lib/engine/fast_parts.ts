/**
 * The fast parts a run swaps into a family's lesson, behind the lesson's own interfaces:
 * {@linkcode fastModelOptions} for its `build*Model` (the LSTM the config names, the fast
 * seeded orthogonal recurrent kernels) and {@linkcode fastOptimizer} for its optimiser (the
 * fused Adam update in place of `tf.train.adam`'s). The fused LSTM holds the same weights as
 * `tf.layers.lstm` and the fused Adam makes the same updates (within float32 rounding); the
 * recurrent kernels are orthogonal like tfjs's own initialiser's but drawn differently
 * (`initRecurrentOrthogonal`, much faster), the same for the same seed in every run.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { FusedAdam, fusedAdam } from "./fused_adam.ts";
import { type LstmFactory, lstmFactory } from "./fused_lstm.ts";
import { initRecurrentOrthogonal } from "./init.ts";

/** What {@linkcode fastModelOptions} gives a family's `build*Model`. */
export interface FastModelOptions {
  /** Makes each LSTM layer. */
  lstmLayer: LstmFactory;
  /** Fills the LSTM layers' recurrent kernels after the build (`initRecurrentOrthogonal`). */
  initRecurrent: (lstms: tf.layers.Layer[], seed: number) => void;
}

/**
 * The build options of a run's model: LSTM layers from `lstm` (a config's `lstm` setting,
 * `"layers"` or `"fused"`, or a factory such as one that seeds dropout), and recurrent kernels
 * filled by `initRecurrentOrthogonal` from the config's seed (as every run has been built, so
 * a seed gives the weights it always gave; tfjs's own orthogonal initialiser, the lesson's
 * default, draws other kernels and takes seconds at 128 units).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildTutorialModel, resolveTutorialConfig, selectBackend } from "midi-lstm";
 * import { fastModelOptions } from "midi-lstm/engine";
 *
 * await selectBackend({ backend: "cpu" });
 * const config = resolveTutorialConfig({
 *   lstm: "fused",
 *   model: { sequenceLength: 4, lstmUnits: 8, input: "scaled" },
 * });
 * const model = buildTutorialModel(config, fastModelOptions(config.lstm));
 * assert.equal(model.getLayer("lstm").getClassName(), "FusedLSTM");
 * model.dispose();
 * ```
 */
export function fastModelOptions(lstm: "layers" | "fused" | LstmFactory): FastModelOptions {
  return {
    lstmLayer: typeof lstm === "function" ? lstm : lstmFactory(lstm),
    initRecurrent: initRecurrentOrthogonal,
  };
}

/** The `tf.AdamOptimizer` fields {@linkcode fastOptimizer} reads (protected in tfjs's types). */
interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * The optimiser a run trains with, for the lesson's `optimizer`: a `tf.train.adam` becomes a
 * fused Adam (`fused_adam.ts`) with its learning rate, betas and epsilon, the same updates
 * with each variable's in one loop (the given one is disposed); any other optimiser (RMSprop,
 * or an Adam that is already fused) is returned as it is.
 *
 * @param optimizer the lesson's optimiser, not yet used
 */
export function fastOptimizer(optimizer: tf.Optimizer): tf.Optimizer {
  // By class, not `instanceof`: tfjs answers `instanceof` for optimisers by their methods alone.
  if (optimizer.constructor === FusedAdam || optimizer.getClassName() !== "Adam") return optimizer;
  const { learningRate, beta1, beta2, epsilon } = optimizer as unknown as AdamSettings;
  optimizer.dispose();
  return fusedAdam(learningRate, { beta1, beta2, epsilon });
}
