/**
 * Small matrix helpers on row-major float32 arrays, shared by the engine's fused ops.
 *
 * @module
 */

/** Transposes a row-major `[rows, cols]` matrix. */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const block = 32;
  for (let i0 = 0; i0 < rows; i0 += block) {
    const iEnd = Math.min(i0 + block, rows);
    for (let j0 = 0; j0 < cols; j0 += block) {
      const jEnd = Math.min(j0 + block, cols);
      for (let i = i0; i < iEnd; i++) {
        const row = i * cols;
        for (let j = j0; j < jEnd; j++) out[j * rows + i] = a[row + j];
      }
    }
  }
  return out;
}
