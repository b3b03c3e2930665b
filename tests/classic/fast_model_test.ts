import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { buildClassicModel, classicLoss } from "../../lib/classic/model.ts";
import { buildFastClassicModel, classicLossSpec } from "../../lib/classic/fast_model.ts";
import { type ClassicModelConfig, classicPresetConfig } from "../../lib/config/classic_presets.ts";
import { type ClassicConfig, defaultClassicConfig } from "../../lib/config/config.ts";
import { lstmFactory } from "../../lib/engine/fused_lstm.ts";
import { orthogonalMatrix } from "../../lib/engine/init.ts";

await tf.setBackend("cpu");

/** A run config of a tiny model with these LSTMs, seed 3. */
function tinyConfig(lstm: ClassicModelConfig["lstm"], engine: "layers" | "fused"): ClassicConfig {
  const model = {
    ...classicPresetConfig("classic-small"),
    sequenceLength: 4,
    lstm,
    denseUnits: 8,
    dropoutAfterDense: 0,
  };
  return { ...defaultClassicConfig(), seed: 3, lstm: engine, model };
}

Deno.test("buildFastClassicModel() is the lesson's model with each recurrent kernel from orthogonalMatrix", () => {
  const config = tinyConfig([
    { units: 6, recurrentDropout: 0, dropoutAfter: 0 },
    { units: 5, recurrentDropout: 0, dropoutAfter: 0 },
  ], "layers");
  const fast = buildFastClassicModel(config, { vocabSize: 5 });
  const lesson = buildClassicModel(config, { vocabSize: 5 });
  try {
    const lstms = ["lstm_1", "lstm_2"];
    lstms.forEach((name, i) => {
      const [rows, cols] = fast.getLayer(name).getWeights()[1].shape as [number, number];
      assert.deepEqual(
        fast.getLayer(name).getWeights()[1].dataSync(),
        orthogonalMatrix([rows, cols], { seed: 4 + 1000 * i }),
      );
    });
    const names = fast.weights.map((w) => w.originalName);
    const want = lesson.getWeights();
    const others = fast.getWeights().filter((_, i) => !/recurrent_kernel/.test(names[i]));
    assert.equal(others.length, want.length - 2);
    fast.getWeights().forEach((w, i) => {
      if (/recurrent_kernel/.test(names[i])) return;
      assert.deepEqual(w.dataSync(), want[i].dataSync(), `weight ${names[i]}`);
    });
  } finally {
    fast.dispose();
    lesson.dispose();
  }
});

Deno.test("buildFastClassicModel() makes the LSTMs that config.lstm names unless told otherwise", () => {
  const config = tinyConfig([{ units: 4, recurrentDropout: 0, dropoutAfter: 0 }], "fused");
  const fused = buildFastClassicModel(config, { vocabSize: 5 });
  const layers = buildFastClassicModel(config, { vocabSize: 5, lstmLayer: lstmFactory("layers") });
  try {
    assert.notEqual(
      fused.getLayer("lstm_1").getClassName(),
      layers.getLayer("lstm_1").getClassName(),
    );
    assert.equal(layers.getLayer("lstm_1").getClassName(), "LSTM");
    fused.getWeights().forEach((w, i) =>
      assert.deepEqual(w.dataSync(), layers.getWeights()[i].dataSync(), `weight ${i}`)
    );
  } finally {
    fused.dispose();
    layers.dispose();
  }
});

Deno.test("classicLossSpec() names classicLoss of model.ts, with the config", async () => {
  const config = tinyConfig([{ units: 4, recurrentDropout: 0, dropoutAfter: 0 }], "fused");
  const spec = classicLossSpec(config);
  const module = await import(spec.module);
  assert.equal(module[spec.name], classicLoss);
  assert.deepEqual(spec.args, [config]);
});
