/**
 * What `parallel_train.ts` and its workers send each other: tensors as plain typed arrays,
 * and losses by name (a closure cannot cross to a Worker).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { classicLoss } from "./classic_model.ts";
import {
  DEFAULT_LOSS_WEIGHTS,
  type LossFunction,
  type LossWeights,
  sparseAccuracy,
  tutorialLoss,
} from "./loss.ts";

/**
 * A loss a worker can rebuild: `"tutorial"` is `tutorialLoss(weights)` of `loss.ts`;
 * `"classic"` is `classicTrainLoss()` of `classic.ts` (cross-entropy on probabilities as
 * `loss`, and the metric `accuracy`).
 */
export type ParallelLossSpec =
  | { kind: "tutorial"; weights?: LossWeights }
  | { kind: "classic" };

/** A tensor as data that can be posted to a Worker. */
export interface PlainTensor {
  dtype: tf.DataType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** A tensor or a (nested) record of tensors, as plain data. */
export type PlainTensorContainer = PlainTensor | { [key: string]: PlainTensorContainer };

function isPlainTensor(v: unknown): v is PlainTensor {
  return typeof v === "object" && v !== null && "dtype" in v && "shape" in v && "data" in v;
}

/**
 * The loss function a spec names.
 *
 * @throws {Error} when `spec.kind` is neither `"tutorial"` nor `"classic"`
 */
export function lossFromSpec(spec: ParallelLossSpec): LossFunction {
  if (spec?.kind === "tutorial") return tutorialLoss(spec.weights ?? DEFAULT_LOSS_WEIGHTS);
  if (spec?.kind === "classic") {
    return (ys, [probs]) => ({
      loss: classicLoss(ys as tf.Tensor, probs),
      accuracy: sparseAccuracy(ys as tf.Tensor, probs),
    });
  }
  throw new Error(
    `parallel loss: expected {kind: "tutorial"} or {kind: "classic"}, got ${JSON.stringify(spec)}`,
  );
}

/**
 * Rows `[start, end)` of a tensor or of every tensor of a record, copied into plain arrays
 * (the inputs are not changed).
 */
export function sliceToPlain(
  value: tf.TensorContainer,
  start: number,
  end: number,
): PlainTensorContainer {
  if (value instanceof tf.Tensor) {
    const rowSize = value.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = value.dataSync().slice(start * rowSize, end * rowSize);
    return {
      dtype: value.dtype,
      shape: [end - start, ...value.shape.slice(1)],
      data: data as PlainTensor["data"],
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`parallel batch: expected a tensor or a record of tensors, got ${value}`);
  }
  const out: Record<string, PlainTensorContainer> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = sliceToPlain(v as tf.TensorContainer, start, end);
  }
  return out;
}

/** Rows `[start, end)` as tensors (the inputs are not changed). */
export function sliceTensors(
  value: tf.TensorContainer,
  start: number,
  end: number,
): tf.TensorContainer {
  if (value instanceof tf.Tensor) return tf.slice(value, start, end - start);
  const out: Record<string, tf.TensorContainer> = {};
  for (const [k, v] of Object.entries(value as Record<string, tf.TensorContainer>)) {
    out[k] = sliceTensors(v, start, end);
  }
  return out;
}

/** Buffers of a plain container, to transfer rather than copy. */
export function buffersOf(value: PlainTensorContainer): ArrayBuffer[] {
  if (isPlainTensor(value)) return [value.data.buffer as ArrayBuffer];
  return Object.values(value).flatMap(buffersOf);
}

/** Tensors from plain data (call inside `tf.tidy` or dispose them). */
export function toTensorContainer(value: PlainTensorContainer): tf.TensorContainer {
  if (isPlainTensor(value)) return tf.tensor(value.data, value.shape, value.dtype);
  const out: Record<string, tf.TensorContainer> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toTensorContainer(v);
  return out;
}
