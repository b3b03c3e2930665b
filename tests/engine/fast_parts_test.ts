import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  type ClassicConfig,
  defaultClassicConfig,
  resolveTutorialConfig,
} from "../../lib/config/config.ts";
import { type ClassicModelConfig, classicPresetConfig } from "../../lib/config/classic_presets.ts";
import { buildTutorialModel, tutorialLoss, tutorialOptimizer } from "../../lib/tutorial/model.ts";
import { buildClassicModel, classicOptimizer } from "../../lib/classic/model.ts";
import { fastModelOptions, fastOptimizer } from "../../lib/engine/fast_parts.ts";
import { FusedAdam, fusedAdam } from "../../lib/engine/fused_adam.ts";
import { lstmFactory } from "../../lib/engine/fused_lstm.ts";
import { orthogonalMatrix } from "../../lib/engine/init.ts";

await tf.setBackend("cpu");

Deno.test("buildTutorialModel() with fastModelOptions() is the lesson's model with the recurrent kernel of orthogonalMatrix(seed + 1)", () => {
  const config = resolveTutorialConfig({
    seed: 7,
    lstm: "layers",
    model: { sequenceLength: 4, lstmUnits: 8, input: "scaled" },
  });
  const fast = buildTutorialModel(config, fastModelOptions(config.lstm));
  const lesson = buildTutorialModel(config);
  try {
    const got = fast.getWeights().map((w) => w.dataSync().slice());
    const want = lesson.getWeights().map((w) => w.dataSync().slice());
    assert.equal(got.length, want.length);
    assert.deepEqual(got[1], orthogonalMatrix([8, 32], { seed: 8 }));
    assert.notDeepEqual(want[1], got[1]);
    got.forEach((w, i) => i === 1 || assert.deepEqual(w, want[i], `weight ${i}`));
  } finally {
    fast.dispose();
    lesson.dispose();
  }
});

Deno.test("fastModelOptions() makes the LSTM a config's lstm names, or takes a factory", () => {
  const config = resolveTutorialConfig({
    lstm: "fused",
    model: { sequenceLength: 4, lstmUnits: 4, input: "scaled" },
  });
  const fused = buildTutorialModel(config, fastModelOptions(config.lstm));
  const layers = buildTutorialModel(config, fastModelOptions(lstmFactory("layers")));
  try {
    assert.equal(fused.getLayer("lstm").getClassName(), "FusedLSTM");
    assert.equal(layers.getLayer("lstm").getClassName(), "LSTM");
    fused.getWeights().forEach((w, i) =>
      assert.deepEqual(w.dataSync(), layers.getWeights()[i].dataSync(), `weight ${i}`)
    );
  } finally {
    fused.dispose();
    layers.dispose();
  }
});

function tinyClassicConfig(
  lstm: ClassicModelConfig["lstm"],
  model: Partial<ClassicModelConfig> = {},
): ClassicConfig {
  return {
    ...defaultClassicConfig(),
    seed: 3,
    model: {
      ...classicPresetConfig("classic-small"),
      sequenceLength: 4,
      lstm,
      denseUnits: 8,
      dropoutAfterDense: 0,
      ...model,
    },
  };
}

Deno.test("buildClassicModel() with fastModelOptions() is the lesson's model with each recurrent kernel from orthogonalMatrix", () => {
  const config = tinyClassicConfig([
    { units: 6, recurrentDropout: 0, dropoutAfter: 0 },
    { units: 5, recurrentDropout: 0, dropoutAfter: 0 },
  ]);
  const fast = buildClassicModel(config, { vocabSize: 5, ...fastModelOptions("layers") });
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

Deno.test("fastOptimizer() of tutorialOptimizer() is the fused Adam: tf.train.adam's updates, step after step", () => {
  const run = (optimizer: tf.Optimizer) => {
    const config = resolveTutorialConfig({
      seed: 3,
      model: { sequenceLength: 4, lstmUnits: 4, input: "scaled" },
    });
    const model = buildTutorialModel(config, fastModelOptions(config.lstm));
    const xs = tf.tensor3d(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i)), [2, 4, 3]);
    const ys = {
      pitch: tf.tensor1d([60, 3], "int32"),
      step: tf.tensor2d([[0.5], [0]]),
      duration: tf.tensor2d([[0.25], [1]]),
    };
    const loss = tutorialLoss(
      resolveTutorialConfig({ model: { lossWeights: { pitch: 0.05, step: 1, duration: 1 } } }),
    );
    for (let i = 0; i < 5; i++) {
      optimizer.minimize(() => loss(ys, model.apply(xs, { training: true }) as tf.Tensor[]).loss);
    }
    const values = model.getWeights().map((w) => w.dataSync().slice());
    model.dispose();
    return values;
  };
  const config = resolveTutorialConfig({ model: { learningRate: 0.01 } });
  const fused = fastOptimizer(tutorialOptimizer(config));
  assert.equal(fused.constructor, FusedAdam);
  assert.equal(fused.getClassName(), "Adam");
  const got = run(fused);
  const want = run(tf.train.adam(0.01));
  // Bit for bit what a fused Adam made directly gives.
  const before = run(fusedAdam(0.01));
  got.forEach((w, i) => assert.deepEqual(w, before[i], `weight ${i}`));
  got.forEach((w, i) => {
    const scale = Math.max(1e-12, ...Array.from(want[i], Math.abs));
    const error = Math.max(...Array.from(w, (x, k) => Math.abs(x - want[i][k]))) / scale;
    assert.ok(error < 1e-5, `weight ${i}: relative error ${error}`);
  });
});

Deno.test("fastOptimizer() keeps Adam's settings, fuses classicOptimizer()'s Adam and leaves RMSprop as it is", () => {
  const fused = fastOptimizer(tf.train.adam(0.02, 0.8, 0.99, 1e-4));
  assert.equal(fused.constructor, FusedAdam);
  const settings = fused as unknown as Record<string, number>;
  assert.deepEqual(
    [settings.learningRate, settings.beta1, settings.beta2, settings.epsilon],
    [0.02, 0.8, 0.99, 1e-4],
  );
  assert.equal(fastOptimizer(fused), fused, "already fused: kept");
  const layers = [{ units: 4, recurrentDropout: 0, dropoutAfter: 0 }];
  const rms = classicOptimizer(tinyClassicConfig(layers, { optimizer: "rmsprop" }));
  assert.equal(fastOptimizer(rms), rms);
  assert.equal(rms.getClassName(), "RMSProp");
  const classicAdam = fastOptimizer(
    classicOptimizer(tinyClassicConfig(layers, { optimizer: "adam", learningRate: 0.003 })),
  );
  assert.equal(classicAdam.constructor, FusedAdam);
  [fused, rms, classicAdam].forEach((o) => o.dispose());
});
