/**
 * The classic family's models: stacked LSTMs read a window of token ids (each divided by the
 * vocabulary size, as the sources do, or each looked up as a learned vector: `model.input`)
 * and a softmax over the vocabulary predicts the next token.
 *
 * The presets (layer sizes, dropout, optimiser) are in `lib/config/classic_presets.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { LossFunction } from "../train/loop.ts";
import { sparseAccuracy } from "../train/accuracy.ts";
import type { ClassicConfig } from "../config/config.ts";
import { checkClassicModelConfig, type ClassicModelConfig } from "../config/classic_presets.ts";

/**
 * Number of parameters (trainable and not) of a classic model, counted the way Keras'
 * `model.summary()` does, without building it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classicParameterCount, classicPresetConfig } from "midi-lstm";
 *
 * // the sources' 3 x LSTM(512) model over their 358 tokens, as Keras' summary counts it
 * assert.equal(classicParameterCount(classicPresetConfig("lstm3x512-adam"), 358), 5_474_406);
 * ```
 */
export function classicParameterCount(config: ClassicModelConfig, vocabSize: number): number {
  const embedding = config.input === "embedding";
  let count = embedding ? vocabSize * config.embeddingSize : 0;
  let features = embedding ? config.embeddingSize : 1;
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
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend, sparseCategoricalCrossentropy } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 * // the model gave the right token (id 1) probability 0.5: the loss is -ln 0.5
 * const probs = tf.tensor2d([[0.25, 0.5, 0.25]]);
 * const loss = sparseCategoricalCrossentropy(tf.tensor1d([1], "int32"), probs);
 * assert.ok(Math.abs(loss.dataSync()[0] - Math.log(2)) < 1e-6);
 * ```
 */
export function sparseCategoricalCrossentropy(labels: tf.Tensor, probs: tf.Tensor): tf.Scalar {
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
   * Makes each LSTM layer; swap in another implementation with the same weights (such as
   * `fusedLstm` from `lib/engine/fused_lstm.ts`).
   * @default {tf.layers.lstm}
   */
  lstmLayer?: (config: Parameters<typeof tf.layers.lstm>[0]) => tf.layers.Layer;
  /**
   * Fills the LSTM layers' recurrent kernels after the build, from the seed `config.seed + 1`
   * (a run passes the fast seeded orthogonal fill `initRecurrentOrthogonal` of
   * `lib/engine/init.ts`). Without it, tfjs's seeded orthogonal initialiser fills each
   * kernel as its layer builds, as Keras does (seconds already at 128 units on the cpu backend).
   * @default {undefined}
   */
  initRecurrent?: (lstms: tf.layers.Layer[], seed: number) => void;
}

/**
 * Builds the classic model of a run config's `model` (train it with {@linkcode classicLoss}
 * and {@linkcode classicOptimizer}). Layers are named as in the original Keras summary
 * (`lstm_1`, `dropout_1`, ..., `dense_2`). Weights are initialised from `config.seed`
 * (Glorot-uniform kernels, orthogonal recurrent kernels, zero biases).
 *
 * Input `[batch, model.sequenceLength, 1]`: token ids divided by `vocabSize` (`model.input:
 * "scaled"`); or `[batch, model.sequenceLength]` token ids, each turned into a learned vector
 * of `model.embeddingSize` numbers by an Embedding layer (`"embedding"`). Output
 * `[batch, vocabSize]`: probabilities of the next token.
 *
 * @throws {Error} naming the setting when a `model` value is out of range, or `vocabSize` is
 *   not a positive integer
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildClassicModel,
 *   classicParameterCount,
 *   classicPresetConfig,
 *   resolveClassicConfig,
 *   selectBackend,
 * } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 * // the preset's layers (LSTM, Dropout, LSTM, Dense, Dropout, Dense, softmax), made small
 * const preset = classicPresetConfig("lstm2x256-cpu");
 * const lstm = preset.lstm.map((layer) => ({ ...layer, units: 16 }));
 * // input "scaled", as the sources: each id divided by the vocabulary size
 * const config = resolveClassicConfig({
 *   seed: 1,
 *   model: { preset: "lstm2x256-cpu", input: "scaled", sequenceLength: 8, lstm, denseUnits: 16 },
 * });
 * const model = buildClassicModel(config, { vocabSize: 20 });
 * assert.deepEqual(model.inputs[0].shape, [null, 8, 1]); // [batch, sequenceLength, 1]
 * assert.deepEqual(model.outputs[0].shape, [null, 20]); // one probability per token
 * assert.equal(model.countParams(), classicParameterCount(config.model, 20));
 * model.dispose();
 * ```
 */
export function buildClassicModel(
  config: ClassicConfig,
  options: BuildClassicModelOptions,
): tf.LayersModel {
  const c = config.model;
  checkClassicModelConfig(c);
  const vocabSize = options.vocabSize;
  if (!(Number.isInteger(vocabSize) && vocabSize > 0)) {
    throw new Error(`vocabSize: expected a positive integer, got ${JSON.stringify(vocabSize)}`);
  }
  const seed = config.seed;
  const lstmLayer = options.lstmLayer ?? ((cfg) => tf.layers.lstm(cfg));
  const counters: Record<string, number> = {};
  // Keras's layer names: lstm_1, lstm_2, dropout_1, ...
  const name = (kind: string) => {
    counters[kind] = (counters[kind] ?? 0) + 1;
    return `${kind}_${counters[kind]}`;
  };
  let k = 0;
  const glorot = () => tf.initializers.glorotUniform({ seed: seed + 10 * ++k });

  const embedding = c.input === "embedding";
  const input = tf.input({
    shape: embedding ? [c.sequenceLength] : [c.sequenceLength, 1],
    name: "tokens",
  });
  let x: tf.SymbolicTensor = input;
  const apply = (layer: tf.layers.Layer) => (x = layer.apply(x) as tf.SymbolicTensor);
  if (embedding) {
    apply(tf.layers.embedding({
      inputDim: vocabSize,
      outputDim: c.embeddingSize,
      name: "token_embedding",
      embeddingsInitializer: tf.initializers.randomUniform({
        minval: -0.05,
        maxval: 0.05,
        seed: seed + 5,
      }),
    }));
  }
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
      // With initRecurrent, filled after the build instead.
      recurrentInitializer: options.initRecurrent
        ? "zeros"
        : tf.initializers.orthogonal({ seed: seed + 1 + 1000 * i, gain: 1 }),
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
  const model = tf.model({ inputs: input, outputs: x, name: c.preset.replaceAll("-", "_") });
  options.initRecurrent?.(lstms, seed + 1);
  return model;
}

/**
 * A classic model's optimiser: `tf.train.rmsprop` or `tf.train.adam`, as `model.optimizer`
 * says, at `model.learningRate` (a run trains with it through `fastOptimizer` of
 * `lib/engine/fast_parts.ts`: the same update, Adam's in a loop per variable).
 */
export function classicOptimizer(config: ClassicConfig): tf.Optimizer {
  const { optimizer, learningRate } = config.model;
  return optimizer === "adam" ? tf.train.adam(learningRate) : tf.train.rmsprop(learningRate);
}

/**
 * The classic model's loss as the training loop takes it: `loss`, the
 * {@linkcode sparseCategoricalCrossentropy} of the next token's id under the model's
 * probabilities, and the metric `accuracy`. Targets are `[batch]` ids; outputs `[probs]`.
 * Every classic config has the same loss; the config is taken as the tutorial's loss takes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { classicLoss, resolveClassicConfig, selectBackend } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 * const loss = classicLoss(resolveClassicConfig());
 * // the right token (id 1) has probability 0.5, and it is the most likely
 * const parts = loss(tf.tensor1d([1], "int32"), [tf.tensor2d([[0.25, 0.5, 0.25]])]);
 * assert.ok(Math.abs(parts.loss.dataSync()[0] - Math.log(2)) < 1e-6);
 * assert.equal(parts.accuracy.dataSync()[0], 1);
 * ```
 */
export function classicLoss(_config: ClassicConfig): LossFunction {
  return (ys, [probs]) => ({
    loss: sparseCategoricalCrossentropy(ys as tf.Tensor, probs),
    accuracy: sparseAccuracy(ys as tf.Tensor, probs),
  });
}
