/**
 * A fused LSTM layer: a drop-in replacement for `tf.layers.lstm` that trains many times
 * faster because the gradient tape records one op per layer call instead of a dozen per time
 * step.
 *
 * The forward pass projects the inputs of all time steps with one matrix product and then
 * runs only the recurrent product per step. The backward pass is a hand-written
 * backpropagation through time registered with `tf.customGrad`; the weight gradients come
 * from one matrix product over all time steps each.
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
import { type GateActivation, runSequence } from "./_lstm_bptt.ts";

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
      const result = fusedLstmOp(x as tf.Tensor3D, {
        kernel: cell.kernel.read() as tf.Tensor2D,
        recurrentKernel: cell.recurrentKernel.read() as tf.Tensor2D,
        bias: cell.useBias && cell.bias != null ? cell.bias.read() as tf.Tensor1D : null,
        h0: initialState?.[0] as tf.Tensor2D | undefined,
        c0: initialState?.[1] as tf.Tensor2D | undefined,
        gate,
        inputMask,
        stateMask,
      });
      const seqLength = x.shape[1]!;
      const hLast = tf.squeeze(tf.slice(result, [0, seqLength - 1, 0], [-1, 1, -1]), [1]);
      const cLast = tf.squeeze(tf.slice(result, [0, seqLength, 0], [-1, 1, -1]), [1]);
      if (this.stateful) this.resetStates([hLast, cLast], training);
      const output = this.returnSequences ? tf.slice(result, [0, 0, 0], [-1, seqLength, -1]) : hLast;
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
}

/**
 * Runs the LSTM over `x` `[batch, time, inputDim]` as one differentiable op.
 *
 * @returns `[batch, time + 1, units]`: `h` of every time step followed by the final `c`
 */
function fusedLstmOp(x: tf.Tensor3D, args: FusedOpArgs): tf.Tensor3D {
  const inputs: tf.Tensor[] = [x, args.kernel, args.recurrentKernel];
  const hasBias = args.bias != null;
  if (hasBias) inputs.push(args.bias!);
  const hasState = args.h0 != null && args.c0 != null;
  if (hasState) inputs.push(args.h0!, args.c0!);
  const inputMask = args.inputMask == null ? null : args.inputMask.dataSync() as Float32Array;
  const stateMask = args.stateMask == null ? null : args.stateMask.dataSync() as Float32Array;
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
    return {
      value: tf.tensor3d(run.packed, [run.batch, run.seqLength + 1, run.units]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const grads = run.backward(dy.dataSync() as Float32Array, {
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
  return op(...inputs) as tf.Tensor3D;
}
