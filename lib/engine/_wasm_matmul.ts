/**
 * Workaround for slow transposed matrix products in tfjs-backend-wasm.
 *
 * The wasm kernels `BatchMatMul` and `_FusedMatMul` are 10-25x slower when `transposeA` or
 * `transposeB` is set than on an already transposed operand (the XNNPACK path is only taken
 * for plain products). LSTM gradients use exactly these transposed products. The wrappers
 * installed here materialise the transposed operand with the wasm `Transpose` kernel, call
 * the original kernel with the flag cleared and free the temporary copy.
 *
 * The engine never sees the wrappers' intermediates: they are backend data freed before the
 * wrapper returns, so `tf.memory().numTensors` is unchanged and gradients (recorded from the
 * attributes the caller passed) are the same as without the workaround.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Kernels that get wrapped. */
const KERNEL_NAMES = ["BatchMatMul", "_FusedMatMul"] as const;

/** Marks a wrapper; its value is the original kernel function. */
const ORIGINAL = Symbol.for("midi-lstm-notebooks.wasmMatMul.original");

type KernelParams = Parameters<tf.KernelFunc>[0];
type WrappedKernelFunc = tf.KernelFunc & { [ORIGINAL]?: tf.KernelFunc };
interface DisposingBackend {
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
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
