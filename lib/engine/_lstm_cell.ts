/**
 * The elementwise work of the fused LSTM's time steps (gates, cell update, their
 * derivatives), for `_lstm_bptt.ts`: in hand-written WebAssembly SIMD (`_lstm_cell.wat`,
 * four units per instruction, float32) when `units` is a multiple of 4, else in plain JS
 * loops (float64 arithmetic, float32 storage). The JS kernels are also the reference the
 * wasm ones are tested against; the two agree within about 1e-6.
 *
 * {@linkcode lstmCell} allocates all arrays of one sequence run at once: for wasm, in a
 * `WebAssembly.Memory` of their own that never grows, so the arrays (views into it) stay
 * valid for as long as the run is kept, however many other runs come in between. A released
 * cell's memory goes to the next cell that fits in it.
 *
 * @module
 */
import { LSTM_CELL_WASM_BASE64 } from "./_lstm_cell_wasm.ts";

/** The arrays of one sequence run; rows are row-major float32, gate order i, f, g, o. */
export interface CellBuffers {
  batch: number;
  seqLength: number;
  units: number;
  /** Hard sigmoid (`true`) or sigmoid (`false`) for the i, f and o gates. */
  hard: boolean;
  /** Input projections plus bias, time-major `[time * batch, 4 * units]`. */
  proj: Float32Array;
  /** The recurrent product `h x recurrentKernel` of the current step `[batch, 4 * units]`. */
  zRec: Float32Array;
  /** Gate activations i, f, g, o, time-major `[time * batch, 4 * units]`. */
  acts: Float32Array;
  /** `c` before the first step and after each step: `[(time + 1) * batch, units]`. */
  cs: Float32Array;
  /** `tanh(c)` after each step: `[time * batch, units]`. */
  tanhCs: Float32Array;
  /** Recurrent input of each step (the `h` before, after dropout): `[time * batch, units]`. */
  hIn: Float32Array;
  /** `[batch, time + 1, units]`: `h` after each step, then the final `c`. */
  packed: Float32Array;
  /** Recurrent dropout mask `[batch, units]`, or an empty array for none. */
  stateMask: Float32Array;
  /** Gradient of the packed output `[batch, time + 1, units]`. */
  dy: Float32Array;
  /** Gradient reaching `h` of the current step through the next step `[batch, units]`. */
  dhRec: Float32Array;
  /** Gradient of `c` of the current step from later steps `[batch, units]`. */
  dcNext: Float32Array;
  /**
   * Pre-activation gradients, time-major `[time * batch, 4 * units]`: the same memory as
   * `proj`, which the backward pass no longer needs.
   */
  dz: Float32Array;
}

/** Sizes of a run for {@linkcode lstmCell}. */
export interface CellShape {
  batch: number;
  seqLength: number;
  units: number;
  /** Hard sigmoid (`true`) or sigmoid (`false`) for the i, f and o gates. */
  hard: boolean;
  /** Whether a recurrent dropout mask is used (`stateMask` gets `batch * units` floats). */
  masked: boolean;
}

/** Options for {@linkcode lstmCell}. */
export interface LstmCellOptions {
  /**
   * Which step kernels to use: `"wasm"` (throws when `units` is not a multiple of 4 or the
   * engine lacks WebAssembly SIMD), `"js"`, or `"auto"`: wasm where possible, else JS.
   * @default {"auto"}
   */
  kernels?: "auto" | "wasm" | "js";
}

/** The arrays of one run and the step kernels over them. */
export interface LstmCell {
  /**
   * The arrays. Their contents at creation are unspecified (a reused memory keeps an earlier
   * run's values): write every element before reading it. `dz` and `proj` share memory.
   */
  buffers: CellBuffers;
  /** `"wasm"` or `"js"`: where the steps run. */
  kernels: "wasm" | "js";
  /**
   * One forward step `t`: reads `proj` rows of step `t`, `zRec`, `cs` step `t` and
   * `stateMask`; writes `acts` rows of step `t`, `cs` step `t + 1`, `tanhCs`, `packed` `h` of
   * step `t` and, unless `t` is the last step, `hIn` step `t + 1`.
   */
  forwardStep(t: number): void;
  /**
   * One backward step `t`: from `dh` (`dy` of step `t` plus `dhRec`) and `dcNext`, writes
   * the `dz` rows of step `t` and replaces `dcNext` with the gradient of the previous `c`.
   */
  backwardStep(t: number): void;
  /**
   * Hands the arrays' memory to later cells. Afterwards neither the cell nor any of its
   * arrays may be used (the steps throw; the arrays may hold another run's data). Without a
   * call the memory is freed by garbage collection.
   */
  release(): void;
}

/**
 * Allocates the arrays of one run (contents unspecified) and binds the step kernels to them.
 *
 * @param shape the run's sizes
 * @param options which kernels to use
 * @throws when `options.kernels` is `"wasm"` and wasm cannot be used for `shape.units`
 */
export function lstmCell(shape: CellShape, options: LstmCellOptions = {}): LstmCell {
  const want = options.kernels ?? "auto";
  if (want !== "js") {
    const cell = wasmCell(shape);
    if (cell != null) return cell;
    if (want === "wasm") {
      throw new Error(
        `lstmCell: the wasm kernels need units divisible by 4, WebAssembly SIMD and a wasm ` +
          `memory for the run, got units ${shape.units}, SIMD ` +
          `${cellModule() != null ? "available" : "unavailable"}`,
      );
    }
  }
  const buffers = allocate(shape, (length) => new Float32Array(length));
  let released = false;
  const checkLive = () => {
    if (released) throw new Error("lstmCell: step on a released cell");
  };
  return {
    buffers,
    kernels: "js",
    forwardStep(t) {
      checkLive();
      forwardStep(buffers, t);
    },
    backwardStep(t) {
      checkLive();
      backwardStep(buffers, t);
    },
    release() {
      released = true;
    },
  };
}

/** Lengths (floats) of the arrays of a run; `dz` is `proj`. */
function lengths(shape: CellShape): Record<Exclude<keyof CellBuffers, Scalars | "dz">, number> {
  const { batch, seqLength, units, masked } = shape;
  const rows = seqLength * batch;
  const bu = batch * units;
  return {
    proj: rows * 4 * units,
    zRec: batch * 4 * units,
    acts: rows * 4 * units,
    cs: (seqLength + 1) * bu,
    tanhCs: rows * units,
    hIn: rows * units,
    packed: (seqLength + 1) * bu,
    stateMask: masked ? bu : 0,
    dy: (seqLength + 1) * bu,
    dhRec: bu,
    dcNext: bu,
  };
}

type Scalars = "batch" | "seqLength" | "units" | "hard";

/** The run's buffers, each array from `alloc`. */
function allocate(shape: CellShape, alloc: (length: number) => Float32Array): CellBuffers {
  const { batch, seqLength, units, hard } = shape;
  const sizes = lengths(shape);
  const arrays = Object.fromEntries(
    Object.entries(sizes).map(([name, length]) => [name, alloc(length)]),
  ) as Record<keyof typeof sizes, Float32Array>;
  return { batch, seqLength, units, hard, ...arrays, dz: arrays.proj };
}

/** `null`: not compiled yet; `false`: the engine cannot compile it (no SIMD). */
let compiled: WebAssembly.Module | false | null = null;

/** The compiled cell module, or `null` when this engine cannot compile it. */
function cellModule(): WebAssembly.Module | null {
  if (compiled == null) {
    const bytes = Uint8Array.from(atob(LSTM_CELL_WASM_BASE64), (ch) => ch.charCodeAt(0));
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : false;
  }
  return compiled === false ? null : compiled;
}

/** Exports of `_lstm_cell.wat` (all pointers are byte offsets). */
interface CellExports {
  forward_step(
    batch: number,
    units: number,
    hard: number,
    proj: number,
    zRec: number,
    acts: number,
    cPrev: number,
    cNext: number,
    tanhC: number,
    out: number,
    outStride: number,
    hNext: number,
    mask: number,
  ): void;
  backward_step(
    batch: number,
    units: number,
    hard: number,
    acts: number,
    cPrev: number,
    tanhC: number,
    dy: number,
    dyStride: number,
    dhRec: number,
    dcNext: number,
    dz: number,
  ): void;
}

/** Bytes per float. */
const F32 = 4;

/** A wasm memory with its own instance of the cell module. */
interface Arena {
  memory: WebAssembly.Memory;
  cell: CellExports;
}

/**
 * Arenas of released cells, oldest first. Reusing one saves the page faults of a fresh
 * memory, which cost more than the steps themselves.
 */
const freeArenas: Arena[] = [];

/** At most this many arenas wait for reuse (the oldest go first) ... */
const FREE_ARENAS_MAX = 4;
/** ... taking at most this many bytes together. */
const FREE_BYTES_MAX = 1 << 30;

/**
 * A released arena of at least `bytes` (the smallest, and at most four times that or 1 MiB),
 * else a fresh one, or `null` when a memory of `bytes` cannot be allocated.
 */
function takeArena(module: WebAssembly.Module, bytes: number): Arena | null {
  let best = -1;
  for (let k = 0; k < freeArenas.length; k++) {
    const size = freeArenas[k].memory.buffer.byteLength;
    if (size < bytes || size > Math.max(4 * bytes, 1 << 20)) continue;
    if (best < 0 || size < freeArenas[best].memory.buffer.byteLength) best = k;
  }
  if (best >= 0) return freeArenas.splice(best, 1)[0];
  let memory: WebAssembly.Memory;
  try {
    const pages = Math.max(1, Math.ceil(bytes / 65536));
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  } catch {
    return null; // too large for one wasm memory (RangeError)
  }
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { memory, cell: instance.exports as unknown as CellExports };
}

/** Keeps `arena` for reuse, within {@linkcode FREE_ARENAS_MAX} and {@linkcode FREE_BYTES_MAX}. */
function releaseArena(arena: Arena): void {
  freeArenas.push(arena);
  const bytes = () => freeArenas.reduce((sum, a) => sum + a.memory.buffer.byteLength, 0);
  while (freeArenas.length > FREE_ARENAS_MAX || bytes() > FREE_BYTES_MAX) freeArenas.shift();
}

/**
 * A cell whose arrays live in a wasm memory of their own (fresh or released by an earlier
 * cell), or `null` when `units` is not a multiple of 4, the engine lacks SIMD or the memory
 * cannot be allocated.
 */
function wasmCell(shape: CellShape): LstmCell | null {
  const { batch, seqLength, units, hard } = shape;
  const module = units % 4 === 0 ? cellModule() : null;
  if (module == null) return null;
  // Every array starts 16-byte aligned (4 floats).
  const padded = (length: number) => Math.ceil(length / 4) * 4;
  const floats = Object.values(lengths(shape)).reduce((sum, n) => sum + padded(n), 0);
  const arena = takeArena(module, floats * F32);
  if (arena == null) return null; // the JS kernels take any size
  const { memory, cell } = arena;
  let next = 0;
  const buffers = allocate(shape, (length) => {
    const view = new Float32Array(memory.buffer, next * F32, length);
    next += padded(length);
    return view;
  });
  const { proj, zRec, acts, cs, tanhCs, hIn, packed, stateMask, dy, dhRec, dcNext, dz } = buffers;
  const gateBlock = batch * 4 * units * F32; // bytes of one step's gate rows
  const unitBlock = batch * units * F32; // bytes of one step's unit rows
  const packedStride = (seqLength + 1) * units * F32; // bytes from one batch row to the next
  const mask = stateMask.length > 0 ? stateMask.byteOffset : -1;
  let released = false;
  const checkLive = () => {
    if (released) throw new Error("lstmCell: step on a released cell (its memory is reused)");
  };
  return {
    buffers,
    kernels: "wasm",
    forwardStep(t) {
      checkLive();
      cell.forward_step(
        batch,
        units,
        hard ? 1 : 0,
        proj.byteOffset + t * gateBlock,
        zRec.byteOffset,
        acts.byteOffset + t * gateBlock,
        cs.byteOffset + t * unitBlock,
        cs.byteOffset + (t + 1) * unitBlock,
        tanhCs.byteOffset + t * unitBlock,
        packed.byteOffset + t * units * F32,
        packedStride,
        t + 1 < seqLength ? hIn.byteOffset + (t + 1) * unitBlock : -1,
        mask,
      );
    },
    backwardStep(t) {
      checkLive();
      cell.backward_step(
        batch,
        units,
        hard ? 1 : 0,
        acts.byteOffset + t * gateBlock,
        cs.byteOffset + t * unitBlock,
        tanhCs.byteOffset + t * unitBlock,
        dy.byteOffset + t * units * F32,
        packedStride,
        dhRec.byteOffset,
        dcNext.byteOffset,
        dz.byteOffset + t * gateBlock,
      );
    },
    release() {
      if (released) return;
      released = true;
      releaseArena(arena);
    },
  };
}

/** Beyond this, tanh rounds to +-1 in float32. */
const TANH_LIMIT = 9;

/**
 * tanh as a rational function (the float32 approximation of Eigen's `ptanh_float`), faster
 * than `Math.tanh` in V8; absolute error below 3e-7.
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

/**
 * The JS forward step (see {@linkcode LstmCell.forwardStep}). A separate function so that V8
 * optimises it after a few calls.
 */
function forwardStep(buf: CellBuffers, t: number): void {
  const { batch, seqLength, units, hard, proj, zRec: z, acts, cs, tanhCs, hIn, packed } = buf;
  const stateMask = buf.stateMask;
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

/** The JS backward step (see {@linkcode LstmCell.backwardStep}). */
function backwardStep(buf: CellBuffers, t: number): void {
  const { batch, seqLength, units, hard, acts, cs, tanhCs, dy, dhRec, dcNext, dz } = buf;
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
