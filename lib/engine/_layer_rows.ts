/**
 * The stateful runner's per-row layer math (`stateful.ts`): the layers around the LSTMs
 * (Dense, Activation, BatchNormalization in inference mode, Embedding, Concatenate, the
 * inactive noise layers, and the per-step activation layers by `layer.apply`) computed on
 * rows `[rows, dim]` of float32 numbers, in JS where it can, without tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { readTidy } from "./read_tensors.ts";
import { activeBlas } from "./blas.ts";
import { productPlace } from "./_product_place.ts";

/**
 * Rows flowing between layers: `[rows, dim]`. During a sequence feed (`"carried"`) the rows
 * are time steps; during a lane step (`"window"`) they are lanes. `select` is the row the
 * model's outputs are read from (the last time step, or the oldest lane).
 */
export interface Rows {
  data: Float32Array;
  rows: number;
  dim: number;
  select: number;
}

/** A layer other than an LSTM as the runner computes it, row by row. */
export interface RowLayer {
  layer: tf.layers.Layer;
  /** How it is computed (`"lstm"`: by the runner's LSTM paths, never by {@linkcode applyLayer}). */
  kind:
    | "lstm"
    | "dense"
    | "activation"
    | "identity"
    | "batchNorm"
    | "apply"
    | "embedding"
    | "concatenate";
  /**
   * Dense: `[inDim, units]` kernel, bias, activation, and the layer's own kernel and bias
   * tensors (not copies) for the tfjs product of large kernels.
   */
  dense?: {
    kernel: Float32Array;
    bias: Float32Array | null;
    units: number;
    activation: string;
    kernelTensor: tf.Tensor2D;
    biasTensor: tf.Tensor1D | null;
  };
  /** Activation layer. */
  activation?: string;
  /** BatchNormalization in inference mode: `y = offset + (x - mean) * factor`. */
  batchNorm?: { offset: Float32Array; mean: Float32Array; factor: Float32Array };
  /** Embedding: `[ids, width]` table; each row's one number is an id into it. */
  embedding?: { table: Float32Array; ids: number; width: number };
}

/** Activations computed in JS. */
const JS_ACTIVATIONS = new Set([
  "linear",
  "relu",
  "relu6",
  "tanh",
  "sigmoid",
  "hardSigmoid",
  "softmax",
  "elu",
  "selu",
  "softplus",
  "softsign",
]);

/** Layers that do nothing at inference. */
const IDENTITY_LAYERS = new Set([
  "Dropout",
  "SpatialDropout1D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
]);

/** Per-step layers left to `layer.apply` whatever `layerMath` says. */
const APPLY_LAYERS = new Set(["ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU", "PReLU"]);

/** Rows of several tensors side by side (Concatenate on the feature axis). */
export function concatenateRows(parts: Rows[]): Rows {
  const rows = Math.max(...parts.map((p) => p.rows));
  const dim = parts.reduce((sum, p) => sum + p.dim, 0);
  const data = new Float32Array(rows * dim);
  let offset = 0;
  for (const p of parts) {
    for (let r = 0; r < rows; r++) {
      // A single row (the same new step for every lane) is repeated.
      const from = (p.rows === 1 ? 0 : r) * p.dim;
      data.set(p.data.subarray(from, from + p.dim), r * dim + offset);
    }
    offset += p.dim;
  }
  return { data, rows, dim, select: rows === 1 ? 0 : parts.find((p) => p.rows === rows)!.select };
}

/**
 * How the runner computes one layer other than an LSTM, read from the layer's config and
 * weights (copies): in JS unless `layerMath` is `"tfjs"` or the activation has no JS version,
 * then by `layer.apply`.
 *
 * @throws {Error} naming the layer when it cannot be stepped one row at a time
 */
export function planRowLayer(
  layer: tf.layers.Layer,
  className: string,
  layerMath: "js" | "tfjs",
): RowLayer {
  const node: RowLayer = { layer, kind: "apply" };
  const config = layer.getConfig();
  if (className === "Concatenate") {
    requireFeatureAxis(layer, config.axis, layer.output as tf.SymbolicTensor, "joins");
    node.kind = "concatenate";
    return node;
  }
  if (className === "Embedding") {
    const table = layer.getWeights()[0] as tf.Tensor2D;
    node.kind = "embedding";
    node.embedding = {
      table: (table.dataSync() as Float32Array).slice(),
      ids: table.shape[0],
      width: table.shape[1],
    };
    return node;
  }
  if (IDENTITY_LAYERS.has(className)) {
    node.kind = "identity";
    return node;
  }
  if (APPLY_LAYERS.has(className)) return node;
  if (className === "Dense") {
    const activation = String(config.activation ?? "linear");
    if (layerMath === "tfjs" || !JS_ACTIVATIONS.has(activation)) return node;
    const weights = layer.getWeights();
    const kernel = weights[0] as tf.Tensor2D;
    node.kind = "dense";
    const bias = config.useBias ? weights[1] as tf.Tensor1D : null;
    node.dense = {
      kernel: (kernel.dataSync() as Float32Array).slice(),
      bias: bias == null ? null : (bias.dataSync() as Float32Array).slice(),
      units: kernel.shape[1],
      activation,
      kernelTensor: kernel,
      biasTensor: bias,
    };
    return node;
  }
  if (className === "Activation") {
    const activation = String(config.activation);
    if (layerMath === "tfjs" || !JS_ACTIVATIONS.has(activation)) return node;
    node.kind = "activation";
    node.activation = activation;
    return node;
  }
  if (className === "BatchNormalization") {
    requireFeatureAxis(layer, config.axis, layer.input as tf.SymbolicTensor, "normalises");
    if (layerMath === "tfjs") return node;
    const weights = layer.getWeights().map((w) => (w.dataSync() as Float32Array).slice());
    let k = 0;
    const gamma = config.scale ? weights[k++] : null;
    const beta = config.center ? weights[k++] : null;
    const mean = weights[k++];
    const variance = weights[k++];
    const epsilon = Number(config.epsilon ?? 1e-3);
    const factor = new Float32Array(mean.length);
    for (let j = 0; j < factor.length; j++) {
      factor[j] = (gamma == null ? 1 : gamma[j]) / Math.sqrt(variance[j] + epsilon);
    }
    node.kind = "batchNorm";
    node.batchNorm = { offset: beta ?? new Float32Array(mean.length), mean, factor };
    return node;
  }
  throw new Error(
    `stateful: layer ${layer.name} (${className}) cannot be stepped one note at a time; ` +
      `supported are LSTM, FusedLSTM, Dense, Activation, BatchNormalization, Embedding, ` +
      `Concatenate, Dropout and ` +
      `${[...IDENTITY_LAYERS, ...APPLY_LAYERS].filter((l) => l !== "Dropout").join(", ")}`,
  );
}

/**
 * Checks that a layer's `axis` setting is the last axis of `tensor` (the features), the only
 * one the runner's rows have; `verb` says what the layer does along it.
 *
 * @throws {Error} naming the layer and its axis otherwise
 */
function requireFeatureAxis(
  layer: tf.layers.Layer,
  axis: unknown,
  tensor: tf.SymbolicTensor,
  verb: string,
): void {
  if (!(axis === -1 || axis === tensor.shape.length - 1)) {
    throw new Error(
      `stateful: ${layer.getClassName()} ${layer.name} ${verb} axis ${
        JSON.stringify(axis)
      }; expected the feature axis (-1)`,
    );
  }
}

/** The selected row alone. */
export function selectRow(x: Rows): Rows {
  if (x.rows === 1) return x;
  const data = x.data.slice(x.select * x.dim, (x.select + 1) * x.dim);
  return { data, rows: 1, dim: x.dim, select: 0 };
}

/** Applies one non-LSTM layer row by row. */
export function applyLayer(node: RowLayer, x: Rows): Rows {
  switch (node.kind) {
    case "identity":
      return x;
    case "embedding": {
      const { table, ids, width } = node.embedding!;
      const out = new Float32Array(x.rows * width);
      for (let r = 0; r < x.rows; r++) {
        const id = x.data[r * x.dim];
        if (!(Number.isInteger(id) && id >= 0 && id < ids)) {
          throw new Error(
            `stateful: Embedding ${node.layer.name} expected ids 0..${ids - 1}, got ${id}`,
          );
        }
        out.set(table.subarray(id * width, (id + 1) * width), r * width);
      }
      return { data: out, rows: x.rows, dim: width, select: x.select };
    }
    case "dense": {
      const { units, activation } = node.dense!;
      const out = {
        data: denseProduct(node.dense!, x),
        rows: x.rows,
        dim: units,
        select: x.select,
      };
      activateRows(out, activation);
      return out;
    }
    case "activation": {
      const out = { ...x, data: x.data.slice() };
      activateRows(out, node.activation!);
      return out;
    }
    case "batchNorm": {
      const { offset, mean, factor } = node.batchNorm!;
      const out = new Float32Array(x.data.length);
      for (let r = 0; r < x.rows; r++) {
        for (let j = 0, o = r * x.dim; j < x.dim; j++) {
          out[o + j] = offset[j] + (x.data[o + j] - mean[j]) * factor[j];
        }
      }
      return { ...x, data: out };
    }
    default: {
      const data = readTidy(() => [
        node.layer.apply(tf.tensor2d(x.data, [x.rows, x.dim]), { training: false }) as tf.Tensor,
      ])[0].slice();
      return { data, rows: x.rows, dim: data.length / x.rows, select: x.select };
    }
  }
}

/** `x [rows, inDim] x kernel + bias` of a Dense layer, `[rows, units]`, where `productPlace` says. */
function denseProduct(dense: NonNullable<RowLayer["dense"]>, x: Rows): Float32Array {
  const { kernel, bias, units, kernelTensor, biasTensor } = dense;
  const place = productPlace("row", { weights: kernel.length });
  if (place === "blas") {
    const out = new Float32Array(x.rows * units);
    if (bias != null) { for (let r = 0; r < x.rows; r++) out.set(bias, r * units); }
    activeBlas()!.sgemm({ m: x.rows, n: units, k: x.dim, a: x.data, b: kernel, c: out, beta: 1 });
    return out;
  }
  if (place === "backend") {
    // One tfjs product (bias fused) beats the JS loop by far for large kernels.
    return readTidy(() => [
      tf.fused.matMul({
        a: tf.tensor2d(x.data, [x.rows, x.dim]),
        b: kernelTensor,
        bias: biasTensor ?? undefined,
      }),
    ])[0].slice();
  }
  const out = new Float32Array(x.rows * units);
  const acc = new Float64Array(units);
  for (let r = 0; r < x.rows; r++) {
    if (bias != null) acc.set(bias);
    else acc.fill(0);
    const row = r * x.dim;
    for (let i = 0; i < x.dim; i++) {
      const v = x.data[row + i];
      if (v === 0) continue;
      const k = i * units;
      for (let j = 0; j < units; j++) acc[j] += v * kernel[k + j];
    }
    out.set(acc, r * units);
  }
  return out;
}

/** Applies an activation in place to each row of `x` (`[rows, dim]`). */
function activateRows(x: Rows, name: string): void {
  for (let r = 0; r < x.rows; r++) activate(x.data.subarray(r * x.dim, (r + 1) * x.dim), name);
}

/** Applies an activation in place to one row. */
function activate(v: Float32Array, name: string): void {
  const n = v.length;
  switch (name) {
    case "linear":
      return;
    case "relu":
      for (let i = 0; i < n; i++) if (v[i] < 0) v[i] = 0;
      return;
    case "relu6":
      for (let i = 0; i < n; i++) v[i] = Math.min(6, Math.max(0, v[i]));
      return;
    case "tanh":
      for (let i = 0; i < n; i++) v[i] = Math.tanh(v[i]);
      return;
    case "sigmoid":
      for (let i = 0; i < n; i++) v[i] = 1 / (1 + Math.exp(-v[i]));
      return;
    case "hardSigmoid":
      for (let i = 0; i < n; i++) v[i] = Math.min(1, Math.max(0, 0.2 * v[i] + 0.5));
      return;
    case "elu":
      for (let i = 0; i < n; i++) if (v[i] < 0) v[i] = Math.expm1(v[i]);
      return;
    case "selu": {
      const alpha = 1.6732632423543772, scale = 1.0507009873554805;
      for (let i = 0; i < n; i++) v[i] = scale * (v[i] < 0 ? alpha * Math.expm1(v[i]) : v[i]);
      return;
    }
    case "softplus":
      for (let i = 0; i < n; i++) v[i] = Math.log1p(Math.exp(v[i]));
      return;
    case "softsign":
      for (let i = 0; i < n; i++) v[i] = v[i] / (1 + Math.abs(v[i]));
      return;
    case "softmax": {
      let max = -Infinity;
      for (let i = 0; i < n; i++) max = Math.max(max, v[i]);
      let sum = 0;
      const e = new Float64Array(n);
      for (let i = 0; i < n; i++) sum += e[i] = Math.exp(v[i] - max);
      for (let i = 0; i < n; i++) v[i] = e[i] / sum;
      return;
    }
    default:
      throw new Error(`stateful: activation ${name} has no JS implementation`);
  }
}
