/**
 * Forward pass and backpropagation through time of an LSTM over a whole sequence, for the
 * fused layer in `fused_lstm.ts`.
 *
 * Matrix products run on the system's BLAS when one is active (`blas.ts`: OpenBLAS,
 * Accelerate), straight on the arrays of the cell's memory with transposes as flags; else on
 * the tfjs backend (XNNPACK on wasm), always without transpose flags, or, on the cpu backend,
 * in a blocked JS loop, faster than its kernel.
 * The elementwise work of each step (gate activations, the cell update, their derivatives)
 * runs in the step kernels of `_lstm_cell.ts` (WebAssembly SIMD, or JS loops), layout changes
 * in plain loops over Float32Arrays: per time step that is one backend op plus one copy in
 * and one copy out, instead of a dozen small tensor ops (whose slicing copies whole tensors
 * on the wasm backend and walks element by element on the cpu backend).
 *
 * Gate order and layout are those of tfjs: columns i, f, c, o of `[inputDim, 4 * units]`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { readTidy } from "./read_tensors.ts";
import { transpose } from "./_matrix.ts";
import { lstmCell } from "./_lstm_cell.ts";
import { activeBlas, type Blas } from "./blas.ts";
import { productPlace } from "./_product_place.ts";

/** Activation of the input, forget and output gates (tfjs `recurrentActivation`). */
export type GateActivation = "hardSigmoid" | "sigmoid";

/** Inputs of {@linkcode runSequence} (tensors are read, not changed). */
export interface SequenceArgs {
  /** `[batch, time, inputDim]`. */
  x: tf.Tensor3D;
  /** `[inputDim, 4 * units]`, gate order i, f, c, o. */
  kernel: tf.Tensor2D;
  /** `[units, 4 * units]`. */
  recurrentKernel: tf.Tensor2D;
  /** `[4 * units]`, or `null` for no bias. */
  bias: tf.Tensor1D | null;
  /** Initial hidden state `[batch, units]`; `null`: zeros. */
  h0: tf.Tensor2D | null;
  /** Initial cell state `[batch, units]`; `null`: zeros. */
  c0: tf.Tensor2D | null;
  gate: GateActivation;
  /** Multiplies the inputs of every time step: `[batch * inputDim]` row-major, or `null`. */
  inputMask: Float32Array | null;
  /** Multiplies the recurrent state fed to every step: `[batch * units]`, or `null`. */
  stateMask: Float32Array | null;
  /**
   * Where matrix products run: `"blas"` (the system's BLAS, see `blas.ts`; throws when none
   * is active), `"backend"` (tfjs ops) or `"js"` (plain loops).
   * @default {"blas" when a BLAS is active (`activeBlas()`), else "js" on the cpu backend,
   *   else "backend"}
   */
  matMul?: MatMulMode;
}

/** Where matrix products run. */
export type MatMulMode = "blas" | "backend" | "js";

/** Gradients from {@linkcode SequenceRun.backward}, shaped like the inputs. */
export interface SequenceGradients {
  x: tf.Tensor3D;
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  h0: tf.Tensor2D;
  c0: tf.Tensor2D;
}

/**
 * Layouts of a run's output: `"packed"` `[batch, time + 1, units]` (`h` after every step, then
 * the final `c`), `"sequence"` `[batch, time, units]` (`h` after every step) or `"last"`
 * `[batch, units]` (`h` after the last step).
 */
export type OutputLayout = "packed" | "sequence" | "last";

/** Shape of `layout` for a run. */
export function outputShape(
  layout: OutputLayout,
  batch: number,
  seqLength: number,
  units: number,
): number[] {
  if (layout === "last") return [batch, units];
  return [batch, layout === "packed" ? seqLength + 1 : seqLength, units];
}

/** Copies the packed output into `layout` (a fresh array, for every layout). */
export function fromPacked(
  packed: Float32Array,
  layout: OutputLayout,
  shape: { batch: number; seqLength: number; units: number },
): Float32Array {
  const { batch, seqLength, units } = shape;
  if (layout === "packed") return packed.slice();
  const steps = layout === "last" ? 1 : seqLength;
  const first = seqLength - steps;
  const out = new Float32Array(batch * steps * units);
  for (let b = 0; b < batch; b++) {
    const row = (b * (seqLength + 1) + first) * units;
    out.set(packed.subarray(row, row + steps * units), b * steps * units);
  }
  return out;
}

/** Writes the gradient `dy` of `layout` into `out` in the packed layout (zeros where unused). */
function toPacked(
  dy: Float32Array,
  layout: OutputLayout,
  out: Float32Array,
  shape: { batch: number; seqLength: number; units: number },
): void {
  const { batch, seqLength, units } = shape;
  if (layout === "packed") {
    out.set(dy);
    return;
  }
  const steps = layout === "last" ? 1 : seqLength;
  const first = seqLength - steps;
  out.fill(0);
  for (let b = 0; b < batch; b++) {
    const row = b * steps * units;
    out.set(dy.subarray(row, row + steps * units), (b * (seqLength + 1) + first) * units);
  }
}

/** A finished forward pass. */
export interface SequenceRun {
  batch: number;
  seqLength: number;
  units: number;
  /**
   * `[batch, seqLength + 1, units]` row-major: `h` after every step, then the final `c`.
   * A view of the run's memory, valid until `backward()` or `release()`: copy what you keep
   * (`fromPacked` does).
   */
  packed: Float32Array;
  /**
   * Backpropagation through time. Runs once: it hands the run's memory to later runs.
   *
   * @param dy gradient of the output in `layout`
   * @param layout the layout of `dy`
   * @param weights the kernels the forward pass ran with
   */
  backward(
    dy: Float32Array,
    layout: OutputLayout,
    weights: { kernel: tf.Tensor2D; recurrentKernel: tf.Tensor2D },
  ): SequenceGradients;
  /**
   * Hands the run's memory to later runs when no backward pass will come (`backward` then
   * throws). Optional: without it, garbage collection frees the memory, a little later and
   * without reuse.
   */
  release(): void;
}

/** A right-hand operand of repeated products: a tensor (backend mode) or its data (JS mode). */
interface Operand {
  tensor: tf.Tensor2D | null;
  data: Float32Array | null;
  cols: number;
}

/** Wraps `t` `[rows, cols]` (or its transpose) as an operand for `mode`. */
function operand(t: tf.Tensor2D, mode: MatMulMode, transposed: boolean): Operand {
  const [rows, cols] = t.shape;
  if (mode === "js") {
    const data = t.dataSync() as Float32Array;
    return {
      tensor: null,
      data: transposed ? transpose(data, rows, cols) : data,
      cols: transposed ? rows : cols,
    };
  }
  return { tensor: transposed ? tf.transpose(t) : t, data: null, cols: transposed ? rows : cols };
}

/** `a [rows, inner] x b [inner, b.cols]`; the result is a fresh array. */
function product(a: Float32Array, rows: number, inner: number, b: Operand): Float32Array {
  if (b.data != null) return gemm(a, rows, inner, b.data, b.cols);
  const at = tf.tensor2d(a, [rows, inner]);
  const out = tf.matMul(at, b.tensor!);
  const data = out.dataSync() as Float32Array;
  at.dispose();
  out.dispose();
  return data;
}

/** The gradients of `x`, the kernels and the bias: sums over all time steps and batch rows. */
interface SummedGradients {
  x: tf.Tensor3D;
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/** What the sums read besides `dz`: the forward pass's inputs (time-major) and its shape. */
interface SumInputs {
  /** The input kernel `[inputDim, 4 * units]` the forward pass ran with. */
  kernel: tf.Tensor2D;
  batch: number;
  seqLength: number;
  units: number;
  /** Recurrent input of every step `[time * batch, units]`. */
  hIn: Float32Array;
  /** Inputs of every step after dropout `[time * batch, inputDim]`. */
  xt: Float32Array;
  /** Input dropout mask `[batch * inputDim]`, or `null`. */
  inputMask: Float32Array | null;
}

/**
 * {@linkcode SummedGradients} on the tfjs backend, from one copy of `dz`
 * `[time * batch, 4 * units]`: `dx = dz x kernel^T`, and the sums over rows
 * `dRecurrent = (dz^T x hIn)^T`, `dKernel = (dz^T x xt)^T`, `dBias = dz^T x 1`.
 *
 * The sums multiply the transposed `dz` from the left on purpose: XNNPACK repacks the right
 * operand of every product whose right operand is new, and `dz` (3.2 MB for the tutorial
 * model) costs more to repack than to transpose once; `hIn` and `xt` are smaller.
 */
function backendSums(dz: Float32Array, inputs: SumInputs): SummedGradients {
  const { hIn, xt, inputMask, kernel, batch, seqLength, units } = inputs;
  const rows = batch * seqLength;
  const inputDim = kernel.shape[0];
  return tf.tidy(() => {
    const dzRows = tf.tensor2d(dz, [rows, 4 * units]);
    // dx, time-major -> [batch, time, inputDim], times the input mask.
    let x = tf.transpose(
      tf.reshape(tf.matMul(dzRows, kernel, false, true), [seqLength, batch, inputDim]),
      [1, 0, 2],
    ) as tf.Tensor3D;
    if (inputMask != null) x = tf.mul(x, tf.tensor3d(inputMask, [batch, 1, inputDim]));
    const dzCols = tf.transpose(dzRows); // [4 * units, rows]
    const sumOf = (m: Float32Array, cols: number) =>
      tf.transpose(tf.matMul(dzCols, tf.tensor2d(m, [rows, cols]))) as tf.Tensor2D;
    return {
      x,
      kernel: sumOf(xt, inputDim),
      recurrentKernel: sumOf(hIn, units),
      bias: tf.reshape(tf.matMul(dzCols, tf.ones([rows, 1])), [4 * units]) as tf.Tensor1D,
    };
  });
}

/**
 * {@linkcode SummedGradients} on the BLAS, reading `dz` `[time * batch, 4 * units]` where it
 * lies (in the cell's memory): `dx = dz x kernel^T`, `dKernel = xt^T x dz`,
 * `dRecurrent = hIn^T x dz` and `dBias = 1^T x dz`, transposes as flags (no copies).
 */
function blasSums(blas: Blas, dz: Float32Array, inputs: SumInputs): SummedGradients {
  const { hIn, xt, inputMask, kernel, batch, seqLength, units } = inputs;
  const rows = batch * seqLength;
  const inputDim = kernel.shape[0];
  const gates4 = 4 * units;
  const dxt = new Float32Array(rows * inputDim);
  const k = kernel.dataSync() as Float32Array;
  blas.sgemm({ transB: true, m: rows, n: inputDim, k: gates4, a: dz, b: k, c: dxt });
  const dKernel = new Float32Array(inputDim * gates4);
  blas.sgemm({ transA: true, m: inputDim, n: gates4, k: rows, a: xt, b: dz, c: dKernel });
  const dRecurrent = new Float32Array(units * gates4);
  blas.sgemm({ transA: true, m: units, n: gates4, k: rows, a: hIn, b: dz, c: dRecurrent });
  const dBias = new Float32Array(gates4);
  const ones = new Float32Array(rows).fill(1);
  blas.sgemm({ m: 1, n: gates4, k: rows, a: ones, b: dz, c: dBias });
  const dx = reorder(dxt, [batch, seqLength, inputDim], inputMask, "batchMajor");
  return {
    x: tf.tensor3d(dx, [batch, seqLength, inputDim]),
    kernel: tf.tensor2d(dKernel, [inputDim, gates4]),
    recurrentKernel: tf.tensor2d(dRecurrent, [units, gates4]),
    bias: tf.tensor1d(dBias),
  };
}

/** {@linkcode SummedGradients} in plain JS loops (the cpu backend's path). */
function jsSums(dz: Float32Array, inputs: SumInputs): SummedGradients {
  const { hIn, xt, inputMask, kernel, batch, seqLength, units } = inputs;
  const rows = batch * seqLength;
  const inputDim = kernel.shape[0];
  const gates4 = 4 * units;
  const dBias = new Float32Array(gates4);
  for (let r = 0; r < rows; r++) {
    for (let q = 0, o = r * gates4; q < gates4; q++) dBias[q] += dz[o + q];
  }
  const kernelT = operand(kernel, "js", true);
  const dxt = product(dz, rows, gates4, kernelT);
  const dx = reorder(dxt, [batch, seqLength, inputDim], inputMask, "batchMajor");
  // [hIn | xt]^T x dz as one product: [units + inputDim, 4 * units].
  const width = units + inputDim;
  const stackedT = new Float32Array(width * rows);
  for (let r = 0; r < rows; r++) {
    const h = r * units;
    for (let j = 0; j < units; j++) stackedT[j * rows + r] = hIn[h + j];
    const x = r * inputDim;
    for (let d = 0; d < inputDim; d++) stackedT[(units + d) * rows + r] = xt[x + d];
  }
  const sum = gemm(stackedT, width, rows, dz, gates4);
  return {
    x: tf.tensor3d(dx, [batch, seqLength, inputDim]),
    recurrentKernel: tf.tensor2d(sum.subarray(0, units * gates4), [units, gates4]),
    kernel: tf.tensor2d(sum.subarray(units * gates4), [inputDim, gates4]),
    bias: tf.tensor1d(dBias),
  };
}

/**
 * `a [m, k] x b [k, n]` in plain JS, four rows of `a` at a time (row-major, float32
 * accumulation like the tfjs kernels), faster than the cpu backend's matMul
 * (`docs/performance.md`).
 */
function gemm(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Float32Array {
  const c = new Float32Array(m * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let p = 0; p < k; p++) {
      const v0 = a[a0 + p], v1 = a[a1 + p], v2 = a[a2 + p], v3 = a[a3 + p];
      const bRow = p * n;
      for (let j = 0; j < n; j++) {
        const bv = b[bRow + j];
        c[c0 + j] += v0 * bv;
        c[c1 + j] += v1 * bv;
        c[c2 + j] += v2 * bv;
        c[c3 + j] += v3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const c0 = i * n, a0 = i * k;
    for (let p = 0; p < k; p++) {
      const v = a[a0 + p];
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[c0 + j] += v * b[bRow + j];
    }
  }
  return c;
}

/**
 * Copies `x` between batch-major `[batch, time, dim]` and time-major `[time * batch, dim]`
 * (`to` names the layout of the copy), times `mask` `[batch * dim]` when given.
 */
function reorder(
  x: Float32Array,
  shape: [number, number, number],
  mask: Float32Array | null,
  to: "timeMajor" | "batchMajor",
): Float32Array {
  const [batch, seqLength, dim] = shape;
  const toTime = to === "timeMajor";
  const out = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLength; t++) {
      const batchRow = (b * seqLength + t) * dim;
      const timeRow = (t * batch + b) * dim;
      const src = toTime ? batchRow : timeRow;
      const dst = toTime ? timeRow : batchRow;
      for (let d = 0; d < dim; d++) {
        out[dst + d] = mask == null ? x[src + d] : x[src + d] * mask[b * dim + d];
      }
    }
  }
  return out;
}

/**
 * Runs the LSTM over `args.x` and keeps what the backward pass needs (in JS or wasm memory of
 * its own, not as tensors: nothing needs disposing; the backward pass passes the memory on to
 * later runs, else garbage collection frees it).
 */
export function runSequence(args: SequenceArgs): SequenceRun {
  const [batch, seqLength, inputDim] = args.x.shape;
  const units = args.recurrentKernel.shape[0];
  const gates4 = 4 * units;
  const bu = batch * units;
  const rows = seqLength * batch;
  const inputMask = args.inputMask;
  const masked = args.stateMask != null;

  const blas = activeBlas();
  const mode = args.matMul ?? productPlace("sequence");
  if (mode === "blas" && blas == null) {
    throw new Error('runSequence: matMul "blas" needs an active BLAS (setActiveBlas), got none');
  }
  const cell = lstmCell({ batch, seqLength, units, hard: args.gate === "hardSigmoid", masked });
  const buf = cell.buffers;
  if (masked) buf.stateMask.set(args.stateMask!);
  const xt = reorder(args.x.dataSync() as Float32Array, args.x.shape, inputMask, "timeMajor");
  if (mode === "blas") {
    // The bias in every row, then one product added onto it, straight into the cell's memory.
    const proj = buf.proj;
    if (args.bias != null) {
      const bias = args.bias.dataSync() as Float32Array;
      for (let r = 0; r < rows; r++) proj.set(bias, r * gates4);
    }
    blas!.sgemm({
      m: rows,
      n: gates4,
      k: inputDim,
      a: xt,
      b: args.kernel.dataSync() as Float32Array,
      beta: args.bias != null ? 1 : 0,
      c: proj,
    });
  } else if (mode === "backend") {
    // One product with the bias fused in (XNNPACK adds it while writing the output).
    const [proj] = readTidy(() => [
      tf.fused.matMul({
        a: tf.tensor2d(xt, [rows, inputDim]),
        b: args.kernel,
        bias: args.bias ?? undefined,
      }),
    ]);
    buf.proj.set(proj);
  } else {
    buf.proj.set(product(xt, rows, inputDim, operand(args.kernel, mode, false)));
    if (args.bias != null) {
      const bias = args.bias.dataSync() as Float32Array;
      const proj = buf.proj;
      for (let r = 0; r < rows; r++) {
        for (let q = 0, o = r * gates4; q < gates4; q++) proj[o + q] += bias[q];
      }
    }
  }
  const recurrent = mode === "blas" ? null : operand(args.recurrentKernel, mode, false);
  const recurrentData = mode === "blas" ? args.recurrentKernel.dataSync() as Float32Array : null;
  const hasState = args.h0 != null && args.c0 != null;
  if (hasState) {
    buf.cs.set(args.c0!.dataSync() as Float32Array, 0);
    const h0 = args.h0!.dataSync() as Float32Array;
    for (let k = 0; k < bu; k++) buf.hIn[k] = masked ? h0[k] * buf.stateMask[k] : h0[k];
  } else {
    buf.cs.fill(0, 0, bu);
    buf.hIn.fill(0, 0, bu);
    buf.zRec.fill(0); // the first recurrent product, of a zero state
  }
  for (let t = 0; t < seqLength; t++) {
    if (t > 0 || hasState) {
      const h = buf.hIn.subarray(t * bu, (t + 1) * bu);
      if (recurrent == null) {
        blas!.sgemm({ m: batch, n: gates4, k: units, a: h, b: recurrentData!, c: buf.zRec });
      } else {
        buf.zRec.set(product(h, batch, units, recurrent));
      }
    }
    cell.forwardStep(t);
  }
  const cLast = seqLength * bu;
  for (let b = 0; b < batch; b++) {
    buf.packed.set(
      buf.cs.subarray(cLast + b * units, cLast + (b + 1) * units),
      (b * (seqLength + 1) + seqLength) * units,
    );
  }

  let done = false; // backward() ran
  function backward(
    dyOut: Float32Array,
    layout: OutputLayout,
    weights: { kernel: tf.Tensor2D; recurrentKernel: tf.Tensor2D },
  ): SequenceGradients {
    if (done) {
      throw new Error(
        "runSequence: backward() runs once per forward pass and not after release() (the " +
          "run's memory is reused)",
      );
    }
    done = true;
    // Overwrites proj (as dz): the forward pass is done with it.
    const { dy, dhRec, dcNext, dz, stateMask } = buf;
    toPacked(dyOut, layout, dy, { batch, seqLength, units });
    dhRec.fill(0);
    for (let b = 0; b < batch; b++) {
      const src = (b * (seqLength + 1) + seqLength) * units;
      dcNext.set(dy.subarray(src, src + units), b * units);
    }
    const recurrentT = mode === "blas" ? null : operand(weights.recurrentKernel, mode, true);
    const recurrentW = mode === "blas" ? weights.recurrentKernel.dataSync() as Float32Array : null;
    for (let t = seqLength - 1; t >= 0; t--) {
      cell.backwardStep(t);
      if (t > 0 || hasState) {
        const rows = dz.subarray(t * batch * gates4, (t + 1) * batch * gates4);
        if (recurrentT == null) {
          // dh = dz x recurrentKernel^T, straight into dhRec (the transpose is a flag).
          const b = recurrentW!;
          blas!.sgemm({ transB: true, m: batch, n: units, k: gates4, a: rows, b, c: dhRec });
        } else {
          dhRec.set(product(rows, batch, gates4, recurrentT));
        }
        if (masked) { for (let k = 0; k < bu; k++) dhRec[k] *= stateMask[k]; }
      }
    }
    if (recurrentT?.tensor != null) recurrentT.tensor.dispose();
    const inputs = { hIn: buf.hIn, xt, inputMask, kernel: weights.kernel, batch, seqLength, units };
    const sums = mode === "blas"
      ? blasSums(blas!, dz, inputs)
      : mode === "backend"
      ? backendSums(dz, inputs)
      : jsSums(dz, inputs);
    const gradients = {
      ...sums,
      // Copies: the cpu backend keeps the array it is given, and the memory gets reused.
      h0: tf.tensor2d(dhRec.slice(), [batch, units]),
      c0: tf.tensor2d(dcNext.slice(), [batch, units]),
    };
    cell.release();
    return gradients;
  }

  function release(): void {
    done = true;
    cell.release();
  }

  return { batch, seqLength, units, packed: buf.packed, backward, release };
}
