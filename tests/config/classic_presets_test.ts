import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { buildClassicModel, classicParameterCount } from "../../lib/classic/model.ts";
import { fastModelOptions } from "../../lib/engine/fast_parts.ts";
import {
  CLASSIC_PRESET_ALIASES,
  CLASSIC_PRESETS,
  type ClassicModelConfig,
  classicPresetConfig,
  classicPresetInfo,
  type ClassicPresetName,
} from "../../lib/config/classic_presets.ts";
import { resolveClassicConfig } from "../../lib/config/config.ts";

await tf.setBackend("cpu");

/** Parameters of a Keras LSTM with `units` cells reading `inputs` features. */
const lstm = (units: number, inputs: number) => 4 * (units * (inputs + units) + units);
/** Parameters of a Keras Dense layer. */
const dense = (inputs: number, units: number) => inputs * units + units;
/** Parameters of a Keras BatchNormalization layer (gamma, beta, moving mean and variance). */
const batchNorm = (features: number) => 4 * features;

/** What each source shows: optimiser, batch size, epochs, and Keras' total for 358 tokens. */
const SOURCES: Record<
  ClassicPresetName,
  { optimizer: string; batchSize: number; epochs: number; keras358: number }
> = {
  "lstm3x512-adam": {
    optimizer: "adam",
    batchSize: 64,
    epochs: 50,
    keras358: lstm(512, 1) + 2 * lstm(512, 512) + dense(512, 256) + dense(256, 358),
  },
  "lstm256-512-256-rmsprop": {
    optimizer: "rmsprop",
    batchSize: 64,
    epochs: 200,
    keras358: lstm(256, 1) + lstm(512, 256) + lstm(256, 512) + dense(256, 256) +
      dense(256, 358),
  },
  "lstm3x512-rmsprop": { optimizer: "rmsprop", batchSize: 128, epochs: 100, keras358: 5_474_406 },
  "lstm3x512-batchnorm": {
    optimizer: "rmsprop",
    batchSize: 128,
    epochs: 200,
    keras358: 5_474_406 + batchNorm(512) + batchNorm(256),
  },
  "lstm2x256-cpu": {
    optimizer: "rmsprop",
    batchSize: 32,
    epochs: 50,
    // This project's preset reads a learned 64-wide vector per token (model.input).
    keras358: 358 * 64 + lstm(256, 64) + lstm(256, 256) + dense(256, 256) + dense(256, 358),
  },
};

Deno.test("the Keras totals above are the sources' own figures", () => {
  // 002's model.summary(): 1,052,672 + 2,099,200 + 2,099,200 + 131,328 + 92,006.
  assert.equal(lstm(512, 1), 1_052_672);
  assert.equal(lstm(512, 512), 2_099_200);
  assert.equal(dense(512, 256), 131_328);
  assert.equal(dense(256, 358), 92_006);
  assert.equal(SOURCES["lstm3x512-adam"].keras358, 5_474_406);
  assert.equal(SOURCES["lstm256-512-256-rmsprop"].keras358, 2_784_358);
  assert.equal(SOURCES["lstm3x512-batchnorm"].keras358, 5_477_478);
});

Deno.test("every preset has its source's optimiser, batch size, epochs and Keras' parameter count for 358 tokens", () => {
  assert.deepEqual([...CLASSIC_PRESETS].sort(), Object.keys(SOURCES).sort());
  for (const name of CLASSIC_PRESETS) {
    const preset = classicPresetConfig(name);
    const source = SOURCES[name];
    assert.equal(preset.preset, name);
    assert.equal(preset.optimizer, source.optimizer, `${name}: optimizer`);
    assert.equal(preset.batchSize, source.batchSize, `${name}: batch size`);
    assert.equal(classicPresetInfo(name).epochs, source.epochs, `${name}: epochs`);
    assert.equal(classicParameterCount(preset, 358), source.keras358, `${name}: parameters`);
    if (name !== "lstm2x256-cpu") {
      assert.equal(preset.input, "scaled", `${name}: one number per token, as the sources`);
      assert.equal(preset.sequenceLength, 100, `${name}: windows of 100`);
      assert.equal(preset.learningRate, 0.001, `${name}: Keras' default rate`);
    }
  }
});

/** The layers of a built model, without the input: name and parameter count. */
function layers(model: tf.LayersModel): Array<[string, number]> {
  return model.layers.slice(1).map((l) => [l.name, l.countParams()]);
}

/** A preset with every layer 16 times narrower, so that its model builds in a moment. */
function narrow(config: ClassicModelConfig): ClassicModelConfig {
  return {
    ...config,
    lstm: config.lstm.map((l) => ({ ...l, units: l.units / 16 })),
    denseUnits: config.denseUnits / 16,
  };
}

Deno.test("every preset's layers, 16 times narrower, build a model with as many parameters as classicParameterCount() says", () => {
  const vocabSize = 12;
  for (const name of CLASSIC_PRESETS) {
    const config = narrow(classicPresetConfig(name));
    const run = resolveClassicConfig({ lstm: "layers", model: { ...config, preset: name } });
    const model = buildClassicModel(run, { vocabSize, ...fastModelOptions(run.lstm) });
    try {
      assert.equal(model.countParams(), classicParameterCount(config, vocabSize), name);
      assert.deepEqual(
        model.inputs[0].shape,
        config.input === "embedding"
          ? [null, config.sequenceLength]
          : [null, config.sequenceLength, 1],
      );
      assert.deepEqual(model.outputs[0].shape, [null, vocabSize]);
      if (name === "lstm256-512-256-rmsprop") {
        // Dropout after the first two LSTMs and after Dense(256), as in 001.
        assert.deepEqual(layers(model), [
          ["lstm_1", lstm(16, 1)],
          ["dropout_1", 0],
          ["lstm_2", lstm(32, 16)],
          ["dropout_2", 0],
          ["lstm_3", lstm(16, 32)],
          ["dense_1", dense(16, 16)],
          ["dropout_3", 0],
          ["dense_2", dense(16, vocabSize)],
          ["activation_1", 0],
        ]);
      }
      if (name === "lstm3x512-batchnorm") {
        assert.deepEqual(layers(model).map(([n]) => n), [
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
        const recurrent = ["lstm_1", "lstm_2", "lstm_3"].map((l) =>
          model.getLayer(l).getConfig().recurrentDropout
        );
        assert.deepEqual(recurrent, [0.3, 0.3, 0]);
      }
    } finally {
      model.dispose();
    }
  }
});

Deno.test("the older preset names load the same values under the name they were given", () => {
  const strip = (c: ClassicModelConfig) => ({ ...c, preset: undefined });
  for (const [alias, name] of Object.entries(CLASSIC_PRESET_ALIASES)) {
    const old = classicPresetConfig(alias);
    assert.equal(old.preset, alias);
    assert.deepEqual(strip(old), strip(classicPresetConfig(name)), alias);
    assert.equal(classicPresetInfo(alias).name, name);
  }
  // The sources' 5,474,406-parameter model is still "classic".
  assert.equal(classicParameterCount(classicPresetConfig("classic"), 358), 5_474_406);
  const resolved = resolveClassicConfig({ model: { preset: "classic-bn" } });
  assert.equal(resolved.model.preset, "classic-bn");
  assert.equal(resolved.train.epochs, 200);
});

Deno.test("an unknown preset names the presets and the older names", () => {
  assert.throws(
    () => classicPresetConfig("huge"),
    /model preset: expected one of "lstm3x512-adam", "lstm256-512-256-rmsprop", "lstm3x512-rmsprop", "lstm3x512-batchnorm", "lstm2x256-cpu" \(or an older name: "classic", "classic-bn", "classic-small"\), got "huge"/,
  );
  assert.throws(() => classicPresetInfo("toString"), /model preset: expected one of/);
  assert.throws(
    () => resolveClassicConfig({ model: { preset: "huge" as ClassicPresetName } }),
    /model preset: expected one of/,
  );
});

Deno.test("train.epochs defaults to the preset's epochs unless the config sets it; quick mode still caps it", () => {
  assert.equal(resolveClassicConfig().model.preset, "lstm2x256-cpu");
  assert.equal(resolveClassicConfig().train.epochs, 50);
  for (const name of CLASSIC_PRESETS) {
    const c = resolveClassicConfig({ model: { preset: name } });
    assert.equal(c.train.epochs, SOURCES[name].epochs, name);
    assert.equal(c.model.batchSize, SOURCES[name].batchSize, name);
  }
  const preset = { preset: "lstm256-512-256-rmsprop" as const };
  assert.equal(resolveClassicConfig({ model: preset, train: { epochs: 7 } }).train.epochs, 7);
  assert.equal(resolveClassicConfig({ model: preset }, { quick: true }).train.epochs, 2);
});
