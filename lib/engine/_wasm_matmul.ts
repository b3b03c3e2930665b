/**
 * Faster matrix products for tfjs-backend-wasm: on the system's BLAS when one is active, and
 * a workaround for its slow transposed products.
 *
 * With a BLAS active (`blas.ts`, set by `selectBackend`), the wrappers run float32 products
 * of one matrix pair (batch 1) of at least `BLAS_MIN_MULTIPLY_ADDS` multiply-adds
 * on it, straight from and into the wasm heap, transposes as flags, with the bias and a
 * `linear` or `relu` activation of `_FusedMatMul` applied after: the Dense layers of both
 * families and their gradients (XNNPACK repacks the right operand of every product, which
 * costs as much as the product at these sizes).
 *
 * Otherwise: the wasm kernels `BatchMatMul` and `_FusedMatMul` are many times slower when
 * `transposeA` or `transposeB` is set than on an already transposed operand (the XNNPACK path
 * is only taken for plain products). LSTM gradients use exactly these transposed products. The
 * wrappers materialise the transposed operand with the wasm `Transpose` kernel, call the
 * original kernel with the flag cleared and free the temporary copy.
 *
 * The engine never sees the wrappers' intermediates: they are backend data freed before the
 * wrapper returns, so `tf.memory().numTensors` is unchanged and gradients (recorded from the
 * attributes the caller passed) are the same as without the workaround.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { activeBlas, type Blas } from "./blas.ts";
import { productPlace } from "./_product_place.ts";

/** Kernels that get wrapped. */
const KERNEL_NAMES = ["BatchMatMul", "_FusedMatMul"] as const;

/** Marks a wrapper; its value is the original kernel function. */
const ORIGINAL = Symbol.for("midi-lstm-notebooks.wasmMatMul.original");

type KernelParams = Parameters<tf.KernelFunc>[0];
type WrappedKernelFunc = tf.KernelFunc & { [ORIGINAL]?: tf.KernelFunc };
interface DisposingBackend {
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}
/** The parts of the wasm backend the BLAS path uses. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/**
 * Replaces the wasm `BatchMatMul` and `_FusedMatMul` kernels with wrappers that transpose
 * operands explicitly instead of passing transpose flags to the slow wasm path.
 *
 * Idempotent: a second call changes nothing. Works before or after `tf.setBackend("wasm")`;
 * the wasm backend package (`@tensorflow/tfjs-backend-wasm`) must have been imported so its
 * kernels are registered. Changes the global tfjs kernel registry.
 *
 * @returns `true` when the wrappers are in place after the call, `false` when the wasm
 *   kernels are not registered (wasm backend not imported)
 */
export function installWasmMatMulWorkaround(): boolean {
  for (const name of KERNEL_NAMES) {
    const config = tf.getKernel(name, "wasm");
    if (config == null) return false;
  }
  for (const name of KERNEL_NAMES) {
    const config = tf.getKernel(name, "wasm");
    const current = config.kernelFunc as WrappedKernelFunc;
    if (current[ORIGINAL] != null) continue;
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...config, kernelFunc: wrapKernel(current) });
  }
  return true;
}

/**
 * Puts the original wasm `BatchMatMul` and `_FusedMatMul` kernels back (used to measure the
 * workaround and in tests). Does nothing where the wrappers are not installed.
 *
 * @returns `true` when wrappers were removed
 */
export function uninstallWasmMatMulWorkaround(): boolean {
  let removed = false;
  for (const name of KERNEL_NAMES) {
    const config = tf.getKernel(name, "wasm");
    const original = (config?.kernelFunc as WrappedKernelFunc | undefined)?.[ORIGINAL];
    if (config == null || original == null) continue;
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...config, kernelFunc: original });
    removed = true;
  }
  return removed;
}

/** Whether the wasm matmul wrappers are currently registered. */
export function isWasmMatMulWorkaroundInstalled(): boolean {
  const config = tf.getKernel("BatchMatMul", "wasm");
  return config != null && (config.kernelFunc as WrappedKernelFunc)[ORIGINAL] != null;
}

/** Builds a kernel function that clears transpose flags by transposing operands first. */
function wrapKernel(original: tf.KernelFunc): tf.KernelFunc {
  const wrapped: WrappedKernelFunc = (params: KernelParams) => {
    const blas = activeBlas();
    const onBlas = blas == null ? null : blasProduct(blas, params);
    if (onBlas != null) return onBlas;
    const attrs = params.attrs ?? {};
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if (!transposeA && !transposeB) return original(params);
    const { inputs } = params;
    const backend = params.backend as DisposingBackend;
    const temporaries: tf.TensorInfo[] = [];
    try {
      const a = transposeA ? swapLastTwo(inputs.a!, params.backend, temporaries) : inputs.a;
      const b = transposeB ? swapLastTwo(inputs.b!, params.backend, temporaries) : inputs.b;
      return original({
        inputs: { ...inputs, a, b },
        backend: params.backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temporaries) backend.disposeData(t.dataId);
    }
  };
  wrapped[ORIGINAL] = original;
  return wrapped;
}

/** Transposes the last two axes of `x` with the wasm Transpose kernel; records the result. */
function swapLastTwo(
  x: tf.TensorInfo,
  backend: KernelParams["backend"],
  temporaries: tf.TensorInfo[],
): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  const transpose = tf.getKernel("Transpose", "wasm").kernelFunc;
  const out = transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
  temporaries.push(out);
  return out;
}

/**
 * `params`' product on the BLAS, or `null` when it is not one the BLAS path takes (not
 * float32, a batch of more than one matrix, fewer than `BLAS_MIN_MULTIPLY_ADDS`
 * multiply-adds, a bias that is not one value per column, PReLU weights, or an activation
 * other than `linear` and `relu`).
 */
function blasProduct(blas: Blas, params: KernelParams): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = params.inputs;
  const attrs = params.attrs ?? {};
  const activation = (attrs.activation as string | undefined) ?? "linear";
  if (a == null || b == null || preluActivationWeights != null) return null;
  if (activation !== "linear" && activation !== "relu") return null;
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const rankA = a.shape.length;
  const rankB = b.shape.length;
  if (rankA < 2 || rankB < 2) return null;
  const batchOf = (shape: number[]) => shape.slice(0, -2).reduce((x, y) => x * y, 1);
  if (batchOf(a.shape) !== 1 || batchOf(b.shape) !== 1) return null;
  const transA = attrs.transposeA === true;
  const transB = attrs.transposeB === true;
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = transA ? aCols : aRows;
  const k = transA ? aRows : aCols;
  const n = transB ? bRows : bCols;
  if ((transB ? bCols : bRows) !== k) return null;
  if (productPlace("wasmKernel", { multiplyAdds: m * n * k }) !== "blas") return null;
  if (bias != null && (bias.dtype !== "float32" || bias.shape.reduce((x, y) => x * y, 1) !== n)) {
    return null;
  }
  const backend = params.backend as unknown as HeapBackend;
  const shape = [...(rankA >= rankB ? a.shape : b.shape).slice(0, -2), m, n];
  const out = backend.makeOutput(shape, "float32");
  // Views after makeOutput: allocating may grow the heap, which detaches earlier views.
  const c = backend.typedArrayFromHeap(out);
  const aData = backend.typedArrayFromHeap(a);
  const bData = backend.typedArrayFromHeap(b);
  if (bias != null) {
    const biasData = backend.typedArrayFromHeap(bias);
    for (let r = 0; r < m; r++) c.set(biasData, r * n);
  }
  blas.sgemm({ transA, transB, m, n, k, a: aData, b: bData, c, beta: bias != null ? 1 : 0 });
  if (activation === "relu") {
    for (let i = 0; i < c.length; i++) if (c[i] < 0) c[i] = 0;
  }
  return out;
}
