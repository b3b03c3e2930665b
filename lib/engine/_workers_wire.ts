/**
 * What `workers.ts` and its Workers send each other: tensors as plain typed arrays, and
 * losses by module and name (a closure cannot cross to a Worker).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * A loss a Worker can rebuild: the module that exports it (a URL, e.g.
 * `import.meta.resolve("../tutorial/model.ts")`), the name of an exported function that
 * returns the loss function, and that function's arguments (plain JSON values).
 */
export interface ParallelLossSpec {
  module: string;
  name: string;
  /** @default {[]} */
  args?: unknown[];
  /**
   * A function `(model, ...args) => ParallelBatchLoss` by module and name, with its own
   * `args` (the spec's `args` when it has none): the same losses computed from a batch's
   * inputs by a faster path (e.g. `denseHeadsBatchLoss` of `heads_batch_loss.ts`, named by
   * its `denseHeadsBatchLossSpec`), which every thread then uses for its slice.
   * @default {none: the loss of the model's outputs}
   */
  batchLoss?: { module: string; name: string; args?: unknown[] };
}

/** Losses (and metrics) of one batch by name; `loss` is the total that is minimised. */
export type ParallelLossParts = { loss: tf.Scalar } & Record<string, tf.Scalar>;

/** A loss function as the Workers call it: a batch's targets and the model's outputs. */
export type ParallelLoss = (ys: tf.TensorContainer, outputs: tf.Tensor[]) => ParallelLossParts;

/** A batch's losses computed from its inputs and targets (see `ParallelLossSpec.batchLoss`). */
export type ParallelBatchLoss = (
  xs: tf.Tensor | tf.Tensor[],
  ys: tf.TensorContainer,
  training: boolean,
) => ParallelLossParts;

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
 * The loss function a spec names, imported from its module.
 *
 * @throws {Error} naming the spec when the module cannot be imported or does not export a
 *   function of that name
 */
export async function lossFromSpec(spec: ParallelLossSpec): Promise<ParallelLoss> {
  const described = JSON.stringify(spec);
  if (typeof spec?.module !== "string" || typeof spec?.name !== "string") {
    throw new Error(`parallel loss: expected {module, name, args?}, got ${described}`);
  }
  const make = await importFunction(spec.module, spec.name);
  return make(...(spec.args ?? [])) as ParallelLoss;
}

/**
 * The function `name` exported by `module`.
 *
 * @throws {Error} naming the module when it cannot be imported or exports no such function
 */
async function importFunction(
  module: string,
  name: string,
): Promise<(...args: unknown[]) => unknown> {
  let exported: unknown;
  try {
    exported = (await import(module))[name];
  } catch (e) {
    throw new Error(`parallel loss: cannot import ${module}: ${(e as Error).message}`);
  }
  if (typeof exported !== "function") {
    throw new Error(`parallel loss: ${module} exports no function ${name}`);
  }
  return exported as (...args: unknown[]) => unknown;
}

/** `loss` of `model`'s outputs, as a function of a batch's inputs (`model.apply`, then `loss`). */
export function outputsLoss(model: tf.LayersModel, loss: ParallelLoss): ParallelBatchLoss {
  return (xs, ys, training) => {
    const out = model.apply(xs, { training }) as tf.Tensor | tf.Tensor[];
    return loss(ys, Array.isArray(out) ? out : [out]);
  };
}

/**
 * A batch's losses with `training` true and the gradient of their total (a type, not an
 * interface, so that `tf.tidy` may return it).
 */
export type LossGradients = {
  /** `loss`, the total the gradient is of (caller disposes). */
  value: tf.Scalar;
  /** Gradient of `value` per variable name (caller disposes). */
  grads: tf.NamedTensorMap;
  /** The other losses by name, kept out of the tape's scope (caller disposes). */
  kept: Record<string, tf.Scalar>;
};

/**
 * `lossOf` on a batch with `training` true, and the gradient of its `loss` over `batch.vars`
 * (every trainable variable the loss reaches when not given, as `optimizer.minimize` takes
 * it): the one gradient computation of the calling thread and of each Worker.
 */
export function lossGradients(
  lossOf: ParallelBatchLoss,
  batch: { xs: tf.Tensor | tf.Tensor[]; ys: tf.TensorContainer; vars?: tf.Variable[] },
): LossGradients {
  const kept: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const parts = lossOf(batch.xs, batch.ys, true);
    for (const [k, v] of Object.entries(parts)) if (k !== "loss") kept[k] = tf.keep(v);
    return parts.loss;
  }, batch.vars);
  return { value, grads, kept };
}

/**
 * The losses of `spec` as one function of a batch's inputs, targets and the training flag:
 * `spec.batchLoss` made for `model` when the spec names one, else the spec's loss of
 * `model`'s outputs.
 *
 * @throws {Error} naming the module when it cannot be imported or lacks the functions
 */
export async function batchLossFromSpec(
  spec: ParallelLossSpec,
  model: tf.LayersModel,
): Promise<ParallelBatchLoss> {
  if (spec?.batchLoss == null) return outputsLoss(model, await lossFromSpec(spec));
  const make = await importFunction(spec.batchLoss.module, spec.batchLoss.name);
  return make(model, ...(spec.batchLoss.args ?? spec.args ?? [])) as ParallelBatchLoss;
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
