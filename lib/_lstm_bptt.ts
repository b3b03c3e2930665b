/**
 * Forward pass and backpropagation through time of an LSTM over a whole sequence, written
 * with plain tensor ops so that the caller can register the backward pass as the gradient of
 * one `tf.customGrad` op (used by `fused_lstm.ts`).
 *
 * Internally the gate columns are reordered from tfjs' i, f, c, o to i, f, o, c so that the
 * three sigmoid-like gates are one contiguous block, and for `hardSigmoid` the slope 0.2 and
 * offset 0.5 are folded into the weights (`clip(0.2 z + 0.5, 0, 1)` becomes `clip(z', 0, 1)`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Activation of the input, forget and output gates (tfjs `recurrentActivation`). */
export type GateActivation = "hardSigmoid" | "sigmoid";

/** Inputs of {@linkcode forwardThroughTime} (read, not changed). */
export interface ForwardArgs {
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
  /** Multiplies the inputs of every time step: `[batch, inputDim]`, or `null`. */
  inputMask: tf.Tensor2D | null;
  /** Multiplies the recurrent state fed to every step: `[batch, units]`, or `null`. */
  stateMask: tf.Tensor2D | null;
}

/** What the backward pass needs from the forward pass. */
export interface Trace {
  gate: GateActivation;
  batch: number;
  seqLength: number;
  inputDim: number;
  units: number;
  /** Inputs after dropout, time-major: `[time * batch, inputDim]`. */
  xTime: tf.Tensor2D;
  /** Prepared kernel `[inputDim, 4 * units]` (internal gate order, scaled). */
  w: tf.Tensor2D;
  /** Prepared recurrent kernel `[units, 4 * units]`. */
  r: tf.Tensor2D;
  inputMask: tf.Tensor2D | null;
  stateMask: tf.Tensor2D | null;
  /** Per step: the recurrent input of the step (`h[t - 1]` after dropout), `[batch, units]`. */
  hIn: tf.Tensor2D[];
  /** `c` before the first step and after each step (`seqLength + 1` entries). */
  c: tf.Tensor2D[];
  /** Per step: i, f, o gate activations `[batch, 3 * units]`. */
  ifo: tf.Tensor2D[];
  /** Per step: candidate `tanh(z_c)` `[batch, units]`. */
  g: tf.Tensor2D[];
  /** Per step: `tanh(c[t])` `[batch, units]`. */
  tanhC: tf.Tensor2D[];
}

/** A trace whose tensors can be handed to a customGrad `save` function and restored. */
export interface SavableTrace {
  /** Saves the tensors; the returned function rebuilds the trace from the saved copies. */
  save(save: (tensors: tf.Tensor[]) => void): (saved: tf.Tensor[]) => Trace;
}

/** Result of {@linkcode forwardThroughTime}. */
export interface ForwardResult {
  /** `h` after each step, `[batch, units]` each. */
  h: tf.Tensor2D[];
  /** `c` before the first step and after each step, `[batch, units]` each. */
  c: tf.Tensor2D[];
  trace: SavableTrace;
}

/** Gradients returned by {@linkcode backwardThroughTime}. */
export interface Gradients {
  /** `[batch, time, inputDim]`. */
  x: tf.Tensor3D;
  /** `[inputDim, 4 * units]`. */
  kernel: tf.Tensor2D;
  /** `[units, 4 * units]`. */
  recurrentKernel: tf.Tensor2D;
  /** `[4 * units]`. */
  bias: tf.Tensor1D;
  /** `[batch, units]`. */
  h0: tf.Tensor2D;
  /** `[batch, units]`. */
  c0: tf.Tensor2D;
}

/** Swaps the c and o column blocks: tfjs order i, f, c, o to internal i, f, o, c and back. */
function swapCO<T extends tf.Tensor>(t: T): T {
  const axis = t.rank - 1;
  const [i, f, c, o] = tf.split(t, 4, axis);
  return tf.concat([i, f, o, c], axis) as T;
}

/** Column scale folding hardSigmoid's slope into the weights (`null` for sigmoid). */
function gateScale(gate: GateActivation, units: number): tf.Tensor1D | null {
  if (gate === "sigmoid") return null;
  return tf.concat([tf.fill([3 * units], 0.2), tf.ones([units])]) as tf.Tensor1D;
}

/** Internal weights: columns reordered, hardSigmoid's slope and offset folded in. */
function prepareWeights(
  args: ForwardArgs,
  units: number,
): { w: tf.Tensor2D; r: tf.Tensor2D; b: tf.Tensor1D | null } {
  let w = swapCO(args.kernel);
  let r = swapCO(args.recurrentKernel);
  let b = args.bias == null ? null : swapCO(args.bias);
  const scale = gateScale(args.gate, units);
  if (scale != null) {
    w = tf.mul(w, scale);
    r = tf.mul(r, scale);
    const offset = tf.concat([tf.fill([3 * units], 0.5), tf.zeros([units])]) as tf.Tensor1D;
    b = b == null ? offset : tf.add(tf.mul(b, scale), offset);
  }
  return { w, r, b };
}

/**
 * Runs the LSTM over `x` `[batch, time, inputDim]`. Call inside `tf.tidy` or a customGrad
 * forward function: intermediate tensors are left to the enclosing scope.
 */
export function forwardThroughTime(x: tf.Tensor3D, args: ForwardArgs): ForwardResult {
  const [batch, seqLength, inputDim] = x.shape;
  const units = args.recurrentKernel.shape[0];
  const { w, r, b } = prepareWeights(args, units);
  const xs = args.inputMask == null ? x : tf.mul(x, tf.expandDims(args.inputMask, 1));
  const xTime = tf.reshape(tf.transpose(xs, [1, 0, 2]), [seqLength * batch, inputDim]);
  const projected = b == null ? tf.matMul(xTime, w) : tf.add(tf.matMul(xTime, w), b);
  const steps = seqLength > 1 ? tf.split(projected, seqLength, 0) : [projected];
  const zeroState = args.h0 == null ? tf.zeros([batch, units]) as tf.Tensor2D : null;
  let h = args.h0 ?? zeroState!;
  let c = args.c0 ?? zeroState!;
  const hs: tf.Tensor2D[] = [];
  const cs: tf.Tensor2D[] = [c];
  const hIn: tf.Tensor2D[] = [];
  const ifos: tf.Tensor2D[] = [];
  const gs: tf.Tensor2D[] = [];
  const tanhCs: tf.Tensor2D[] = [];
  for (let t = 0; t < seqLength; t++) {
    const hm = args.stateMask == null ? h : tf.mul(h, args.stateMask);
    hIn.push(hm);
    const z = t === 0 && args.h0 == null ? steps[0] : tf.add(tf.matMul(hm, r), steps[t]);
    const [zIfo, zC] = tf.split(z, [3 * units, units], 1);
    const ifo = args.gate === "hardSigmoid" ? tf.clipByValue(zIfo, 0, 1) : tf.sigmoid(zIfo);
    const g = tf.tanh(zC);
    const [i, f, o] = tf.split(ifo, 3, 1);
    c = tf.add(tf.mul(f, c), tf.mul(i, g));
    const tanhC = tf.tanh(c);
    h = tf.mul(o, tanhC);
    hs.push(h);
    cs.push(c);
    ifos.push(ifo as tf.Tensor2D);
    gs.push(g as tf.Tensor2D);
    tanhCs.push(tanhC);
  }
  const trace: Trace = {
    gate: args.gate,
    batch,
    seqLength,
    inputDim,
    units,
    xTime,
    w,
    r,
    inputMask: args.inputMask,
    stateMask: args.stateMask,
    hIn,
    c: cs,
    ifo: ifos,
    g: gs,
    tanhC: tanhCs,
  };
  return { h: hs, c: cs, trace: savable(trace) };
}

/** Wraps a trace so its tensors travel through a customGrad `save` function. */
function savable(trace: Trace): SavableTrace {
  return {
    save(save) {
      const optional = [trace.inputMask, trace.stateMask];
      const fixed: tf.Tensor[] = [trace.xTime, trace.w, trace.r];
      for (const t of optional) if (t != null) fixed.push(t);
      const lists = [trace.hIn, trace.c, trace.ifo, trace.g, trace.tanhC];
      save([...fixed, ...lists.flat()]);
      return (saved) => {
        let k = 0;
        const next = <T extends tf.Tensor>() => saved[k++] as T;
        const take = (n: number) => saved.slice(k, (k += n)) as tf.Tensor2D[];
        const xTime = next<tf.Tensor2D>();
        const w = next<tf.Tensor2D>();
        const r = next<tf.Tensor2D>();
        const inputMask = trace.inputMask == null ? null : next<tf.Tensor2D>();
        const stateMask = trace.stateMask == null ? null : next<tf.Tensor2D>();
        const n = trace.seqLength;
        return {
          ...trace,
          xTime,
          w,
          r,
          inputMask,
          stateMask,
          hIn: take(n),
          c: take(n + 1),
          ifo: take(n),
          g: take(n),
          tanhC: take(n),
        };
      };
    },
  };
}

/**
 * Backpropagation through time.
 *
 * @param dy gradient of `[batch, time + 1, units]`: `h` of every step, then the final `c`
 * @param trace the forward pass's trace
 */
export function backwardThroughTime(dy: tf.Tensor3D, trace: Trace): Gradients {
  const { batch, seqLength, inputDim, units } = trace;
  const dys = tf.unstack(dy, 1) as tf.Tensor2D[];
  const rT = tf.transpose(trace.r);
  let dcNext = dys[seqLength];
  let dhRec: tf.Tensor2D | null = null;
  const dzs: tf.Tensor2D[] = new Array(seqLength);
  for (let t = seqLength - 1; t >= 0; t--) {
    const dh = dhRec == null ? dys[t] : tf.add(dys[t], dhRec);
    const ifo = trace.ifo[t];
    const [i, f, o] = tf.split(ifo, 3, 1);
    const g = trace.g[t];
    const tanhC = trace.tanhC[t];
    const dO = tf.mul(dh, tanhC);
    const dc = tf.add(dcNext, tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tanhC))));
    const dI = tf.mul(dc, g);
    const dF = tf.mul(dc, trace.c[t]);
    const dG = tf.mul(dc, i);
    dcNext = tf.mul(dc, f);
    const slope = trace.gate === "sigmoid"
      ? tf.mul(ifo, tf.sub(1, ifo))
      : tf.sign(tf.mul(ifo, tf.sub(1, ifo)));
    const dzIfo = tf.mul(tf.concat([dI, dF, dO], 1), slope);
    const dzC = tf.mul(dG, tf.sub(1, tf.square(g)));
    const dz = tf.concat([dzIfo, dzC], 1) as tf.Tensor2D;
    dzs[t] = dz;
    dhRec = tf.matMul(dz, rT);
    if (trace.stateMask != null) dhRec = tf.mul(dhRec, trace.stateMask);
  }
  const dz = tf.concat(dzs, 0) as tf.Tensor2D;
  const hIn = tf.concat(trace.hIn, 0) as tf.Tensor2D;
  let dR = tf.matMul(tf.transpose(hIn), dz);
  let dW = tf.matMul(tf.transpose(trace.xTime), dz);
  let dB = tf.sum(dz, 0) as tf.Tensor1D;
  const dxTime = tf.matMul(dz, tf.transpose(trace.w));
  let dx = tf.transpose(tf.reshape(dxTime, [seqLength, batch, inputDim]), [1, 0, 2]);
  if (trace.inputMask != null) dx = tf.mul(dx, tf.expandDims(trace.inputMask, 1));
  const scale = gateScale(trace.gate, units);
  if (scale != null) {
    dR = tf.mul(dR, scale);
    dW = tf.mul(dW, scale);
    dB = tf.mul(dB, scale);
  }
  return {
    x: dx as tf.Tensor3D,
    kernel: swapCO(dW),
    recurrentKernel: swapCO(dR),
    bias: swapCO(dB),
    h0: dhRec!,
    c0: dcNext,
  };
}
