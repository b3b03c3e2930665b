/**
 * How a model reads pitches or tokens, told by the model itself: `"embedding"` when it looks
 * them up in a learned table (`tf.layers.embedding`), else `"scaled"` (one number each). A
 * saved model therefore brings its encoding with it, whatever config it is used with.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ModelInput } from "../config/classic_presets.ts";

/**
 * `"embedding"` when `model` holds an Embedding layer, else `"scaled"`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "midi-lstm";
 * import { modelInputOf } from "midi-lstm/train";
 *
 * await selectBackend({ backend: "cpu" });
 * const ids = tf.input({ shape: [4] });
 * const vectors = tf.layers.embedding({ inputDim: 10, outputDim: 2 }).apply(ids);
 * const model = tf.model({ inputs: ids, outputs: vectors as tf.SymbolicTensor });
 * if (modelInputOf(model) !== "embedding") throw new Error("expected embedding");
 * ```
 */
export function modelInputOf(model: tf.LayersModel): ModelInput {
  return model.layers.some((l) => l.getClassName() === "Embedding") ? "embedding" : "scaled";
}
