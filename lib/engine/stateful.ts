/**
 * Stateful generation: instead of running the model over a whole window for every new note
 * (as the plain loops of `lib/tutorial/sample.ts` and `lib/classic/sample.ts` do), keep each LSTM's state `{h, c}` between
 * notes and advance it by one time step per note.
 *
 * Works for any of the project's models, walked layer by layer in order: LSTM layers
 * (`fusedLstm` or `tf.layers.lstm`, run with {@linkcode lstmSequence} over several steps and,
 * for one step of a carried state, by a per-layer stepper: two matrix-vector products and the
 * gate math of one row) keep their state; Dense, Activation, Dropout (inactive) and
 * BatchNormalization (inference mode) are applied to each step's output, by the runner itself
 * (`_layer_rows.ts`) by default. The tutorial model (one LSTM, three heads) and the classic presets (stacked
 * LSTMs ending in a softmax) are both covered.
 *
 * Two memories, because a sliding window and a carried state are not the same computation:
 *
 * - `"carried"` (default): one LSTM step per note, from the state left by every note since
 *   the seed window. The state remembers notes older than the window, so once the window
 *   has slid (from the second generated note on) the predictions differ from the window
 *   method's, which restarts from a zero state at the start of each window. It computes
 *   exactly what re-feeding the whole history from a zero state would ("growing window").
 *   Cost per note: one step, independent of the window length.
 * - `"window"`: reproduces the window method exactly. It keeps `windowLength` staggered
 *   states ("lanes"), one per window that is still being read, each started from zero at
 *   its window's first note. Every new note advances all lanes in one batched step; the
 *   lane that has read a full window gives the prediction and is dropped, and a fresh lane
 *   starts. That is the same arithmetic as the window method (same products, row by row),
 *   batched across windows instead of repeated per window: the same number of operations,
 *   but matrix-matrix products instead of matrix-vector ones and one call per note instead
 *   of one per time step.
 *
 * For both memories the first generated note is the window method's first note: the seed
 * window is read from a zero state either way.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { lstmSequence, type LstmWeights, lstmWeights } from "./fused_lstm.ts";
import { type LstmCell, lstmCell } from "./_lstm_cell.ts";
import { readTidy } from "./read_tensors.ts";
import { activeBlas, type Blas } from "./blas.ts";
import {
  applyLayer,
  concatenateRows,
  planRowLayer,
  type RowLayer,
  type Rows,
  selectRow,
} from "./_layer_rows.ts";
import { productPlace } from "./_product_place.ts";

/**
 * What an LSTM state holds during stateful generation: `"carried"` (everything since the
 * seed window, one step per note) or `"window"` (exactly the last `windowLength` steps, as
 * the window method).
 */
export type StateMemory = "carried" | "window";

/** Where the layers after (and between) the LSTMs are computed. */
export type LayerMath = "js" | "tfjs";

/** Options for {@linkcode createStatefulRunner}. */
export interface StatefulRunnerOptions {
  /**
   * What the state remembers; see the module notes.
   * @default {"carried"}
   */
  memory?: StateMemory;
  /**
   * Steps per window for `memory: "window"` (ignored for `"carried"`).
   * @default {the model's input length (`model.inputs[0].shape[1]`)}
   */
  windowLength?: number;
  /**
   * How Dense, Activation and BatchNormalization layers are computed: `"js"` by the runner
   * (fast: activations and normalisation in plain loops; Dense products in plain loops over
   * the weights read when the runner is made, except kernels of more than 16,384 weights
   * off the cpu backend, which take one tfjs product with the bias fused), or `"tfjs"` with
   * `layer.apply(x, {training: false})` (the model's own ops, slower, and bit for bit what
   * `model.predict` computes on the same backend).
   * @default {"js"}
   */
  layerMath?: LayerMath;
  /**
   * With `memory: "carried"`, feed single steps (one row, the per-note case) through a
   * per-layer stepper: the input and recurrent products of the one row against the layer's
   * own weight tensors (tfjs; plain JS on the cpu backend and for small products) and the
   * gate math of that row, without the setup of a sequence run. `false` sends every feed
   * through the general sequence path; both give the same values up to float32 rounding.
   * @default {true}
   */
  fastStep?: boolean;
}

/**
 * A model read one time step at a time. Made by {@linkcode createStatefulRunner}; holds no
 * tensors between calls (nothing to dispose).
 */
export interface StatefulRunner {
  /** The memory in use. */
  readonly memory: StateMemory;
  /** Steps per window (`Infinity` for `"carried"`). */
  readonly windowLength: number;
  /** Numbers per time step (the model's inputs' widths added up). */
  readonly inputDim: number;
  /** Time steps fed since the runner was made or reset. */
  readonly steps: number;
  /**
   * Feeds time steps, oldest first, and returns the model's outputs after the last one: one
   * array per model output (`[width]`, batch of one), as `model.predict` would give for the
   * window (or, for `"carried"`, the whole history) ending at that step. The input is not
   * changed; the returned arrays are new.
   *
   * @param rows `[time, inputDim]` row-major, at least one step
   * @throws when `rows.length` is not a positive multiple of `inputDim`
   */
  feed(rows: ArrayLike<number>): Float32Array[];
  /** Forgets every state: the next feed starts from zeros, as a fresh runner. */
  reset(): void;
}

/** One model layer as the runner computes it: a row layer, or an LSTM with its state. */
interface PlanNode extends RowLayer {
  /** The (first) tensor the layer reads. */
  inputId: number;
  /** Every tensor the layer reads (one, except for Concatenate). */
  inputIds: number[];
  outputId: number;
  /** True when a later LSTM reads this layer's output (it then runs on every row). */
  feedsLstm: boolean;
  /** LSTM: weights and state. */
  lstm?: {
    weights: LstmWeights;
    units: number;
    h: Float32Array | null;
    c: Float32Array | null;
    /** The single-step path, made on the first one-row carried feed. */
    stepper?: LstmStepper;
  };
}

/** The tfjs internals of a layer's (single) call in the model. */
interface LayerNode {
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
}

/**
 * Makes a runner that reads `model` one time step at a time, keeping each LSTM's state.
 *
 * Supported layers, in any graph of one call per layer (shared layers excluded): InputLayer,
 * LSTM and FusedLSTM (tanh with hardSigmoid or sigmoid gates, not `goBackwards`, not
 * `returnState`), Embedding, Concatenate (feature axis), Dense, Activation,
 * BatchNormalization, Dropout and the other noise layers (inactive), and the per-step
 * activation layers ReLU, LeakyReLU, ELU, Softmax, ThresholdedReLU, PReLU. A model with
 * several inputs is fed rows holding them side by side, in the order of `model.inputs`; an
 * input `[batch, time]` (the ids an Embedding reads) takes one number per step.
 *
 * The weights are read when the runner is made: make a new runner after the model's weights
 * change. The model is not changed.
 *
 * @param model a tutorial or classic model (inputs `[batch, time, features]` or `[batch, time]`)
 * @throws {Error} naming the layer when the model holds a layer the runner cannot step,
 *   and naming `windowLength` when `memory` is `"window"` and it is not a positive integer
 */
export function createStatefulRunner(
  model: tf.LayersModel,
  options: StatefulRunnerOptions = {},
): StatefulRunner {
  const memory = options.memory ?? "carried";
  if (memory !== "carried" && memory !== "window") {
    throw new Error(`memory: expected "carried" or "window", got ${JSON.stringify(memory)}`);
  }
  const layerMath = options.layerMath ?? "js";
  if (layerMath !== "js" && layerMath !== "tfjs") {
    throw new Error(`layerMath: expected "js" or "tfjs", got ${JSON.stringify(layerMath)}`);
  }
  let windowLength = Infinity;
  if (memory === "window") {
    windowLength = options.windowLength ?? (model.inputs[0]?.shape[1] as number);
    if (!Number.isInteger(windowLength) || windowLength < 1) {
      throw new Error(
        `windowLength: expected a positive integer (the model's input length when not given), ` +
          `got ${windowLength}`,
      );
    }
  }
  const plan = planModel(model, layerMath);
  const fastStep = options.fastStep ?? true;
  let steps = 0;
  let lanes = 0;

  /** Runs the plan on `input`; `lanesStep` advances the lanes by one step. */
  function forward(input: Rows, lanesStep: boolean, wantOutputs: boolean): Float32Array[] {
    const values = splitInputs(plan, input);
    /** What `node` reads of tensor `id`: every row for an LSTM or a layer an LSTM reads. */
    const read = (node: PlanNode, id: number): Rows => {
      const v = values.get(id);
      if (v === undefined) {
        throw new Error(`stateful: layer ${node.layer.name} reads a tensor no earlier layer made`);
      }
      return node.feedsLstm || node.kind === "lstm" ? v : selectRow(v);
    };
    for (const node of plan.nodes) {
      if (!node.feedsLstm && node.kind !== "lstm" && !wantOutputs) continue;
      let out: Rows;
      if (node.kind === "concatenate") {
        out = concatenateRows(node.inputIds.map((id) => read(node, id)));
      } else if (node.kind === "lstm") {
        const x = read(node, node.inputId);
        out = lanesStep ? lstmLanes(node, x) : lstmCarried(node, x);
      } else {
        out = applyLayer(node, read(node, node.inputId));
      }
      values.set(node.outputId, out);
    }
    if (!wantOutputs) return [];
    return plan.outputIds.map((id) => {
      const v = values.get(id)!;
      return v.data.slice(v.select * v.dim, (v.select + 1) * v.dim);
    });
  }

  /** Carried memory: every row is a time step, read from the stored state. */
  function lstmCarried(node: PlanNode, x: Rows): Rows {
    const s = node.lstm!;
    if (x.rows === 1 && fastStep) return stepOne(s, x);
    const wantSequence = node.feedsLstm && x.rows > 1;
    const [h, c, sequence] = readTidy(() => {
      const state = s.h == null ? undefined : {
        h: tf.tensor2d(s.h, [1, s.units]),
        c: tf.tensor2d(s.c!, [1, s.units]),
      };
      const xs = tf.tensor3d(x.data, [1, x.rows, x.dim]);
      const run = lstmSequence(s.weights, { x: xs, state, returnSequence: wantSequence });
      return wantSequence ? [run.state.h, run.state.c, run.sequence!] : [run.state.h, run.state.c];
    });
    s.h = h.slice();
    s.c = c.slice();
    const out = sequence ? sequence.slice() : s.h;
    return wantSequence
      ? { data: out, rows: x.rows, dim: s.units, select: x.rows - 1 }
      : { data: out, rows: 1, dim: s.units, select: 0 };
  }

  /** Window memory: every row is a lane; one step for all lanes. */
  function lstmLanes(node: PlanNode, x: Rows): Rows {
    const s = node.lstm!;
    let xs = x.data;
    if (x.rows !== lanes) {
      // The model's input: the same new step for every lane.
      xs = new Float32Array(lanes * x.dim);
      for (let r = 0; r < lanes; r++) xs.set(x.data.subarray(0, x.dim), r * x.dim);
    }
    const [h, c] = readTidy(() => {
      const run = lstmSequence(s.weights, {
        x: tf.tensor3d(xs, [lanes, 1, x.dim]),
        state: { h: tf.tensor2d(s.h!, [lanes, s.units]), c: tf.tensor2d(s.c!, [lanes, s.units]) },
        returnSequence: false,
      });
      return [run.state.h, run.state.c];
    });
    s.h = h.slice();
    s.c = c.slice();
    return { data: s.h!, rows: lanes, dim: s.units, select: 0 };
  }

  /** Starts a lane from zeros (the window that begins at this step). */
  function addLane(): void {
    for (const node of plan.lstms) {
      const s = node.lstm!;
      const grow = (a: Float32Array | null) => {
        const out = new Float32Array((lanes + 1) * s.units);
        if (a != null) out.set(a.subarray(0, lanes * s.units));
        return out;
      };
      s.h = grow(s.h);
      s.c = grow(s.c);
    }
    lanes++;
  }

  /** Drops the oldest lane (its window is complete). */
  function dropOldestLane(): void {
    for (const node of plan.lstms) {
      const s = node.lstm!;
      s.h = s.h!.slice(s.units);
      s.c = s.c!.slice(s.units);
    }
    lanes--;
  }

  function feed(rows: ArrayLike<number>): Float32Array[] {
    const dim = plan.inputDim;
    const time = rows.length / dim;
    if (!Number.isInteger(time) || time < 1) {
      throw new Error(
        `feed: expected [time, ${dim}] row-major with time >= 1, got ${rows.length} numbers`,
      );
    }
    const data = Float32Array.from(rows);
    if (memory === "carried") {
      steps += time;
      return forward({ data, rows: time, dim, select: time - 1 }, false, true);
    }
    let outputs: Float32Array[] = [];
    for (let t = 0; t < time; t++) {
      addLane();
      const last = t === time - 1;
      const row = data.subarray(t * dim, (t + 1) * dim);
      outputs = forward({ data: row, rows: 1, dim, select: 0 }, true, last);
      if (lanes === windowLength) dropOldestLane();
      steps++;
    }
    return outputs;
  }

  function reset(): void {
    for (const node of plan.lstms) node.lstm!.h = node.lstm!.c = null;
    steps = 0;
    lanes = 0;
  }

  return {
    memory,
    windowLength,
    inputDim: plan.inputDim,
    get steps() {
      return steps;
    },
    feed,
    reset,
  };
}

/**
 * An LSTM layer advanced one row at a time: `z = x kernel + bias + h recurrentKernel` by
 * matrix-vector products, then the gate math of the row in a one-step `lstmCell` (the same
 * kernels as the sequence path, wasm SIMD where it can). Holds no tensors: tfjs products read
 * the layer's own weight tensors, JS and BLAS products copies made when the stepper is.
 */
interface LstmStepper {
  /** The tfjs backend the products were planned for (planned again when it changes). */
  backend: string;
  /** The BLAS the large products run on (planned again when it changes), or `null`. */
  blas: Blas | null;
  cell: LstmCell;
  /** The input product, `[inputDim, 4 * units]`. */
  input: RowProduct;
  /** `[4 * units]` when the input product runs on the BLAS or in JS and the layer has a bias. */
  bias: Float32Array | null;
  /** The recurrent product, `[units, 4 * units]`. */
  recurrent: RowProduct;
}

/**
 * Where one of a stepper's products runs (`productPlace("row")`), with a copy of its weights
 * when the BLAS or JS computes it (the tfjs product reads the layer's tensor).
 */
type RowProduct = { place: "backend" } | { place: "blas" | "js"; weights: Float32Array };

/** The state of one LSTM node. */
type LstmNode = NonNullable<PlanNode["lstm"]>;

/** Plans the single-step products of an LSTM node for the current backend. */
function makeStepper(s: LstmNode): LstmStepper {
  const { weights, units } = s;
  // With a BLAS, every large single-row product runs on it (a matrix-vector product, faster
  // than the wasm product for the classic 512 x 2048 kernels: `docs/performance.md`).
  const plan = (t: tf.Tensor2D): RowProduct => {
    const place = productPlace("row", { weights: t.size });
    return place === "backend"
      ? { place }
      : { place, weights: (t.dataSync() as Float32Array).slice() };
  };
  const input = plan(weights.kernel);
  return {
    backend: tf.getBackend(),
    blas: activeBlas(),
    cell: lstmCell({
      batch: 1,
      seqLength: 1,
      units,
      hard: weights.recurrentActivation === "hardSigmoid",
      masked: false,
    }),
    input,
    bias: input.place !== "backend" && weights.bias != null
      ? (weights.bias.dataSync() as Float32Array).slice()
      : null,
    recurrent: plan(weights.recurrentKernel),
  };
}

/** `out = a [1, a.length] x b [a.length, out.length]` (+ `out` when `accumulate`) on the BLAS. */
function blasRowTimes(
  blas: Blas,
  product: { a: Float32Array; b: Float32Array; out: Float32Array; accumulate: boolean },
): void {
  const { a, b, out, accumulate } = product;
  blas.sgemm({ m: 1, n: out.length, k: a.length, a, b, c: out, beta: accumulate ? 1 : 0 });
}

/**
 * `out = a [1, a.length] x b [a.length, out.length]`, accumulated in float32 in the order of
 * the sequence path's JS product (so the cpu backend gives the same bits on either path).
 */
function rowTimes(a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  out.fill(0);
  for (let p = 0; p < a.length; p++) {
    const v = a[p];
    const row = p * n;
    for (let j = 0; j < n; j++) out[j] += v * b[row + j];
  }
}

/** One carried step of an LSTM layer for a single row `x`; updates the node's state. */
function stepOne(s: LstmNode, x: Rows): Rows {
  let stepper = s.stepper;
  if (
    stepper === undefined || stepper.backend !== tf.getBackend() ||
    stepper.blas !== activeBlas()
  ) {
    stepper = s.stepper = makeStepper(s);
  }
  const { cell, input, bias, recurrent, blas } = stepper;
  const { proj, zRec, cs, packed } = cell.buffers;
  const units = s.units;
  const xRow = x.data.subarray(x.select * x.dim, (x.select + 1) * x.dim);
  const h = s.h;
  const backendInput = input.place === "backend";
  const backendRecurrent = h != null && recurrent.place === "backend";
  let products: Float32Array[] = [];
  if (backendInput || backendRecurrent) {
    products = readTidy(() => {
      const out: tf.Tensor[] = [];
      if (backendInput) {
        out.push(tf.fused.matMul({
          a: tf.tensor2d(xRow, [1, x.dim]),
          b: s.weights.kernel,
          bias: s.weights.bias ?? undefined,
        }));
      }
      if (backendRecurrent) {
        out.push(tf.matMul(tf.tensor2d(h, [1, units]), s.weights.recurrentKernel));
      }
      return out;
    });
  }
  let next = 0;
  if (input.place === "backend") {
    proj.set(products[next++]);
  } else if (input.place === "blas") {
    if (bias != null) proj.set(bias);
    blasRowTimes(blas!, { a: xRow, b: input.weights, out: proj, accumulate: bias != null });
  } else {
    rowTimes(xRow, input.weights, proj);
    if (bias != null) {
      for (let q = 0; q < proj.length; q++) proj[q] += bias[q];
    }
  }
  if (h == null) zRec.fill(0);
  else if (recurrent.place === "backend") zRec.set(products[next++]);
  else if (recurrent.place === "blas") {
    blasRowTimes(blas!, { a: h, b: recurrent.weights, out: zRec, accumulate: false });
  } else rowTimes(h, recurrent.weights, zRec);
  if (s.c == null) cs.fill(0, 0, units);
  else cs.set(s.c, 0);
  cell.forwardStep(0);
  s.h = packed.slice(0, units);
  s.c = cs.slice(units, 2 * units);
  return { data: s.h, rows: 1, dim: units, select: 0 };
}

/** One model input: its tensor and where its numbers sit in a fed row. */
interface PlanInput {
  id: number;
  /** First column of this input in a fed row. */
  offset: number;
  /** Numbers per step (1 for `[batch, time]` inputs such as ids). */
  dim: number;
}

/** The model as a list of steps, in order. */
interface Plan {
  /** The model's inputs in order; a fed row holds them side by side. */
  inputs: PlanInput[];
  inputDim: number;
  nodes: PlanNode[];
  lstms: PlanNode[];
  outputIds: number[];
}

function planModel(model: tf.LayersModel, layerMath: LayerMath): Plan {
  const inputs: PlanInput[] = [];
  let inputDim = 0;
  for (const input of model.inputs) {
    const last = input.shape[input.shape.length - 1];
    // `[batch, time]`: one number per step (ids for an Embedding); `[batch, time, features]`.
    const dim = input.shape.length === 2 ? 1 : last;
    if (!(input.shape.length === 2 || input.shape.length === 3) || typeof dim !== "number") {
      throw new Error(
        `stateful: expected each model input [batch, time] or [batch, time, features], got ${
          JSON.stringify(input.shape)
        }`,
      );
    }
    inputs.push({ id: input.id, offset: inputDim, dim });
    inputDim += dim;
  }
  const nodes: PlanNode[] = [];
  const producer = new Map<number, PlanNode>();
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === "InputLayer") continue;
    const inbound = (layer as unknown as { inboundNodes: LayerNode[] }).inboundNodes;
    if (inbound.length !== 1) {
      throw new Error(
        `stateful: layer ${layer.name} (${className}) is called ${inbound.length} times; ` +
          `expected one call (shared layers are not supported)`,
      );
    }
    const { inputTensors, outputTensors } = inbound[0];
    const manyInputs = className === "Concatenate";
    if ((inputTensors.length !== 1 && !manyInputs) || outputTensors.length !== 1) {
      throw new Error(
        `stateful: layer ${layer.name} (${className}) has ${inputTensors.length} inputs and ` +
          `${outputTensors.length} outputs; expected one of each`,
      );
    }
    const node = planLayer(layer, className, layerMath, inputTensors[0].id, outputTensors[0].id);
    node.inputIds = inputTensors.map((t) => t.id);
    nodes.push(node);
    producer.set(node.outputId, node);
  }
  // Everything upstream of an LSTM runs on every row; the rest only on the selected row.
  const mark = (id: number) => {
    const node = producer.get(id);
    if (node === undefined || node.feedsLstm) return;
    node.feedsLstm = true;
    node.inputIds.forEach(mark);
  };
  for (const node of nodes) if (node.kind === "lstm") mark(node.inputId);
  return {
    inputs,
    inputDim,
    nodes,
    lstms: nodes.filter((n) => n.kind === "lstm"),
    outputIds: model.outputs.map((o) => o.id),
  };
}

/** The fed rows `[rows, inputDim]` split into the model's inputs, by tensor id. */
function splitInputs(plan: Plan, input: Rows): Map<number, Rows> {
  if (plan.inputs.length === 1) return new Map([[plan.inputs[0].id, input]]);
  const values = new Map<number, Rows>();
  for (const { id, offset, dim } of plan.inputs) {
    const data = new Float32Array(input.rows * dim);
    for (let r = 0; r < input.rows; r++) {
      const from = r * input.dim + offset;
      data.set(input.data.subarray(from, from + dim), r * dim);
    }
    values.set(id, { data, rows: input.rows, dim, select: input.select });
  }
  return values;
}

/** Plans one layer: an LSTM with an empty state here, any other by `planRowLayer`. */
function planLayer(
  layer: tf.layers.Layer,
  className: string,
  layerMath: LayerMath,
  inputId: number,
  outputId: number,
): PlanNode {
  const ids = { inputId, inputIds: [inputId], outputId, feedsLstm: false };
  if (className === "LSTM" || className === "FusedLSTM") {
    const config = layer.getConfig();
    if (config.goBackwards || config.returnState) {
      throw new Error(
        `stateful: LSTM layer ${layer.name} uses ${
          config.goBackwards ? "goBackwards" : "returnState"
        }; expected a forward LSTM returning its output only`,
      );
    }
    const weights = lstmWeights(layer);
    const units = weights.recurrentKernel.shape[0];
    return { layer, kind: "lstm", ...ids, lstm: { weights, units, h: null, c: null } };
  }
  return { ...planRowLayer(layer, className, layerMath), ...ids };
}
