/**
 * Forward pass and backpropagation through time of an LSTM over a whole sequence, for the
 * fused layer in `fused_lstm.ts`.
 *
 * Matrix products run on the tfjs backend (XNNPACK on wasm), always without transpose flags,
 * or, on the cpu backend, in a blocked JS loop about three times faster than its kernel.
 * Everything else (gate activations, the cell update, their derivatives, layout changes)
 * runs in plain loops over Float32Arrays: per time step that is one backend op plus one copy
 * in and one copy out, instead of a dozen small tensor ops (whose slicing copies whole
 * tensors on the wasm backend and walks element by element on the cpu backend).
 *
 * Gate order and layout are those of tfjs: columns i, f, c, o of `[inputDim, 4 * units]`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

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
   * Where matrix products run: `"backend"` (tfjs ops) or `"js"` (plain loops).
   * @default {"js" on the cpu backend, else "backend"}
   */
  matMul?: MatMulMode;
}

/** Where matrix products run. */
export type MatMulMode = "backend" | "js";

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

/** Copies the packed output into `layout` (the packed array itself for `"packed"`). */
export function fromPacked(
  packed: Float32Array,
  layout: OutputLayout,
  shape: { batch: number; seqLength: number; units: number },
): Float32Array {
  const { batch, seqLength, units } = shape;
  if (layout === "packed") return packed;
  const steps = layout === "last" ? 1 : seqLength;
  const first = seqLength - steps;
  const out = new Float32Array(batch * steps * units);
  for (let b = 0; b < batch; b++) {
    const row = (b * (seqLength + 1) + first) * units;
    out.set(packed.subarray(row, row + steps * units), b * steps * units);
  }
  return out;
}

/** The gradient of `layout` spread into the packed layout (zeros where unused). */
function toPacked(
  dy: Float32Array,
  layout: OutputLayout,
  shape: { batch: number; seqLength: number; units: number },
): Float32Array {
  const { batch, seqLength, units } = shape;
  if (layout === "packed") return dy;
  const steps = layout === "last" ? 1 : seqLength;
  const first = seqLength - steps;
  const out = new Float32Array(batch * (seqLength + 1) * units);
  for (let b = 0; b < batch; b++) {
    const row = b * steps * units;
    out.set(dy.subarray(row, row + steps * units), (b * (seqLength + 1) + first) * units);
  }
  return out;
}

/** A finished forward pass. */
export interface SequenceRun {
  batch: number;
  seqLength: number;
  units: number;
  /**
   * `[batch, seqLength + 1, units]` row-major: `h` after every step, then the final `c`.
   * Owned by the caller (a tensor may be built on it without copying).
   */
  packed: Float32Array;
  /**
   * Backpropagation through time.
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

/** Longest inner dimension of one backend product in {@linkcode weightGradients}. */
const CHUNK_ROWS = 1024;

/**
 * The weight gradients `xt^T x dz` `[inputDim, 4 * units]` and `hIn^T x dz`
 * `[units, 4 * units]`, summed over all time steps and batch rows, as one product of the
 * stacked `[hIn | xt]^T`. On the backend the sum runs in chunks of at most
 * {@linkcode CHUNK_ROWS} rows: XNNPACK is almost twice as fast on them as on one product with
 * an inner dimension of several thousand (it repacks the right operand on every call).
 */
function weightGradients(
  parts: { hIn: Float32Array; units: number; xt: Float32Array; inputDim: number },
  dz: Float32Array,
  gates4: number,
  mode: MatMulMode,
): { kernel: tf.Tensor2D; recurrentKernel: tf.Tensor2D } {
  const { hIn, units, xt, inputDim } = parts;
  const width = units + inputDim;
  const rows = hIn.length / units;
  const chunks = mode === "js" ? 1 : Math.ceil(rows / CHUNK_ROWS);
  const size = Math.ceil(rows / chunks);
  let sum: tf.Tensor2D | Float32Array | null = null;
  for (let r0 = 0; r0 < rows; r0 += size) {
    const n = Math.min(size, rows - r0);
    // [hIn | xt] of rows r0 .. r0 + n, transposed: [units + inputDim, n].
    const stackedT = new Float32Array(width * n);
    for (let r = 0; r < n; r++) {
      const h = (r0 + r) * units;
      for (let j = 0; j < units; j++) stackedT[j * n + r] = hIn[h + j];
      const x = (r0 + r) * inputDim;
      for (let d = 0; d < inputDim; d++) stackedT[(units + d) * n + r] = xt[x + d];
    }
    const dzRows = dz.subarray(r0 * gates4, (r0 + n) * gates4);
    if (mode === "js") {
      sum = gemm(stackedT, width, n, dzRows, gates4);
      continue;
    }
    const previous = sum as tf.Tensor2D | null;
    sum = tf.tidy(() => {
      const product = tf.matMul(
        tf.tensor2d(stackedT, [width, n]),
        tf.tensor2d(dzRows, [n, gates4]),
      );
      return previous == null ? product : tf.add(previous, product);
    }) as tf.Tensor2D;
    previous?.dispose();
  }
  const all = sum instanceof Float32Array ? tf.tensor2d(sum, [width, gates4]) : sum!;
  const [recurrentKernel, kernel] = tf.split(all, [units, inputDim], 0) as tf.Tensor2D[];
  all.dispose();
  return { kernel, recurrentKernel };
}

/**
 * `a [m, k] x b [k, n]` in plain JS, four rows of `a` at a time (row-major, float32
 * accumulation like the tfjs kernels). About 2.5 GFLOP/s in V8, three times the cpu
 * backend's matMul.
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

/** Beyond this, tanh rounds to +-1 in float32. */
const TANH_LIMIT = 9;

/**
 * tanh as a rational function (the float32 approximation of Eigen's `ptanh_float`), about
 * three times faster than `Math.tanh` in V8; absolute error below 3e-7.
 */
function tanh(x: number): number {
  if (x > TANH_LIMIT) return 1;
  if (x < -TANH_LIMIT) return -1;
  if (x > 7.90531110763549805) x = 7.90531110763549805;
  else if (x < -7.90531110763549805) x = -7.90531110763549805;
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p - 8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-8;
  p = x2 * p + 1.48572235717979e-5;
  p = x2 * p + 6.37261928875436e-4;
  p = x2 * p + 4.89352455891786e-3;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = x2 * q + 2.268434632439e-3;
  q = x2 * q + 4.89352518554385e-3;
  return (x * p) / q;
}

/** Transposes a row-major `[rows, cols]` matrix. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
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

/** The arrays one forward pass fills and its backward pass reads. */
interface Buffers {
  batch: number;
  seqLength: number;
  units: number;
  hard: boolean;
  /** Input projections plus bias, time-major `[time * batch, 4 * units]`. */
  proj: Float32Array;
  /** Gate activations i, f, g, o, time-major `[time * batch, 4 * units]`. */
  acts: Float32Array;
  /** `c` before the first step and after each step: `[(time + 1) * batch, units]`. */
  cs: Float32Array;
  /** `tanh(c)` after each step: `[time * batch, units]`. */
  tanhCs: Float32Array;
  /** Recurrent input of each step (`h` of the step before, after dropout). */
  hIn: Float32Array;
  /** `[batch, time + 1, units]`: `h` after each step, then the final `c`. */
  packed: Float32Array;
  /** Recurrent dropout mask `[batch, units]`, or an empty array for none. */
  stateMask: Float32Array;
}

/**
 * One time step after its recurrent product `z` `[batch, 4 * units]`: gates, cell update and
 * output. A separate function so that V8 optimises it after a few calls.
 */
function forwardStep(buf: Buffers, t: number, z: Float32Array): void {
  const { batch, seqLength, units, hard, proj, acts, cs, tanhCs, hIn, packed, stateMask } = buf;
  const gates4 = 4 * units;
  const bu = batch * units;
  const masked = stateMask.length > 0;
  const last = t + 1 === seqLength;
  for (let b = 0; b < batch; b++) {
    const pRow = (t * batch + b) * gates4;
    const zRow = b * gates4;
    const sRow = t * bu + b * units;
    const outRow = (b * (seqLength + 1) + t) * units;
    for (let j = 0; j < units; j++) {
      const zi = proj[pRow + j] + z[zRow + j];
      const zf = proj[pRow + units + j] + z[zRow + units + j];
      const zg = proj[pRow + 2 * units + j] + z[zRow + 2 * units + j];
      const zo = proj[pRow + 3 * units + j] + z[zRow + 3 * units + j];
      let i: number, f: number, o: number;
      if (hard) {
        i = 0.2 * zi + 0.5;
        i = i < 0 ? 0 : i > 1 ? 1 : i;
        f = 0.2 * zf + 0.5;
        f = f < 0 ? 0 : f > 1 ? 1 : f;
        o = 0.2 * zo + 0.5;
        o = o < 0 ? 0 : o > 1 ? 1 : o;
      } else {
        i = 0.5 + 0.5 * tanh(0.5 * zi);
        f = 0.5 + 0.5 * tanh(0.5 * zf);
        o = 0.5 + 0.5 * tanh(0.5 * zo);
      }
      const g = tanh(zg);
      const c = f * cs[sRow + j] + i * g;
      const tc = tanh(c);
      const h = o * tc;
      acts[pRow + j] = i;
      acts[pRow + units + j] = f;
      acts[pRow + 2 * units + j] = g;
      acts[pRow + 3 * units + j] = o;
      cs[sRow + bu + j] = c;
      tanhCs[sRow + j] = tc;
      packed[outRow + j] = h;
      if (!last) hIn[sRow + bu + j] = masked ? h * stateMask[b * units + j] : h;
    }
  }
}

/** Gradients carried through {@linkcode backwardStep}. */
interface StepGradients {
  /** Gradient of the packed output `[batch, time + 1, units]`. */
  dy: Float32Array;
  /** Gradient reaching `h` of the current step through the next step `[batch, units]`. */
  dhRec: Float32Array;
  /** Gradient of `c` of the current step from later steps `[batch, units]`. */
  dcNext: Float32Array;
  /** Pre-activation gradients, time-major `[time * batch, 4 * units]`. */
  dz: Float32Array;
}

/**
 * One step of backpropagation through time: from `dh` (output gradient of step `t` in `dy`
 * plus `dhRec`) and `dcNext`, writes the pre-activation gradients of step `t` into `dz` and
 * replaces `dcNext` with the gradient of the previous `c`.
 */
function backwardStep(buf: Buffers, t: number, grads: StepGradients): void {
  const { batch, seqLength, units, hard, acts, cs, tanhCs } = buf;
  const { dy, dhRec, dcNext, dz } = grads;
  const gates4 = 4 * units;
  const bu = batch * units;
  for (let b = 0; b < batch; b++) {
    const pRow = (t * batch + b) * gates4;
    const sRow = t * bu + b * units;
    const yRow = (b * (seqLength + 1) + t) * units;
    const sb = b * units;
    for (let j = 0; j < units; j++) {
      const i = acts[pRow + j];
      const f = acts[pRow + units + j];
      const g = acts[pRow + 2 * units + j];
      const o = acts[pRow + 3 * units + j];
      const tc = tanhCs[sRow + j];
      const dh = dy[yRow + j] + dhRec[sb + j];
      const dc = dcNext[sb + j] + dh * o * (1 - tc * tc);
      const di = dc * g;
      const df = dc * cs[sRow + j];
      const dg = dc * i;
      const dO = dh * tc;
      dcNext[sb + j] = dc * f;
      if (hard) {
        dz[pRow + j] = i > 0 && i < 1 ? 0.2 * di : 0;
        dz[pRow + units + j] = f > 0 && f < 1 ? 0.2 * df : 0;
        dz[pRow + 3 * units + j] = o > 0 && o < 1 ? 0.2 * dO : 0;
      } else {
        dz[pRow + j] = di * i * (1 - i);
        dz[pRow + units + j] = df * f * (1 - f);
        dz[pRow + 3 * units + j] = dO * o * (1 - o);
      }
      dz[pRow + 2 * units + j] = dg * (1 - g * g);
    }
  }
}

/** Copies `x` `[batch, time, dim]` to time-major `[time * batch, dim]`, times `mask`. */
function toTimeMajor(
  x: Float32Array,
  shape: [number, number, number],
  mask: Float32Array | null,
): Float32Array {
  const [batch, seqLength, dim] = shape;
  const out = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLength; t++) {
      const src = (b * seqLength + t) * dim;
      const dst = (t * batch + b) * dim;
      for (let d = 0; d < dim; d++) {
        out[dst + d] = mask == null ? x[src + d] : x[src + d] * mask[b * dim + d];
      }
    }
  }
  return out;
}

/** Copies time-major `[time * batch, dim]` to `[batch, time, dim]`, times `mask`. */
function toBatchMajor(
  x: Float32Array,
  shape: [number, number, number],
  mask: Float32Array | null,
): Float32Array {
  const [batch, seqLength, dim] = shape;
  const out = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLength; t++) {
      const src = (t * batch + b) * dim;
      const dst = (b * seqLength + t) * dim;
      for (let d = 0; d < dim; d++) {
        out[dst + d] = mask == null ? x[src + d] : x[src + d] * mask[b * dim + d];
      }
    }
  }
  return out;
}

/**
 * Runs the LSTM over `args.x` and keeps what the backward pass needs (in JS memory, not as
 * tensors: nothing needs disposing).
 */
export function runSequence(args: SequenceArgs): SequenceRun {
  const [batch, seqLength, inputDim] = args.x.shape;
  const units = args.recurrentKernel.shape[0];
  const gates4 = 4 * units;
  const bu = batch * units;
  const rows = seqLength * batch;
  const inputMask = args.inputMask;
  const stateMask = args.stateMask ?? new Float32Array(0);

  const mode = args.matMul ?? (tf.getBackend() === "cpu" ? "js" : "backend");
  const xt = toTimeMajor(args.x.dataSync() as Float32Array, args.x.shape, inputMask);
  const proj = product(xt, rows, inputDim, operand(args.kernel, mode, false));
  if (args.bias != null) {
    const bias = args.bias.dataSync() as Float32Array;
    for (let r = 0; r < rows; r++) {
      for (let q = 0, o = r * gates4; q < gates4; q++) proj[o + q] += bias[q];
    }
  }
  const recurrent = operand(args.recurrentKernel, mode, false);
  const buf: Buffers = {
    batch,
    seqLength,
    units,
    hard: args.gate === "hardSigmoid",
    proj,
    acts: new Float32Array(rows * gates4),
    cs: new Float32Array((seqLength + 1) * bu),
    tanhCs: new Float32Array(rows * units),
    hIn: new Float32Array(rows * units),
    packed: new Float32Array(batch * (seqLength + 1) * units),
    stateMask,
  };
  const hasState = args.h0 != null && args.c0 != null;
  if (hasState) {
    buf.cs.set(args.c0!.dataSync() as Float32Array, 0);
    const h0 = args.h0!.dataSync() as Float32Array;
    for (let k = 0; k < bu; k++) buf.hIn[k] = stateMask.length > 0 ? h0[k] * stateMask[k] : h0[k];
  }
  const noRecurrence = new Float32Array(batch * gates4);
  for (let t = 0; t < seqLength; t++) {
    const z = t === 0 && !hasState
      ? noRecurrence
      : product(buf.hIn.subarray(t * bu, (t + 1) * bu), batch, units, recurrent);
    forwardStep(buf, t, z);
  }
  const cLast = seqLength * bu;
  for (let b = 0; b < batch; b++) {
    buf.packed.set(
      buf.cs.subarray(cLast + b * units, cLast + (b + 1) * units),
      (b * (seqLength + 1) + seqLength) * units,
    );
  }
  buf.proj = new Float32Array(0); // not needed any more

  function backward(
    dyOut: Float32Array,
    layout: OutputLayout,
    weights: { kernel: tf.Tensor2D; recurrentKernel: tf.Tensor2D },
  ): SequenceGradients {
    const dy = toPacked(dyOut, layout, { batch, seqLength, units });
    const grads: StepGradients = {
      dy,
      dhRec: new Float32Array(bu),
      dcNext: new Float32Array(bu),
      dz: new Float32Array(rows * gates4),
    };
    for (let b = 0; b < batch; b++) {
      const src = (b * (seqLength + 1) + seqLength) * units;
      grads.dcNext.set(dy.subarray(src, src + units), b * units);
    }
    const recurrentT = operand(weights.recurrentKernel, mode, true);
    for (let t = seqLength - 1; t >= 0; t--) {
      backwardStep(buf, t, grads);
      if (t > 0 || hasState) {
        const rows = grads.dz.subarray(t * batch * gates4, (t + 1) * batch * gates4);
        grads.dhRec = product(rows, batch, gates4, recurrentT);
        if (stateMask.length > 0) { for (let k = 0; k < bu; k++) grads.dhRec[k] *= stateMask[k]; }
      }
    }
    if (recurrentT.tensor != null) recurrentT.tensor.dispose();
    const dz = grads.dz;
    const dBias = new Float32Array(gates4);
    for (let r = 0; r < rows; r++) {
      for (let q = 0, o = r * gates4; q < gates4; q++) dBias[q] += dz[o + q];
    }
    const kernelT = operand(weights.kernel, mode, true);
    const dxt = product(dz, rows, gates4, kernelT);
    if (kernelT.tensor != null) kernelT.tensor.dispose();
    const dx = toBatchMajor(dxt, [batch, seqLength, inputDim], inputMask);
    const weightGrads = weightGradients({ hIn: buf.hIn, units, xt, inputDim }, dz, gates4, mode);
    return {
      x: tf.tensor3d(dx, [batch, seqLength, inputDim]),
      kernel: weightGrads.kernel,
      recurrentKernel: weightGrads.recurrentKernel,
      bias: tf.tensor1d(dBias),
      h0: tf.tensor2d(grads.dhRec, [batch, units]),
      c0: tf.tensor2d(grads.dcNext, [batch, units]),
    };
  }

  return { batch, seqLength, units, packed: buf.packed, backward };
}
