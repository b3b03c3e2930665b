import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { buildClassicModel } from "../../lib/classic/model.ts";
import { buildFastClassicModel, classicLossSpec } from "../../lib/classic/fast_model.ts";
import { type ClassicModelConfig, classicPresetConfig } from "../../lib/config/classic_presets.ts";
import { orthogonalMatrix } from "../../lib/engine/init.ts";

await tf.setBackend("cpu");

function tinyConfig(lstm: ClassicModelConfig["lstm"]): ClassicModelConfig {
  return {
    ...classicPresetConfig("classic-small"),
    sequenceLength: 4,
    lstm,
    denseUnits: 8,
    dropoutAfterDense: 0,
  };
}

Deno.test("buildFastClassicModel() is the lesson's model with each recurrent kernel from orthogonalMatrix", () => {
  const config = tinyConfig([
    { units: 6, recurrentDropout: 0, dropoutAfter: 0 },
    { units: 5, recurrentDropout: 0, dropoutAfter: 0 },
  ]);
  const fast = buildFastClassicModel(config, { vocabSize: 5, seed: 3 });
  const lesson = buildClassicModel(config, { vocabSize: 5, seed: 3 });
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

Deno.test("classicLossSpec() names classicTrainLoss of model.ts", async () => {
  const spec = classicLossSpec();
  const module = await import(spec.module);
  assert.equal(typeof module[spec.name], "function");
  assert.equal(spec.name, "classicTrainLoss");
});
