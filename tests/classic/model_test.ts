import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  buildClassicModel,
  classicLoss,
  classicOptimizer,
  classicParameterCount,
  sparseCategoricalCrossentropy,
} from "../../lib/classic/model.ts";
import {
  checkClassicModelConfig,
  type ClassicModelConfig,
  classicPresetConfig,
} from "../../lib/config/classic_presets.ts";
import {
  type ClassicConfig,
  defaultClassicConfig,
  resolveClassicConfig,
} from "../../lib/config/config.ts";
import { fastModelOptions } from "../../lib/engine/fast_parts.ts";
import { classicDataset, classicWindows } from "../../lib/classic/windows.ts";
import type { LstmFactory } from "../../lib/engine/fused_lstm.ts";
import { assertClose } from "../_helpers.ts";

await tf.setBackend("cpu");

/** A very small classic-shaped config for fast tests. */
function tinyConfig(overrides: Partial<ClassicModelConfig> = {}): ClassicModelConfig {
  return {
    ...classicPresetConfig("classic-small"),
    sequenceLength: 4,
    lstm: [{ units: 8, recurrentDropout: 0, dropoutAfter: 0 }],
    denseUnits: 8,
    dropoutAfterDense: 0,
    learningRate: 0.01,
    batchSize: 8,
    ...overrides,
  };
}

/** A run config with this model and seed. */
function runOf(model: ClassicModelConfig, seed = 0): ClassicConfig {
  return { ...defaultClassicConfig(), seed, model };
}

function layerSummary(model: tf.LayersModel): Array<[string, number[], number]> {
  return model.layers.slice(1).map((l) => [
    l.name,
    (l.outputShape as number[]).slice(1),
    l.countParams(),
  ]);
}

Deno.test("buildClassicModel('classic') with 358 tokens has exactly 5,474,406 parameters, as the original summary", () => {
  // The run's build (fast recurrent fill): tfjs's orthogonal initialiser is slow at 512 units.
  const config = resolveClassicConfig({ model: { preset: "lstm3x512-rmsprop" } });
  const model = buildClassicModel(config, { vocabSize: 358, ...fastModelOptions(config.lstm) });
  try {
    assert.equal(model.countParams(), 5_474_406);
    assert.deepEqual(model.inputs[0].shape, [null, 100, 1]);
    assert.deepEqual(layerSummary(model), [
      ["lstm_1", [100, 512], 1_052_672],
      ["dropout_1", [100, 512], 0],
      ["lstm_2", [100, 512], 2_099_200],
      ["dropout_2", [100, 512], 0],
      ["lstm_3", [512], 2_099_200],
      ["dense_1", [256], 131_328],
      ["dropout_3", [256], 0],
      ["dense_2", [358], 92_006],
      ["activation_1", [358], 0],
    ]);
  } finally {
    model.dispose();
  }
});

Deno.test("the classic-bn preset adds recurrent dropout, batch normalisation and relu", () => {
  const preset = classicPresetConfig("classic-bn");
  assert.equal(classicParameterCount(preset, 358), 5_477_478);
  // The same layers with narrower LSTMs, so the test builds quickly.
  const narrow = { ...preset, lstm: preset.lstm.map((l) => ({ ...l, units: 16 })) };
  const model = buildClassicModel(runOf(narrow), { vocabSize: 358, ...fastModelOptions("layers") });
  try {
    assert.equal(model.countParams(), classicParameterCount(narrow, 358));
    assert.deepEqual(model.layers.slice(1).map((l) => l.name), [
      "lstm_1",
      "lstm_2",
      "lstm_3",
      "batch_normalization_1",
      "dropout_1",
      "dense_1",
      "activation_1",
      "batch_normalization_2",
      "dropout_2",
      "dense_2",
      "activation_2",
    ]);
    const config = (name: string) => model.getLayer(name).getConfig();
    assert.equal(config("lstm_1").recurrentDropout, 0.3);
    assert.equal(config("lstm_2").recurrentDropout, 0.3);
    assert.equal(config("lstm_3").recurrentDropout, 0);
    assert.equal(config("activation_1").activation, "relu");
    assert.equal(config("activation_2").activation, "softmax");
  } finally {
    model.dispose();
  }
});

Deno.test("buildClassicModel('classic-small') has two LSTM(256) layers and windows of 32", () => {
  const scaled = { ...classicPresetConfig("classic-small"), input: "scaled" as const };
  const model = buildClassicModel(runOf(scaled), { vocabSize: 71, ...fastModelOptions("layers") });
  try {
    assert.deepEqual(model.inputs[0].shape, [null, 32, 1]);
    assert.deepEqual(model.outputs[0].shape, [null, 71]);
    // 264,192 + 525,312 (LSTMs) + 65,792 (Dense 256) + 257 * 71 (output)
    assert.equal(model.countParams(), 264_192 + 525_312 + 65_792 + 257 * 71);
    assert.equal(model.countParams(), classicParameterCount(scaled, 71));
  } finally {
    model.dispose();
  }
});

Deno.test("buildClassicModel('classic-small') reads token ids through a learned 64-wide embedding", () => {
  const config = classicPresetConfig("classic-small");
  assert.equal(config.input, "embedding");
  const model = buildClassicModel(runOf(config), { vocabSize: 71, ...fastModelOptions("layers") });
  try {
    assert.deepEqual(model.inputs[0].shape, [null, 32]);
    assert.equal(model.getLayer("token_embedding").getClassName(), "Embedding");
    // The embedding table, and the first LSTM reading 64 numbers per step instead of 1.
    const lstms = 4 * 256 * (64 + 256 + 1) + 525_312;
    assert.equal(model.countParams(), 71 * 64 + lstms + 65_792 + 257 * 71);
    assert.equal(model.countParams(), classicParameterCount(config, 71));
  } finally {
    model.dispose();
  }
});

Deno.test("classicParameterCount() agrees with the original summary for every preset", () => {
  assert.equal(classicParameterCount(classicPresetConfig("classic"), 358), 5_474_406);
  assert.equal(classicParameterCount(classicPresetConfig("classic-bn"), 358), 5_474_406 + 3 * 1024);
});

Deno.test("an unknown preset is an error naming the setting and the valid values", () => {
  const expected =
    /model preset: expected one of "lstm3x512-adam", .*"lstm2x256-cpu" \(or an older name: "classic", "classic-bn", "classic-small"\), got "huge"/;
  assert.throws(() => classicPresetConfig("huge"), expected);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => resolveClassicConfig({ model: { preset: "huge" as any } }), expected);
});

Deno.test("checkClassicModelConfig() names the first setting out of range", () => {
  assert.throws(
    () => checkClassicModelConfig(tinyConfig({ sequenceLength: 0 })),
    /model\.sequenceLength: expected a positive integer, got 0/,
  );
  assert.throws(
    () =>
      checkClassicModelConfig(
        tinyConfig({ lstm: [{ units: 8, recurrentDropout: 1.5, dropoutAfter: 0 }] }),
      ),
    /model\.lstm\[0\]\.recurrentDropout: expected 0\.\.1, got 1\.5/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => checkClassicModelConfig(tinyConfig({ optimizer: "sgd" as any })),
    /model\.optimizer: expected "rmsprop" or "adam", got "sgd"/,
  );
  assert.throws(
    () => buildClassicModel(runOf(tinyConfig()), { vocabSize: 0 }),
    /vocabSize: expected a positive integer, got 0/,
  );
});

Deno.test("buildClassicModel() makes every LSTM with the lstmLayer factory", () => {
  const calls: Array<{ units: number; returnSequences?: boolean }> = [];
  const factory: LstmFactory = (config) => {
    calls.push({ units: config.units, returnSequences: config.returnSequences });
    return tf.layers.lstm(config);
  };
  const model = buildClassicModel(
    runOf(tinyConfig({
      lstm: [
        { units: 6, recurrentDropout: 0, dropoutAfter: 0.3 },
        { units: 5, recurrentDropout: 0, dropoutAfter: 0 },
      ],
    })),
    { vocabSize: 5, lstmLayer: factory },
  );
  try {
    assert.deepEqual(calls, [{ units: 6, returnSequences: true }, {
      units: 5,
      returnSequences: false,
    }]);
  } finally {
    model.dispose();
  }
});

Deno.test("buildClassicModel() initialises weights from the config's seed", () => {
  const weights = (seed: number) => {
    const model = buildClassicModel(runOf(tinyConfig(), seed), { vocabSize: 5 });
    const values = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return values;
  };
  assert.deepEqual(weights(3), weights(3));
  assert.notDeepEqual(weights(3), weights(4));
});

Deno.test("sparseCategoricalCrossentropy() is the mean of -log p[label] for [batch] or [batch, 1] labels", () => {
  const probs = tf.tensor2d([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]]);
  const expected = -(Math.log(0.7) + Math.log(0.5)) / 2;
  for (const labels of [tf.tensor1d([0, 2], "int32"), tf.tensor2d([[0], [2]])]) {
    const loss = sparseCategoricalCrossentropy(labels, probs);
    assertClose(loss.dataSync()[0], expected, 1e-6, "loss");
    loss.dispose();
    labels.dispose();
  }
  // A certain wrong answer is clipped, not infinite.
  const labels = tf.tensor1d([1], "int32");
  const sure = tf.tensor2d([[1, 0, 0]]);
  const clipped = sparseCategoricalCrossentropy(labels, sure);
  assertClose(clipped.dataSync()[0], -Math.log(1e-7), 1e-3, "clipped loss");
  tf.dispose([probs, labels, sure, clipped]);
});

Deno.test("classicLoss(config) gives the training loop the cross-entropy as loss and the accuracy", () => {
  const loss = classicLoss(runOf(tinyConfig()));
  const labels = tf.tensor1d([0, 2], "int32");
  const probs = tf.tensor2d([[0.7, 0.2, 0.1], [0.5, 0.25, 0.25]]);
  const parts = loss(labels, [probs]);
  try {
    assertClose(parts.loss.dataSync()[0], -(Math.log(0.7) + Math.log(0.25)) / 2, 1e-6, "loss");
    assert.equal(parts.accuracy.dataSync()[0], 0.5); // the second row's most likely is id 0
  } finally {
    tf.dispose([labels, probs, ...Object.values(parts)]);
  }
});

Deno.test("a tiny classic model learns a repeating token pattern with fitDataset and sparse labels", async () => {
  const vocabSize = 4;
  const ids = Array.from({ length: 80 }, (_, i) => [0, 1, 2, 3, 2, 1][i % 6]);
  const config = tinyConfig({ lstm: [{ units: 16, recurrentDropout: 0, dropoutAfter: 0 }] });
  const index = classicWindows([ids], { vocabSize, sequenceLength: 4, input: config.input });
  const run = runOf(config, 1);
  const model = buildClassicModel(run, { vocabSize });
  // tfjs's own fit works with the classic loss as a compiled loss, as Keras' fit does.
  model.compile({ optimizer: classicOptimizer(run), loss: sparseCategoricalCrossentropy });
  const before = tf.memory().numTensors;
  try {
    const history = await model.fitDataset(classicDataset(index, { batchSize: 16, seed: 2 }), {
      epochs: 25,
      verbose: 0,
    });
    const losses = history.history.loss as number[];
    assert.ok(losses[0] > 1, `first loss ${losses[0]} should be near ln 4`);
    assert.ok(
      losses[losses.length - 1] < losses[0] / 2,
      `loss should halve: ${losses[0]} -> ${losses[losses.length - 1]}`,
    );
    // Only the optimiser's slots may remain; no per-batch tensors leak.
    assert.ok(tf.memory().numTensors - before <= 2 * model.trainableWeights.length);
  } finally {
    model.dispose();
  }
});

Deno.test("classicOptimizer() is tf.train.rmsprop or tf.train.adam", () => {
  const rms = tinyConfig({ optimizer: "rmsprop", learningRate: 0.002 });
  const adam = tinyConfig({ optimizer: "adam", learningRate: 0.003 });
  const optimizers = [classicOptimizer(runOf(rms)), classicOptimizer(runOf(adam))];
  try {
    assert.equal(optimizers[0].getClassName(), "RMSProp");
    assert.equal(optimizers[1].constructor, tf.AdamOptimizer);
  } finally {
    optimizers.forEach((o) => o.dispose());
  }
});
