/**
 * Dense output heads and their losses as one differentiable op.
 *
 * A model such as the tutorial's ends in several small Dense layers on one hidden state, each
 * with its own loss. Written as tensor ops, that is some sixty backend ops forward and as many
 * again on the gradient tape, each costing more to dispatch than its arithmetic.
 * {@linkcode denseHeadsLoss} runs the heads as one product (their kernels side by side), the
 * losses in loops over typed arrays, and the backward pass as two more products; products run
 * on the system's BLAS when one is active (`blas.ts`), else on the tfjs backend.
 *
 * A head's loss is given as a {@linkcode TypedLoss}: its mean value and its gradient on typed
 * arrays. The family that defines the loss also defines its typed form beside the tensor form
 * (tests check that the two agree).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { activeBlas } from "./blas.ts";
import { readTidy } from "./read_tensors.ts";
import { transpose } from "./_matrix.ts";
import { productPlace } from "./_product_place.ts";

/** The arrays a {@linkcode TypedLoss} reads and writes. */
export interface TypedLossArrays {
  /** Predictions `[rows, cols]` row-major (read only). */
  pred: Float32Array;
  /** Targets as the loss reads them: `[rows, cols]`, or `[rows]` class ids (read only). */
  target: Float32Array;
  /** Written: the gradient of the returned loss with respect to `pred`, `[rows, cols]`. */
  grad: Float32Array;
  rows: number;
  cols: number;
}

/**
 * A loss on typed arrays: returns the loss of `pred` against `target` (its mean over the
 * batch, as the tensor form reduces it) and writes its gradient into `grad`.
 */
export type TypedLoss = (arrays: TypedLossArrays) => number;

/** One Dense head with a linear activation and its loss. */
export interface DenseHead {
  /** `[units, outputs]`: the head's kernel, a variable to train or any tensor. */
  kernel: tf.Tensor2D;
  /** `[outputs]`, or `null` for a head without bias. */
  bias: tf.Tensor1D | null;
  /** Targets, as the loss reads them (`[batch * outputs]`, or `[batch]` class ids). */
  target: Float32Array;
  loss: TypedLoss;
  /** Weight of this head's loss in the total. */
  weight: number;
}

/** What {@linkcode denseHeadsLoss} returns. */
export interface DenseHeadsResult {
  /** `sum(weight * loss)`: a scalar on the gradient tape. */
  loss: tf.Scalar;
  /** Each head's loss, unweighted. */
  parts: number[];
  /** Each head's output `[batch * outputs]` (logits for a softmax loss). */
  outputs: Float32Array[];
}

/**
 * `C [m, n] = op(A) x op(B)` through the BLAS, or the tfjs backend without one (transposing
 * first: products with a transposed operand are slow on wasm).
 */
function product(
  a: Float32Array,
  b: Float32Array,
  dims: { m: number; n: number; k: number; transA?: boolean; transB?: boolean },
): Float32Array {
  const { m, n, k, transA = false, transB = false } = dims;
  if (productPlace("heads") === "blas") {
    const blas = activeBlas()!;
    const c = new Float32Array(m * n);
    blas.sgemm({ m, n, k, a, b, c, transA, transB });
    return c;
  }
  const left = transA ? transpose(a, k, m) : a;
  const right = transB ? transpose(b, n, k) : b;
  const [c] = readTidy(() => [tf.matMul(tf.tensor2d(left, [m, k]), tf.tensor2d(right, [k, n]))]);
  return Float32Array.from(c);
}

/**
 * Runs Dense heads on `hidden` and sums their weighted losses, as one op with its gradient:
 * `loss` is differentiable with respect to `hidden` and every head's kernel and bias.
 *
 * @param hidden `[batch, units]` (not changed)
 * @param heads the heads, in order (not changed)
 * @throws {Error} when a kernel's rows differ from `hidden`'s units, or a bias's length from
 *   its kernel's columns
 */
export function denseHeadsLoss(hidden: tf.Tensor2D, heads: DenseHead[]): DenseHeadsResult {
  const [batch, units] = hidden.shape;
  const widths = heads.map((h, i) => {
    const [rows, cols] = h.kernel.shape;
    if (rows !== units) {
      throw new Error(`denseHeadsLoss: head ${i}: expected a kernel of ${units} rows, got ${rows}`);
    }
    if (h.bias != null && h.bias.shape[0] !== cols) {
      throw new Error(
        `denseHeadsLoss: head ${i}: expected a bias of ${cols}, got ${h.bias.shape[0]}`,
      );
    }
    return cols;
  });
  let total = 0;
  const starts = widths.map((w) => (total += w) - w);
  const parts: number[] = [];
  const outputs: Float32Array[] = [];
  const inputs: tf.Tensor[] = [hidden];
  for (const h of heads) {
    inputs.push(h.kernel);
    if (h.bias != null) inputs.push(h.bias);
  }
  const op = tf.customGrad((..._tensors: unknown[]) => {
    const h = hidden.dataSync() as Float32Array;
    // The kernels side by side: [units, total], and the biases: [total].
    const w = new Float32Array(units * total);
    const bias = new Float32Array(total);
    heads.forEach((head, i) => {
      const kernel = head.kernel.dataSync() as Float32Array;
      const width = widths[i];
      for (let r = 0; r < units; r++) {
        w.set(kernel.subarray(r * width, (r + 1) * width), r * total + starts[i]);
      }
      if (head.bias != null) bias.set(head.bias.dataSync() as Float32Array, starts[i]);
    });
    const z = product(h, w, { m: batch, n: total, k: units });
    const dz = new Float32Array(batch * total);
    let value = 0;
    heads.forEach((head, i) => {
      const width = widths[i];
      const out = new Float32Array(batch * width);
      for (let r = 0; r < batch; r++) {
        const row = r * total + starts[i];
        for (let j = 0; j < width; j++) out[r * width + j] = z[row + j] + bias[starts[i] + j];
      }
      const grad = new Float32Array(batch * width);
      const part = head.loss({ pred: out, target: head.target, grad, rows: batch, cols: width });
      parts.push(part);
      outputs.push(out);
      value += head.weight * part;
      for (let r = 0; r < batch; r++) {
        const row = r * total + starts[i];
        for (let j = 0; j < width; j++) dz[row + j] = head.weight * grad[r * width + j];
      }
    });
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor) => {
        const scale = dy.dataSync()[0];
        if (scale !== 1) { for (let k = 0; k < dz.length; k++) dz[k] *= scale; }
        const dh = product(dz, w, { m: batch, n: units, k: total, transB: true });
        const dw = product(h, dz, { m: units, n: total, k: batch, transA: true });
        const grads: tf.Tensor[] = [tf.tensor2d(dh, [batch, units])];
        heads.forEach((head, i) => {
          const width = widths[i];
          const kernel = new Float32Array(units * width);
          for (let r = 0; r < units; r++) {
            kernel.set(
              dw.subarray(r * total + starts[i], r * total + starts[i] + width),
              r * width,
            );
          }
          grads.push(tf.tensor2d(kernel, [units, width]));
          if (head.bias != null) {
            const db = new Float32Array(width);
            for (let r = 0; r < batch; r++) {
              const row = r * total + starts[i];
              for (let j = 0; j < width; j++) db[j] += dz[row + j];
            }
            grads.push(tf.tensor1d(db));
          }
        });
        return grads;
      },
    };
  });
  const loss = op(...inputs) as tf.Scalar;
  return { loss, parts, outputs };
}
