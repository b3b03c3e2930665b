/**
 * The `UnsortedSegmentSum` kernel for tfjs-backend-wasm, which does not ship one. The
 * gradient of `tf.gather` is a segment sum, so without it an Embedding layer cannot train on
 * wasm ("Kernel 'UnsortedSegmentSum' not registered"). The kernel sums rows of `x` into the
 * rows its `segmentIds` name, in plain JS straight into the wasm heap (for an embedding
 * gradient: one add per number of the batch's vectors).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of the wasm backend the kernel uses. */
interface HeapBackend {
  readSync(dataId: tf.DataId): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array;
}

/**
 * `out[s] = sum of x[i] over the i whose segmentIds[i] is s` (ids outside `0..numSegments-1`
 * are dropped, as tfjs's other backends do). `x` `[n, ...inner]`, `segmentIds` `[n]` (or the
 * leading dimensions of `x`), output `[numSegments, ...inner]`.
 */
function unsortedSegmentSum(params: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, segmentIds } = params.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (params.attrs as { numSegments: number }).numSegments;
  const backend = params.backend as unknown as HeapBackend;
  const rank = segmentIds.shape.length;
  const innerShape = x.shape.slice(rank);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const values = backend.readSync(x.dataId);
  const ids = backend.readSync(segmentIds.dataId);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  const sums = backend.typedArrayFromHeap(out);
  sums.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (!(s >= 0 && s < numSegments)) continue;
    const from = i * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) sums[to + j] += values[from + j];
  }
  return out;
}

/**
 * Registers the wasm `UnsortedSegmentSum` kernel unless one is already registered (a later
 * tfjs may ship its own). Idempotent; changes the global tfjs kernel registry.
 *
 * @returns `true` when a kernel was registered by this call
 */
export function installWasmSegmentSum(): boolean {
  if (tf.getKernel("UnsortedSegmentSum", "wasm") != null) return false;
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
  });
  return true;
}
