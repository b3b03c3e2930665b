import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { resolveTutorialConfig } from "../../lib/config/config.ts";
import { buildTutorialModel, tutorialLoss } from "../../lib/tutorial/model.ts";
import {
  buildFastTutorialModel,
  fastTutorialOptimizer,
  tutorialLossSpec,
} from "../../lib/tutorial/fast_model.ts";
import { tutorialBatchLoss } from "../../lib/tutorial/fast_loss.ts";
import { FusedAdam } from "../../lib/engine/fused_adam.ts";
import { lstmFactory } from "../../lib/engine/fused_lstm.ts";
import { orthogonalMatrix } from "../../lib/engine/init.ts";

await tf.setBackend("cpu");

Deno.test("buildFastTutorialModel() is the lesson's model with the recurrent kernel of orthogonalMatrix(seed + 1)", () => {
  const config = resolveTutorialConfig({
    seed: 7,
    lstm: "layers",
    model: { sequenceLength: 4, lstmUnits: 8, input: "scaled" },
  });
  const fast = buildFastTutorialModel(config);
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

Deno.test("buildFastTutorialModel() makes the LSTM that config.lstm names unless told otherwise", () => {
  const config = resolveTutorialConfig({
    lstm: "fused",
    model: { sequenceLength: 4, lstmUnits: 4, input: "scaled" },
  });
  const fused = buildFastTutorialModel(config);
  const layers = buildFastTutorialModel(config, { lstmLayer: lstmFactory("layers") });
  try {
    assert.notEqual(
      fused.getLayer("lstm").getClassName(),
      layers.getLayer("lstm").getClassName(),
    );
    assert.equal(layers.getLayer("lstm").getClassName(), "LSTM");
    fused.getWeights().forEach((w, i) =>
      assert.deepEqual(w.dataSync(), layers.getWeights()[i].dataSync(), `weight ${i}`)
    );
  } finally {
    fused.dispose();
    layers.dispose();
  }
});

Deno.test("tutorialLossSpec() names tutorialLoss of model.ts and tutorialBatchLoss, with the config", async () => {
  const config = resolveTutorialConfig({
    model: { lossWeights: { pitch: 1, step: 2, duration: 3 } },
  });
  const spec = tutorialLossSpec(config);
  const module = await import(spec.module);
  assert.equal(module[spec.name], tutorialLoss);
  assert.deepEqual(spec.args, [config]);
  const fast = await import(spec.batchLoss!.module);
  assert.equal(fast[spec.batchLoss!.name], tutorialBatchLoss);
});

Deno.test("fastTutorialOptimizer() updates weights as tf.train.adam does, step after step", () => {
  const run = (optimizer: tf.Optimizer) => {
    const config = resolveTutorialConfig({
      seed: 3,
      model: { sequenceLength: 4, lstmUnits: 4, input: "scaled" },
    });
    const model = buildFastTutorialModel(config);
    const xs = tf.tensor3d(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i)), [2, 4, 3]);
    const ys = {
      pitch: tf.tensor1d([60, 3], "int32"),
      step: tf.tensor2d([[0.5], [0]]),
      duration: tf.tensor2d([[0.25], [1]]),
    };
    const loss = tutorialLoss(config);
    for (let i = 0; i < 5; i++) {
      optimizer.minimize(() => loss(ys, model.apply(xs, { training: true }) as tf.Tensor[]).loss);
    }
    const values = model.getWeights().map((w) => w.dataSync().slice());
    model.dispose();
    return values;
  };
  const config = resolveTutorialConfig({ model: { learningRate: 0.01 } });
  const fused = fastTutorialOptimizer(config);
  assert.ok(fused instanceof FusedAdam);
  assert.equal(fused.getClassName(), "Adam");
  const got = run(fused);
  const want = run(tf.train.adam(0.01));
  got.forEach((w, i) => {
    const scale = Math.max(1e-12, ...Array.from(want[i], Math.abs));
    const error = Math.max(...Array.from(w, (x, k) => Math.abs(x - want[i][k]))) / scale;
    assert.ok(error < 1e-5, `weight ${i}: relative error ${error}`);
  });
});
