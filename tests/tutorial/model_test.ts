import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { defaultTutorialConfig, resolveTutorialConfig } from "../../lib/config/config.ts";
import {
  buildTutorialModel,
  mseWithPositivePressure,
  sparseCategoricalCrossentropyFromLogits,
  tutorialLoss,
  tutorialOptimizer,
} from "../../lib/tutorial/model.ts";
import { fastModelOptions } from "../../lib/engine/fast_parts.ts";
import { sparseAccuracy } from "../../lib/train/accuracy.ts";
import { assertClose } from "../_helpers.ts";

await tf.setBackend("cpu");

Deno.test("buildTutorialModel() with scaled input has the tutorial's 84,354 parameters and three named heads", () => {
  // The run's build (fast recurrent fill): tfjs's orthogonal initialiser takes seconds at 128.
  const config = resolveTutorialConfig({ model: { input: "scaled" } });
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
  assert.equal(model.countParams(), 84354);
  assert.deepEqual(model.outputNames, ["pitch", "step", "duration"]);
  model.dispose();
});

Deno.test("buildTutorialModel() with embedding input adds a 128 x 32 table and widens the LSTM's input to 34", () => {
  const config = resolveTutorialConfig();
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
  assert.equal(model.countParams(), 84354 + 128 * 32 + (34 - 3) * 4 * 128);
  assert.deepEqual(model.inputNames, ["pitch_ids", "timing"]);
  assert.equal(model.getLayer("pitch_embedding").getClassName(), "Embedding");
  model.dispose();
});

Deno.test("buildTutorialModel() maps [batch, sequenceLength, 3] to [batch, 128], [batch, 1], [batch, 1]", () => {
  const config = resolveTutorialConfig({
    model: { sequenceLength: 7, lstmUnits: 16, input: "scaled" },
  });
  const model = buildTutorialModel(config);
  const out = model.predict(tf.zeros([5, 7, 3])) as tf.Tensor[];
  assert.deepEqual(out.map((t) => t.shape), [[5, 128], [5, 1], [5, 1]]);
  tf.dispose(out);
  model.dispose();
});

Deno.test("buildTutorialModel() with embedding input maps pitch ids [batch, n] and timing [batch, n, 2] to the three heads", () => {
  const config = resolveTutorialConfig({ model: { sequenceLength: 7, lstmUnits: 16 } });
  const model = buildTutorialModel(config);
  const out = model.predict([tf.fill([5, 7], 60), tf.zeros([5, 7, 2])]) as tf.Tensor[];
  assert.deepEqual(out.map((t) => t.shape), [[5, 128], [5, 1], [5, 1]]);
  tf.dispose(out);
  model.dispose();
});

Deno.test("buildTutorialModel() initialises weights from the config's seed", () => {
  const weights = (seed: number) => {
    const model = buildTutorialModel(resolveTutorialConfig({ seed, model: { lstmUnits: 8 } }));
    const values = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return values;
  };
  assert.deepEqual(weights(1), weights(1));
  assert.notDeepEqual(weights(1), weights(2));
});

Deno.test("buildTutorialModel() starts the recurrent kernel with orthonormal rows (tfjs's orthogonal initialiser)", () => {
  const model = buildTutorialModel(resolveTutorialConfig({ model: { lstmUnits: 16 } }));
  const k = model.getLayer("lstm").getWeights()[1]; // [16, 64]
  const gram = tf.matMul(k, k, false, true).arraySync() as number[][];
  gram.forEach((row, i) =>
    row.forEach((v, j) =>
      assert.ok(Math.abs(v - (i === j ? 1 : 0)) < 1e-4, `gram[${i}][${j}] = ${v}`)
    )
  );
  model.dispose();
});

Deno.test("mseWithPositivePressure() equals the mean of (y - p)^2 + 10 * max(-p, 0)", () => {
  // (1-0.5)^2 = 0.25; (0-(-0.2))^2 + 10*0.2 = 0.04 + 2 = 2.04; (2-2)^2 = 0  -> mean 2.29/3
  const v = mseWithPositivePressure(
    tf.tensor2d([[1], [0], [2]]),
    tf.tensor2d([[0.5], [-0.2], [2]]),
  );
  assertClose(v.dataSync()[0], 2.29 / 3, 1e-6, "loss");
});

Deno.test("mseWithPositivePressure() is plain MSE when all predictions are non-negative", () => {
  const v = mseWithPositivePressure(tf.tensor2d([[1], [3]]), tf.tensor2d([[2], [1]]));
  assertClose(v.dataSync()[0], (1 + 4) / 2, 1e-6, "loss");
});

Deno.test("sparseCategoricalCrossentropyFromLogits() equals -log softmax at the label", () => {
  // logits [0, ln 3] -> softmax [1/4, 3/4]; labels 1 and 0 -> mean(-ln .75, -ln .25)
  const logits = tf.tensor2d([[0, Math.log(3)], [0, Math.log(3)]]);
  const v = sparseCategoricalCrossentropyFromLogits(tf.tensor1d([1, 0], "int32"), logits);
  assertClose(v.dataSync()[0], (-Math.log(0.75) - Math.log(0.25)) / 2, 1e-5, "loss");
});

Deno.test("tutorialLoss() weights the three heads (the default config: pitch 0.05, step 1, duration 1)", () => {
  const ys = {
    pitch: tf.tensor1d([1], "int32"),
    step: tf.tensor2d([[1]]),
    duration: tf.tensor2d([[0]]),
  };
  const outputs = [tf.tensor2d([[0, 0]]), tf.tensor2d([[0]]), tf.tensor2d([[-1]])];
  const config = defaultTutorialConfig();
  const parts = tutorialLoss(config)(ys, outputs);
  const pitch = Math.log(2);
  const step = 1;
  const duration = 1 + 10;
  assertClose(parts.pitch_loss.dataSync()[0], pitch, 1e-5, "pitch_loss");
  assertClose(parts.step_loss.dataSync()[0], step, 1e-6, "step_loss");
  assertClose(parts.duration_loss.dataSync()[0], duration, 1e-6, "duration_loss");
  assertClose(parts.loss.dataSync()[0], 0.05 * pitch + step + duration, 1e-5, "loss");
  const lossWeights = { pitch: 1, step: 0, duration: 0 };
  const custom = tutorialLoss({ ...config, model: { ...config.model, lossWeights } })(ys, outputs);
  assertClose(custom.loss.dataSync()[0], pitch, 1e-5, "custom loss");
  assert.equal(
    Object.keys(parts).sort().join(),
    "duration_loss,loss,pitch_accuracy,pitch_loss,step_loss",
  );
});

Deno.test("sparseAccuracy() is the share of rows whose top score is the label", () => {
  const scores = tf.tensor2d([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]);
  const v = sparseAccuracy(tf.tensor1d([1, 1, 1, 0], "int32"), scores);
  assertClose(v.dataSync()[0], 3 / 4, 1e-6, "accuracy");
});

Deno.test("tutorialOptimizer() is tf.train.adam at model.learningRate", () => {
  const optimizer = tutorialOptimizer(resolveTutorialConfig({ model: { learningRate: 0.01 } }));
  assert.equal(optimizer.constructor, tf.AdamOptimizer);
  assert.equal((optimizer as tf.AdamOptimizer).getConfig().learningRate, 0.01);
  optimizer.dispose();
});
