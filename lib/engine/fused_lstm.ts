/**
 * A fused LSTM layer: a drop-in replacement for `tf.layers.lstm` that trains many times
 * faster because the gradient tape records one op per layer call instead of a dozen per time
 * step.
 *
 * The forward pass projects the inputs of all time steps with one matrix product and then
 * runs only the recurrent product per step. The backward pass is a hand-written
 * backpropagation through time registered with `tf.customGrad`: one recurrent product per
 * step, and the weight gradients of all steps summed in a few large products. Gate arithmetic
 * runs in plain loops over typed arrays (see `_lstm_bptt.ts`); the products run on the
 * system's BLAS when `selectBackend()` found one (`blas.ts`), else on the tfjs backend.
 *
 * Weights, their names (`<layer>/kernel`, `<layer>/recurrent_kernel`, `<layer>/bias`), their
 * initialisation and the gate order (i, f, c, o) are those of `tf.layers.lstm`, so weights
 * move freely between the two layers and saved models load into either.
 *
 * For generation, {@linkcode lstmStep} advances an LSTM by one time step from a carried state
 * and {@linkcode lstmSequence} runs a whole window from a state.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  fromPacked,
  type GateActivation,
  type OutputLayout,
  outputShape,
  runSequence,
} from "./_lstm_bptt.ts";

export type { GateActivation } from "./_lstm_bptt.ts";

/**
 * Settings of {@linkcode fusedLstm}: exactly those of `tf.layers.lstm`.
 *
 * The fused path needs `activation: "tanh"` (the default) and `recurrentActivation`
 * `"hardSigmoid"` (the tfjs default) or `"sigmoid"` (the Keras 2+ default), and no input
 * mask. Other settings fall back to the per-step implementation of `tf.layers.lstm`.
 */
export type FusedLstmOptions = Parameters<typeof tf.layers.lstm>[0];

/** Keyword arguments tfjs passes to `Layer.call`. */
// deno-lint-ignore no-explicit-any
type Kwargs = { [key: string]: any };

/** The fields of the tfjs `LSTMCell` this file reads. */
interface LstmCellFields {
  units: number;
  activation: { getClassName(): string };
  recurrentActivation: { getClassName(): string };
  useBias: boolean;
  dropout: number;
  recurrentDropout: number;
  dropoutFunc?: (ones: tf.Tensor, rate: number) => tf.Tensor;
  kernel?: tf.LayerVariable;
  recurrentKernel?: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  dropoutMask: tf.Tensor | tf.Tensor[] | null;
  recurrentDropoutMask: tf.Tensor | tf.Tensor[] | null;
}

/**
 * The LSTM layer with fused time steps. Create it with {@linkcode fusedLstm}.
 *
 * It is a `tf.RNN` holding a tfjs `LSTMCell` (which owns the weights, as in `tf.layers.lstm`);
 * only `call` differs. Registered for serialisation as `"FusedLSTM"`.
 */
export class FusedLSTM extends tf.RNN {
  /** The name models are saved under. */
  static override className = "FusedLSTM";

  /** Creates the layer; see {@linkcode fusedLstm}. */
  constructor(args: FusedLstmOptions) {
    super({ ...args, cell: tf.layers.lstmCell(args) } as tf.RNNLayerArgs);
  }

  /** The underlying tfjs `LSTMCell` fields. */
  private get lstmCell(): LstmCellFields {
    return this.cell as unknown as LstmCellFields;
  }

  /** The gate activation when the fused path applies, else `null`. */
  get fusedGateActivation(): GateActivation | null {
    const cell = this.lstmCell;
    if (cell.activation.getClassName() !== "tanh") return null;
    const gate = cell.recurrentActivation.getClassName();
    return gate === "hardSigmoid" || gate === "sigmoid" ? gate : null;
  }

  /**
   * Runs the layer (tfjs calls this from `apply`). `inputs` is `[batch, time, inputDim]`,
   * optionally followed by the initial `h` and `c` `[batch, units]`; `kwargs.initialState`,
   * `kwargs.training` (dropout only when `true`) and `kwargs.mask` are honoured as in
   * `tf.layers.lstm`. Inputs are not changed.
   *
   * @throws when the input is not 3-dimensional, the initial state is not `[h, c]`, or the
   *   layer is not built
   */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const mask = kwargs?.["mask"] ?? null;
    const gate = this.fusedGateActivation;
    if (mask != null || gate == null) return this.callPerStep(inputs, kwargs);
    return tf.tidy(() => {
      const training = kwargs?.["training"] === true;
      let x: tf.Tensor;
      let initialState: tf.Tensor[] | null = kwargs?.["initialState"] ?? null;
      if (Array.isArray(inputs)) {
        x = inputs[0];
        if (inputs.length > 1) initialState = inputs.slice(1);
      } else {
        x = inputs;
      }
      if (x.rank !== 3) {
        throw new Error(
          `FusedLSTM ${this.name}: expected input [batch, time, features], got shape ` +
            `[${x.shape}]`,
        );
      }
      if (initialState == null && this.stateful) initialState = this.getStates();
      if (initialState != null && initialState.length !== 2) {
        throw new Error(
          `FusedLSTM ${this.name}: expected initialState [h, c], got ${initialState.length} ` +
            `tensor(s)`,
        );
      }
      const cell = this.lstmCell;
      if (cell.kernel == null || cell.recurrentKernel == null) {
        throw new Error(`FusedLSTM ${this.name}: call() before build()`);
      }
      const [batch, , inputDim] = x.shape;
      const units = cell.units;
      const inputMask = training && cell.dropout > 0 && cell.dropout < 1
        ? this.dropoutMask([batch, inputDim], cell.dropout)
        : null;
      const stateMask = training && cell.recurrentDropout > 0 && cell.recurrentDropout < 1
        ? this.dropoutMask([batch, units], cell.recurrentDropout)
        : null;
      if (this.goBackwards) x = tf.reverse(x, 1);
      const layout: OutputLayout = this.returnState || this.stateful
        ? "packed"
        : this.returnSequences
        ? "sequence"
        : "last";
      const result = fusedLstmOp(x as tf.Tensor3D, {
        kernel: cell.kernel.read() as tf.Tensor2D,
        recurrentKernel: cell.recurrentKernel.read() as tf.Tensor2D,
        bias: cell.useBias && cell.bias != null ? cell.bias.read() as tf.Tensor1D : null,
        h0: initialState?.[0] as tf.Tensor2D | undefined,
        c0: initialState?.[1] as tf.Tensor2D | undefined,
        gate,
        inputMask,
        stateMask,
        layout,
      });
      if (layout !== "packed") return result;
      const seqLength = x.shape[1]!;
      const hLast = tf.reshape(tf.slice(result, [0, seqLength - 1, 0], [-1, 1, -1]), [-1, units]);
      const cLast = tf.reshape(tf.slice(result, [0, seqLength, 0], [-1, 1, -1]), [-1, units]);
      if (this.stateful) this.resetStates([hLast, cLast], training);
      const output = this.returnSequences
        ? tf.slice(result, [0, 0, 0], [-1, seqLength, -1])
        : hLast;
      return this.returnState ? [output, hLast, cLast] : output;
    });
  }

  /** The tfjs per-step path (as `tf.layers.lstm` runs it), for settings the fused path lacks. */
  private callPerStep(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const cell = this.lstmCell;
      for (const key of ["dropoutMask", "recurrentDropoutMask"] as const) {
        if (cell[key] != null) {
          tf.dispose(cell[key]!);
          cell[key] = null;
        }
      }
      return super.call(inputs, {
        mask: kwargs?.["mask"] ?? null,
        training: kwargs?.["training"] ?? null,
        initialState: kwargs?.["initialState"] ?? null,
      });
    });
  }

  /** A dropout mask (0 or 1 / (1 - rate)), drawn as tfjs draws it. */
  private dropoutMask(shape: number[], rate: number): tf.Tensor2D {
    const ones = tf.ones(shape);
    const func = this.lstmCell.dropoutFunc;
    return (func != null ? func(ones, rate) : tf.dropout(ones, rate)) as tf.Tensor2D;
  }

  /** Rebuilds the layer from {@linkcode FusedLSTM.getConfig}'s output. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}
tf.serialization.registerClass(FusedLSTM);

/**
 * Creates a fused LSTM layer; use it wherever `tf.layers.lstm(config)` is used.
 *
 * @param config the `tf.layers.lstm` settings (not changed). `recurrentActivation` defaults to
 *   `"hardSigmoid"` and `unitForgetBias` to off, as in `tf.layers.lstm`.
 * @returns the layer; its output is `[batch, units]`, or `[batch, time, units]` with
 *   `returnSequences`, followed by the final `h` and `c` `[batch, units]` with `returnState`
 */
export function fusedLstm(config: FusedLstmOptions): FusedLSTM {
  return new FusedLSTM(config);
}

/** Inputs of one fused LSTM run (tensors are read, not changed). */
interface FusedOpArgs {
  /** `[inputDim, 4 * units]`, gate order i, f, c, o. */
  kernel: tf.Tensor2D;
  /** `[units, 4 * units]`. */
  recurrentKernel: tf.Tensor2D;
  /** `[4 * units]` or `null`. */
  bias: tf.Tensor1D | null;
  /** Initial state `[batch, units]`; zeros when absent. */
  h0?: tf.Tensor2D;
  c0?: tf.Tensor2D;
  gate: GateActivation;
  /** Input dropout mask `[batch, inputDim]` (constant). */
  inputMask: tf.Tensor2D | null;
  /** Recurrent dropout mask `[batch, units]` (constant). */
  stateMask: tf.Tensor2D | null;
  /** Layout of the op's output. */
  layout: OutputLayout;
}

/**
 * Runs the LSTM over `x` `[batch, time, inputDim]` as one differentiable op.
 *
 * @returns the output in `args.layout`
 */
function fusedLstmOp(x: tf.Tensor3D, args: FusedOpArgs): tf.Tensor {
  const inputs: tf.Tensor[] = [x, args.kernel, args.recurrentKernel];
  const hasBias = args.bias != null;
  if (hasBias) inputs.push(args.bias!);
  const hasState = args.h0 != null && args.c0 != null;
  if (hasState) inputs.push(args.h0!, args.c0!);
  const inputMask = args.inputMask == null ? null : args.inputMask.dataSync() as Float32Array;
  const stateMask = args.stateMask == null ? null : args.stateMask.dataSync() as Float32Array;
  // Without a gradient tape (prediction, validation) no backward pass comes: the run's memory
  // goes back for reuse at once (a fresh memory's first writes cost more than the steps).
  const recording = tf.engine().state.gradientDepth > 0;
  const op = tf.customGrad((...values: unknown[]) => {
    const save = values[values.length - 1] as tf.GradSaveFunc;
    const tensors = values.slice(0, -1) as tf.Tensor[];
    const kernel = tensors[1] as tf.Tensor2D;
    const recurrentKernel = tensors[2] as tf.Tensor2D;
    const run = runSequence({
      x: tensors[0] as tf.Tensor3D,
      kernel,
      recurrentKernel,
      bias: hasBias ? tensors[3] as tf.Tensor1D : null,
      h0: hasState ? tensors[tensors.length - 2] as tf.Tensor2D : null,
      c0: hasState ? tensors[tensors.length - 1] as tf.Tensor2D : null,
      gate: args.gate,
      inputMask,
      stateMask,
    });
    save([kernel, recurrentKernel]);
    const value = tf.tensor(
      fromPacked(run.packed, args.layout, run),
      outputShape(args.layout, run.batch, run.seqLength, run.units),
    );
    if (!recording) run.release();
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const grads = run.backward(dy.dataSync() as Float32Array, args.layout, {
          kernel: saved[0] as tf.Tensor2D,
          recurrentKernel: saved[1] as tf.Tensor2D,
        });
        const out: tf.Tensor[] = [grads.x, grads.kernel, grads.recurrentKernel];
        if (hasBias) out.push(grads.bias);
        else grads.bias.dispose();
        if (hasState) out.push(grads.h0, grads.c0);
        else tf.dispose([grads.h0, grads.c0]);
        return out;
      },
    };
  });
  return op(...inputs);
}

/** An LSTM's weights in tfjs layout, as {@linkcode lstmStep} and {@linkcode lstmSequence} use. */
export interface LstmWeights {
  /** `[inputDim, 4 * units]`, gate columns i, f, c, o. */
  kernel: tf.Tensor2D;
  /** `[units, 4 * units]`. */
  recurrentKernel: tf.Tensor2D;
  /** `[4 * units]`, or `null` for a layer without bias. */
  bias: tf.Tensor1D | null;
  /** Activation of the i, f and o gates (the cell and output use tanh). */
  recurrentActivation: GateActivation;
}

/** What an LSTM carries from one time step to the next. */
export interface LstmState {
  /** Hidden state (the layer's output) `[batch, units]`. */
  h: tf.Tensor2D;
  /** Cell state `[batch, units]`. */
  c: tf.Tensor2D;
}

/**
 * The weights of a built `fusedLstm` or `tf.layers.lstm` layer.
 *
 * @param layer a built LSTM layer (not changed)
 * @returns the layer's current weight tensors, not copies: do not dispose them, and read
 *   them again after the layer's weights change
 * @throws when `layer` is not a built LSTM layer with tanh activation and a `hardSigmoid` or
 *   `sigmoid` recurrent activation
 */
export function lstmWeights(layer: tf.layers.Layer): LstmWeights {
  const cell = (layer as unknown as { cell?: LstmCellFields & tf.layers.Layer }).cell;
  const className = layer.getClassName();
  if (!(layer instanceof tf.RNN) || cell?.getClassName() !== "LSTMCell") {
    throw new Error(`lstmWeights: expected an LSTM or FusedLSTM layer, got ${className}`);
  }
  if (cell.kernel == null || cell.recurrentKernel == null) {
    throw new Error(`lstmWeights: layer ${layer.name} is not built yet (call it once first)`);
  }
  const activation = cell.activation.getClassName();
  const gate = cell.recurrentActivation.getClassName();
  if (activation !== "tanh" || (gate !== "hardSigmoid" && gate !== "sigmoid")) {
    throw new Error(
      `lstmWeights: layer ${layer.name} uses activation ${activation} and recurrentActivation ` +
        `${gate}; supported are tanh with hardSigmoid or sigmoid`,
    );
  }
  return {
    kernel: cell.kernel.read() as tf.Tensor2D,
    recurrentKernel: cell.recurrentKernel.read() as tf.Tensor2D,
    bias: cell.useBias && cell.bias != null ? cell.bias.read() as tf.Tensor1D : null,
    recurrentActivation: gate,
  };
}

/** Input of {@linkcode lstmStep}. */
export interface LstmStepInput {
  /** This step's input `[batch, inputDim]` (not changed). */
  x: tf.Tensor2D;
  /** The state after the previous step (not changed); zeros when absent. */
  state?: LstmState;
}

/**
 * Advances an LSTM by one time step, as the layer would for the next element of a sequence;
 * for generation that feeds one new note at a time instead of re-running the whole window.
 * Inference only: no dropout.
 *
 * @param weights from {@linkcode lstmWeights} (not changed)
 * @param input the step's input and the carried state
 * @returns the new state; `h` is the layer's output for this step. New tensors the caller
 *   disposes.
 * @throws when shapes do not fit the weights
 */
export function lstmStep(weights: LstmWeights, input: LstmStepInput): LstmState {
  if (input.x.rank !== 2) {
    throw new Error(`lstmStep: expected x [batch, inputDim], got shape [${input.x.shape}]`);
  }
  const [batch, inputDim] = input.x.shape;
  const x = tf.reshape(input.x, [batch, 1, inputDim]) as tf.Tensor3D;
  const { state } = lstmSequence(weights, { x, state: input.state, returnSequence: false });
  x.dispose();
  return state;
}

/** Input of {@linkcode lstmSequence}. */
export interface LstmSequenceInput {
  /** Inputs `[batch, time, inputDim]` (not changed). */
  x: tf.Tensor3D;
  /** The state before the first step (not changed); zeros when absent. */
  state?: LstmState;
  /**
   * Also return the output of every step.
   * @default {true}
   */
  returnSequence?: boolean;
}

/** Result of {@linkcode lstmSequence}. */
export interface LstmSequenceOutput {
  /** `h` of every step `[batch, time, units]`; `null` when not asked for. */
  sequence: tf.Tensor3D | null;
  /** The state after the last step. */
  state: LstmState;
}

/**
 * Runs an LSTM over a sequence from a given state (inference only: no dropout, no gradient);
 * for generation, warms the state up on the seed window before {@linkcode lstmStep}.
 *
 * @param weights from {@linkcode lstmWeights} (not changed)
 * @param input the sequence and the state before it
 * @returns new tensors the caller disposes
 * @throws when shapes do not fit the weights
 */
export function lstmSequence(weights: LstmWeights, input: LstmSequenceInput): LstmSequenceOutput {
  const { x, state } = input;
  const [inputDim, gates4] = weights.kernel.shape;
  const units = weights.recurrentKernel.shape[0];
  if (x.rank !== 3 || x.shape[2] !== inputDim || gates4 !== 4 * units) {
    throw new Error(
      `lstmSequence: expected x [batch, time, ${inputDim}] for a kernel [${weights.kernel.shape}]` +
        ` and recurrentKernel [${weights.recurrentKernel.shape}], got x [${x.shape}]`,
    );
  }
  const [batch, seqLength] = x.shape;
  for (const key of ["h", "c"] as const) {
    const s = state?.[key];
    if (s != null && (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== units)) {
      throw new Error(`lstmSequence: expected state.${key} [${batch}, ${units}], got [${s.shape}]`);
    }
  }
  const run = runSequence({
    x,
    kernel: weights.kernel,
    recurrentKernel: weights.recurrentKernel,
    bias: weights.bias,
    h0: state?.h ?? null,
    c0: state?.c ?? null,
    gate: weights.recurrentActivation,
    inputMask: null,
    stateMask: null,
  });
  const h = new Float32Array(batch * units);
  const c = new Float32Array(batch * units);
  const wantSequence = input.returnSequence ?? true;
  const sequence = wantSequence ? new Float32Array(batch * seqLength * units) : null;
  for (let b = 0; b < batch; b++) {
    const row = b * (seqLength + 1) * units;
    h.set(run.packed.subarray(row + (seqLength - 1) * units, row + seqLength * units), b * units);
    c.set(run.packed.subarray(row + seqLength * units, row + (seqLength + 1) * units), b * units);
    sequence?.set(run.packed.subarray(row, row + seqLength * units), b * seqLength * units);
  }
  run.release(); // no backward pass: the next run may reuse the memory
  return {
    sequence: sequence == null ? null : tf.tensor3d(sequence, [batch, seqLength, units]),
    state: { h: tf.tensor2d(h, [batch, units]), c: tf.tensor2d(c, [batch, units]) },
  };
}

/** Builds an LSTM layer from a tf.layers.lstm-style config. */
export type LstmFactory = (config: Parameters<typeof tf.layers.lstm>[0]) => tf.layers.Layer;

/**
 * The LSTM factory for a config's `lstm` setting: `"layers"` is `tf.layers.lstm`, `"fused"`
 * the project's fused layer (same weights, much faster training; this module).
 */
export function lstmFactory(kind: "layers" | "fused"): LstmFactory {
  return kind === "fused" ? fusedLstm : (c) => tf.layers.lstm(c);
}
