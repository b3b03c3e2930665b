/**
 * Fixtures shared by the model file tests: small models with two LSTMs, and helpers to list a
 * folder and to patch a function for the duration of a call.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { lstmFactory } from "../../lib/engine/fused_lstm.ts";

/** The file names in `dir`, sorted. */
export function listFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Replaces `obj[key]` for the duration of `f`. */
export async function patched<T extends object, K extends keyof T, R>(
  obj: T,
  key: K,
  replacement: T[K],
  f: () => Promise<R>,
): Promise<R> {
  const saved = obj[key];
  obj[key] = replacement;
  try {
    return await f();
  } finally {
    obj[key] = saved;
  }
}

/** A classic-shaped model: two LSTMs (one with recurrent dropout) and a dense head. */
export function stackedLstmModel(kind: "layers" | "fused"): tf.LayersModel {
  const lstm = lstmFactory(kind);
  const input = tf.input({ shape: [6, 2], name: "tokens" });
  const a = lstm({ units: 5, returnSequences: true, recurrentDropout: 0.2, name: "lstm_1" })
    .apply(input) as tf.SymbolicTensor;
  const b = lstm({ units: 4, recurrentActivation: "sigmoid", name: "lstm_2" })
    .apply(a) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: "head" }).apply(b) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "stacked" });
}

/** A fixed `[2, 6, 2]` input for {@linkcode stackedLstmModel}. */
export function stackedInput(): tf.Tensor {
  return tf.tensor3d(Array.from({ length: 2 * 6 * 2 }, (_, i) => Math.cos(i)), [2, 6, 2]);
}

/** The class name of each layer of `model`. */
export function layerClasses(model: tf.LayersModel): string[] {
  return model.layers.map((l) => l.getClassName());
}
