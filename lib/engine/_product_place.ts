/**
 * Where a matrix product of the engine runs, decided in one place for every product it
 * computes itself: on the system's BLAS (`blas.ts`, when `selectBackend` made one active), as
 * a tfjs product on the backend, or in plain JS loops. Each use has its own rule, because the
 * sizes and the cost of a call differ (see {@linkcode ProductUse}).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { activeBlas } from "./blas.ts";

/** Where one matrix product runs. */
export type ProductPlace = "blas" | "backend" | "js";

/**
 * Products of the wasm matmul kernels with fewer multiply-adds than this stay on XNNPACK (a
 * BLAS call costs microseconds).
 */
export const BLAS_MIN_MULTIPLY_ADDS = 1 << 16;

/**
 * Off the cpu backend, one-row products with more weights than this (LSTM kernels of a single
 * step, Dense kernels with `layerMath: "js"`) run as tfjs products, smaller ones in plain JS:
 * below it a tfjs call (tensor, kernel, read back) costs more than the loop. On the cpu
 * backend every such product runs in JS (its matMul is slower than the loop). With a BLAS
 * active, the large products run on it instead of tfjs (no tensors, no copies: a few
 * microseconds).
 */
export const JS_PRODUCT_MAX_WEIGHTS = 16384;

/**
 * What a product is for:
 * - `"sequence"`: the fused LSTM's products over a whole sequence (`_lstm_bptt.ts`): the BLAS
 *   when one is active, else JS on the cpu backend, else the backend;
 * - `"heads"`: the dense heads' loss and gradients (`dense_heads.ts`): the BLAS when one is
 *   active, else the backend;
 * - `"row"`: a product of one row (or a few) in the stateful runner, an LSTM step or a Dense
 *   layer (`stateful.ts`, `_layer_rows.ts`): the BLAS for more than
 *   {@linkcode JS_PRODUCT_MAX_WEIGHTS} weights when one is active, else JS on the cpu backend
 *   or for at most that many weights, else the backend;
 * - `"wasmKernel"`: a product the wasm matmul kernels were asked for (`_wasm_matmul.ts`): the
 *   BLAS for at least {@linkcode BLAS_MIN_MULTIPLY_ADDS} multiply-adds when one is active,
 *   else the backend's own kernel.
 */
export type ProductUse = "sequence" | "heads" | "row" | "wasmKernel";

/** The size of a product, as much of it as its use's rule reads. */
export interface ProductSize {
  /** Numbers in the weight (right) operand; read by `"row"`. */
  weights?: number;
  /** `m * n * k`; read by `"wasmKernel"`. */
  multiplyAdds?: number;
}

/**
 * Where a product runs now, by its use's rule (see {@linkcode ProductUse}), for the active
 * BLAS and tfjs backend at the time of the call.
 *
 * @param use what the product is for
 * @param size the product's size (`weights` for `"row"`, `multiplyAdds` for `"wasmKernel"`)
 */
export function productPlace(use: ProductUse, size: ProductSize = {}): ProductPlace {
  const blas = activeBlas() != null;
  switch (use) {
    case "sequence":
      return blas ? "blas" : tf.getBackend() === "cpu" ? "js" : "backend";
    case "heads":
      return blas ? "blas" : "backend";
    case "row": {
      const large = (size.weights ?? 0) > JS_PRODUCT_MAX_WEIGHTS;
      if (large && blas) return "blas";
      return !large || tf.getBackend() === "cpu" ? "js" : "backend";
    }
    case "wasmKernel":
      return blas && (size.multiplyAdds ?? 0) >= BLAS_MIN_MULTIPLY_ADDS ? "blas" : "backend";
  }
}
