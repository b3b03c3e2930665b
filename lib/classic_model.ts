/**
 * The classic family's models: stacked LSTMs read a window of token ids (each divided by the
 * vocabulary size) and a softmax over the vocabulary predicts the next token.
 *
 * Three presets, all with input `[batch, sequenceLength, 1]` and output `[batch, vocab]`
 * probabilities:
 * - `"classic"`: the original notebooks' network: LSTM(512) -> Dropout(0.3) -> LSTM(512) ->
 *   Dropout(0.3) -> LSTM(512) -> Dense(256) -> Dropout(0.3) -> Dense(vocab) -> softmax,
 *   RMSprop, windows of 100. With 358 tokens it has exactly 5,474,406 parameters.
 * - `"classic-bn"`: the batch-normalised variant: recurrent dropout 0.3 inside the first
 *   two LSTMs (and no dropout layers between the LSTMs), then BatchNormalization ->
 *   Dropout(0.3) -> Dense(256) -> relu -> BatchNormalization -> Dropout(0.3) ->
 *   Dense(vocab) -> softmax.
 * - `"classic-small"`: the classic shape scaled down for a CPU: two LSTM(256), windows of 32.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { LstmFactory } from "./model.ts";
import { initRecurrentOrthogonal } from "./_init.ts";

/** Name of a classic model preset. */
export type ClassicPreset = "classic" | "classic-bn" | "classic-small";

/** Every preset name. */
export const CLASSIC_PRESETS: readonly ClassicPreset[] = ["classic", "classic-bn", "classic-small"];

/** One LSTM layer of a classic model. */
export interface ClassicLstmSpec {
  /** Hidden units. */
  units: number;
  /** Dropout on the recurrent connections, 0..1 (0: none). */
  recurrentDropout: number;
  /** Rate of a Dropout layer after this LSTM, 0..1 (0: no layer). */
  dropoutAfter: number;
}

/** Everything that defines a classic model and how it is trained. */
export interface ClassicModelConfig {
  /** The preset these values came from. */
  preset: ClassicPreset;
  /** Tokens per input window. */
  sequenceLength: number;
  /** LSTM layers, input side first; all but the last return sequences. */
  lstm: ClassicLstmSpec[];
  /** BatchNormalization after the last LSTM. */
  batchNormAfterLstm: boolean;
  /** Rate of a Dropout layer before Dense(denseUnits), 0..1 (0: no layer). */
  dropoutBeforeDense: number;
  /** Units of the hidden Dense layer. */
  denseUnits: number;
  /** Activation of the hidden Dense layer. */
  denseActivation: "linear" | "relu";
  /** BatchNormalization after the hidden Dense layer (and its activation). */
  batchNormAfterDense: boolean;
  /** Rate of the Dropout layer after the hidden Dense layer, 0..1 (0: no layer). */
  dropoutAfterDense: number;
  /** Optimiser. */
  optimizer: "rmsprop" | "adam";
  /** Optimiser learning rate. */
  learningRate: number;
  /** Windows per training batch. */
  batchSize: number;
}

/**
 * The settings of a preset (a fresh copy each call).
 *
 * @throws {Error} naming the setting and the valid values when `name` is not a preset
 */
export function classicPresetConfig(name: string): ClassicModelConfig {
  const rmsprop = { optimizer: "rmsprop" as const, learningRate: 0.001 };
  switch (name) {
    case "classic":
      return {
        preset: "classic",
        sequenceLength: 100,
        lstm: [
          { units: 512, recurrentDropout: 0, dropoutAfter: 0.3 },
          { units: 512, recurrentDropout: 0, dropoutAfter: 0.3 },
          { units: 512, recurrentDropout: 0, dropoutAfter: 0 },
        ],
        batchNormAfterLstm: false,
        dropoutBeforeDense: 0,
        denseUnits: 256,
        denseActivation: "linear",
        batchNormAfterDense: false,
        dropoutAfterDense: 0.3,
        ...rmsprop,
        batchSize: 128,
      };
    case "classic-bn":
      return {
        preset: "classic-bn",
        sequenceLength: 100,
        lstm: [
          { units: 512, recurrentDropout: 0.3, dropoutAfter: 0 },
          { units: 512, recurrentDropout: 0.3, dropoutAfter: 0 },
          { units: 512, recurrentDropout: 0, dropoutAfter: 0 },
        ],
        batchNormAfterLstm: true,
        dropoutBeforeDense: 0.3,
        denseUnits: 256,
        denseActivation: "relu",
        batchNormAfterDense: true,
        dropoutAfterDense: 0.3,
        ...rmsprop,
        batchSize: 128,
      };
    case "classic-small":
      return {
        preset: "classic-small",
        sequenceLength: 32,
        lstm: [
          { units: 256, recurrentDropout: 0, dropoutAfter: 0.3 },
          { units: 256, recurrentDropout: 0, dropoutAfter: 0 },
        ],
        batchNormAfterLstm: false,
        dropoutBeforeDense: 0,
        denseUnits: 256,
        denseActivation: "linear",
        batchNormAfterDense: false,
        dropoutAfterDense: 0.3,
        // A higher rate and smaller batches than the full model: more, larger steps, so the
        // small corpus gets past the unigram plateau within the minutes a CPU run has.
        optimizer: "rmsprop",
        learningRate: 0.003,
        batchSize: 32,
      };
    default:
      throw new Error(
        `model preset: expected one of ${
          CLASSIC_PRESETS.map((p) => JSON.stringify(p)).join(", ")
        }, got ${JSON.stringify(name)}`,
      );
  }
}

function check(ok: boolean, setting: string, expected: string, got: unknown): void {
  if (!ok) throw new Error(`model.${setting}: expected ${expected}, got ${JSON.stringify(got)}`);
}

const isRate = (v: number) => v >= 0 && v < 1;
const isPositiveInt = (v: number) => Number.isInteger(v) && v > 0;

/**
 * Checks every value of a classic model config.
 *
 * @throws {Error} naming the first setting that is out of range
 */
export function checkClassicModelConfig(config: ClassicModelConfig): void {
  check(
    CLASSIC_PRESETS.includes(config.preset),
    "preset",
    CLASSIC_PRESETS.join(" | "),
    config.preset,
  );
  check(
    isPositiveInt(config.sequenceLength),
    "sequenceLength",
    "a positive integer",
    config.sequenceLength,
  );
  check(config.lstm.length > 0, "lstm", "at least one layer", config.lstm);
  config.lstm.forEach((l, i) => {
    check(isPositiveInt(l.units), `lstm[${i}].units`, "a positive integer", l.units);
    check(isRate(l.recurrentDropout), `lstm[${i}].recurrentDropout`, "0..1", l.recurrentDropout);
    check(isRate(l.dropoutAfter), `lstm[${i}].dropoutAfter`, "0..1", l.dropoutAfter);
  });
  check(isRate(config.dropoutBeforeDense), "dropoutBeforeDense", "0..1", config.dropoutBeforeDense);
  check(isPositiveInt(config.denseUnits), "denseUnits", "a positive integer", config.denseUnits);
  check(
    ["linear", "relu"].includes(config.denseActivation),
    "denseActivation",
    '"linear" or "relu"',
    config.denseActivation,
  );
  check(isRate(config.dropoutAfterDense), "dropoutAfterDense", "0..1", config.dropoutAfterDense);
  check(
    ["rmsprop", "adam"].includes(config.optimizer),
    "optimizer",
    '"rmsprop" or "adam"',
    config.optimizer,
  );
  check(config.learningRate > 0, "learningRate", "a number above 0", config.learningRate);
  check(isPositiveInt(config.batchSize), "batchSize", "a positive integer", config.batchSize);
}

/**
 * Number of parameters (trainable and not) of a classic model, counted the way Keras'
 * `model.summary()` does, without building it.
 */
export function classicParameterCount(config: ClassicModelConfig, vocabSize: number): number {
  let count = 0;
  let features = 1;
  for (const { units } of config.lstm) {
    count += 4 * (units * (features + units) + units);
    features = units;
  }
  if (config.batchNormAfterLstm) count += 4 * features;
  count += features * config.denseUnits + config.denseUnits;
  if (config.batchNormAfterDense) count += 4 * config.denseUnits;
  return count + config.denseUnits * vocabSize + vocabSize;
}

/**
 * Sparse categorical cross-entropy over softmax probabilities: the mean over the batch of
 * `-log p[label]`, with `p` renormalised and clipped to [1e-7, 1 - 1e-7] as Keras does. The
 * labels stay integer ids; one-hot rows exist only inside this call.
 *
 * @param labels `[batch]` or `[batch, 1]` token ids (any numeric dtype)
 * @param probs `[batch, vocab]` probabilities (the model's softmax output)
 * @returns a scalar
 */
export function classicLoss(labels: tf.Tensor, probs: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = probs.shape[probs.shape.length - 1]!;
    const ids = tf.cast(tf.reshape(labels, [-1]), "int32");
    const oneHot = tf.oneHot(ids, classes);
    const p = tf.clipByValue(tf.div(probs, tf.sum(probs, -1, true)), 1e-7, 1 - 1e-7);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(p)), -1))) as tf.Scalar;
  });
}

/** Options for {@linkcode buildClassicModel}. */
export interface BuildClassicModelOptions {
  /** Number of tokens in the vocabulary: the width of the softmax. Required. */
  vocabSize: number;
  /**
   * Seed of the weight initialisation.
   * @default {0}
   */
  seed?: number;
  /**
   * Makes each LSTM layer; swap in another implementation with the same weights (such as
   * `fusedLstm` from `lib/fused_lstm.ts`).
   * @default {tf.layers.lstm}
   */
  lstmLayer?: LstmFactory;
  /**
   * Compile the model with {@linkcode classicLoss} and the config's optimiser.
   * @default {true}
   */
  compile?: boolean;
}

/**
 * Builds (and by default compiles) a classic model from a preset name or a full config.
 * Layers are named as in the original Keras summary (`lstm_1`, `dropout_1`, ...,
 * `dense_2`). Weights are initialised from `options.seed` (Glorot-uniform kernels,
 * orthogonal recurrent kernels, zero biases).
 *
 * Input `[batch, sequenceLength, 1]`: token ids divided by `vocabSize`. Output
 * `[batch, vocabSize]`: probabilities of the next token.
 *
 * @throws {Error} naming the setting when the preset is unknown, a config value is out of
 *   range, or `vocabSize` is not a positive integer
 */
export function buildClassicModel(
  config: ClassicModelConfig | ClassicPreset,
  options: BuildClassicModelOptions,
): tf.LayersModel {
  const c = typeof config === "string" ? classicPresetConfig(config) : config;
  checkClassicModelConfig(c);
  const vocabSize = options.vocabSize;
  if (!isPositiveInt(vocabSize)) {
    throw new Error(`vocabSize: expected a positive integer, got ${JSON.stringify(vocabSize)}`);
  }
  const seed = options.seed ?? 0;
  const lstmLayer = options.lstmLayer ?? ((cfg) => tf.layers.lstm(cfg));
  const counters: Record<string, number> = {};
  const name = (kind: string) => `${kind}_${(counters[kind] = (counters[kind] ?? 0) + 1)}`;
  let k = 0;
  const glorot = () => tf.initializers.glorotUniform({ seed: seed + 10 * ++k });

  const input = tf.input({ shape: [c.sequenceLength, 1], name: "tokens" });
  let x: tf.SymbolicTensor = input;
  const apply = (layer: tf.layers.Layer) => (x = layer.apply(x) as tf.SymbolicTensor);
  const dropout = (rate: number) => {
    if (rate > 0) apply(tf.layers.dropout({ rate, seed: seed + 10 * ++k, name: name("dropout") }));
  };
  const lstms: tf.layers.Layer[] = [];
  c.lstm.forEach((spec, i) => {
    const layer = lstmLayer({
      units: spec.units,
      returnSequences: i < c.lstm.length - 1,
      recurrentDropout: spec.recurrentDropout,
      name: name("lstm"),
      kernelInitializer: glorot(),
      // Filled with a fast seeded orthogonal matrix below (tfjs's own is very slow).
      recurrentInitializer: "zeros",
    });
    lstms.push(layer);
    apply(layer);
    dropout(spec.dropoutAfter);
  });
  if (c.batchNormAfterLstm) {
    apply(tf.layers.batchNormalization({ name: name("batch_normalization") }));
  }
  dropout(c.dropoutBeforeDense);
  apply(tf.layers.dense({ units: c.denseUnits, kernelInitializer: glorot(), name: name("dense") }));
  if (c.denseActivation !== "linear") {
    apply(tf.layers.activation({ activation: c.denseActivation, name: name("activation") }));
  }
  if (c.batchNormAfterDense) {
    apply(tf.layers.batchNormalization({ name: name("batch_normalization") }));
  }
  dropout(c.dropoutAfterDense);
  apply(tf.layers.dense({ units: vocabSize, kernelInitializer: glorot(), name: name("dense") }));
  apply(tf.layers.activation({ activation: "softmax", name: name("activation") }));
  const model = tf.model({ inputs: input, outputs: x, name: c.preset.replace("-", "_") });
  initRecurrentOrthogonal(lstms, seed + 1);
  if (options.compile ?? true) compileClassicModel(model, c);
  return model;
}

/**
 * Compiles a classic model with {@linkcode classicLoss} and the config's optimiser. Changes
 * `model` in place.
 */
export function compileClassicModel(model: tf.LayersModel, config: ClassicModelConfig): void {
  model.compile({
    optimizer: config.optimizer === "adam"
      ? tf.train.adam(config.learningRate)
      : tf.train.rmsprop(config.learningRate),
    loss: classicLoss,
  });
}
