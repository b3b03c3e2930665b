import assert from "node:assert/strict";
import { buildFastTutorialModel } from "../../lib/tutorial/fast_model.ts";
import * as tf from "@tensorflow/tfjs";
import { resolveTutorialConfig } from "../../lib/config/config.ts";
import { noteWindowInputs } from "../../lib/tutorial/encode.ts";
import {
  mseWithPositivePressure,
  sparseCategoricalCrossentropyFromLogits,
  tutorialLoss,
} from "../../lib/tutorial/model.ts";
import {
  mseWithPositivePressureTyped,
  sparseCrossentropyFromLogitsTyped,
  tutorialBatchLoss,
} from "../../lib/tutorial/fast_loss.ts";
import { assertClose } from "../_helpers.ts";

await tf.setBackend("cpu");

/** The value and the gradient with respect to `pred` of a tensor loss, as typed arrays. */
function tensorLossAndGrad(
  loss: (target: tf.Tensor, pred: tf.Tensor) => tf.Scalar,
  target: tf.Tensor,
  pred: tf.Tensor,
): { value: number; grad: Float32Array } {
  const { value, grads } = tf.tidy(() => {
    const v = tf.variable(pred);
    const out = tf.variableGrads(() => loss(target, v), [v]);
    return { value: tf.keep(out.value), grads: tf.keep(out.grads[v.name]) };
  });
  return { value: value.dataSync()[0], grad: grads.dataSync() as Float32Array };
}

Deno.test("mseWithPositivePressureTyped() gives the tensor loss's value and gradient", () => {
  const pred = Float32Array.of(0.5, -0.2, 2, -1.5, 0.25);
  const target = Float32Array.of(1, 0, 2, 0.5, 0.1);
  const grad = new Float32Array(5);
  const value = mseWithPositivePressureTyped({ pred, target, grad, rows: 5, cols: 1 });
  const expected = tensorLossAndGrad(
    mseWithPositivePressure,
    tf.tensor2d(target, [5, 1]),
    tf.tensor2d(pred, [5, 1]),
  );
  assertClose(value, expected.value, 1e-6, "value");
  grad.forEach((g, i) => assertClose(g, expected.grad[i], 1e-6, `grad[${i}]`));
});

Deno.test("sparseCrossentropyFromLogitsTyped() gives the tensor loss's value and gradient", () => {
  const rows = 4;
  const classes = 6;
  const logits = Float32Array.from({ length: rows * classes }, (_, i) => Math.sin(i * 1.7) * 3);
  const labels = Float32Array.of(0, 5, 2, 2);
  const grad = new Float32Array(rows * classes);
  const value = sparseCrossentropyFromLogitsTyped({
    pred: logits,
    target: labels,
    grad,
    rows,
    cols: classes,
  });
  const expected = tensorLossAndGrad(
    sparseCategoricalCrossentropyFromLogits,
    tf.tensor1d(labels, "int32"),
    tf.tensor2d(logits, [rows, classes]),
  );
  assertClose(value, expected.value, 1e-5, "value");
  grad.forEach((g, i) => assertClose(g, expected.grad[i], 1e-6, `grad[${i}]`));
});

/** A small fused tutorial model and one batch for it. */
function smallBatch(input: "scaled" | "embedding" = "scaled", dropout = 0) {
  const config = resolveTutorialConfig({
    lstm: "fused",
    seed: 3,
    model: { sequenceLength: 6, lstmUnits: 8, input, embeddingSize: 4, dropout },
  });
  const model = buildFastTutorialModel(config);
  const batch = 5;
  const raw = Float32Array.from({ length: batch * 6 * 3 }, (_, i) => (Math.cos(i) + 1) / 2);
  // Raw pitches for the embedding: 0..127.
  for (let i = 0; i < raw.length; i += 3) raw[i] = Math.floor(raw[i] * 127.99);
  const xs = noteWindowInputs(raw, [batch, 6], { input });
  const ys = {
    pitch: tf.tensor1d([60, 0, 127, 64, 60], "int32"),
    step: tf.tensor2d([[0.5], [0], [0.25], [1], [0.1]]),
    duration: tf.tensor2d([[0.5], [0.2], [0.25], [2], [0.05]]),
  };
  return { config, model, xs, ys };
}

for (const [input, dropout] of [["scaled", 0], ["embedding", 0], ["embedding", 0.5]] as const) {
  Deno.test(`tutorialBatchLoss() gives tutorialLoss's values and gradients on the model's outputs (${input}, dropout ${dropout})`, () => {
    const { config, model, xs, ys } = smallBatch(input, dropout);
    const lossWeights = { pitch: 0.05, step: 1, duration: 2 };
    const weighted = { ...config, model: { ...config.model, lossWeights } };
    const plain = tutorialLoss(weighted);
    const fused = tutorialBatchLoss(model, weighted);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    for (const training of [true, false]) {
      const expected = plain(ys, model.apply(xs, { training }) as tf.Tensor[]);
      const actual = fused(xs, ys, training);
      for (const name of Object.keys(expected)) {
        assertClose(
          actual[name].dataSync()[0],
          expected[name].dataSync()[0],
          1e-5,
          `${name} (training ${training})`,
        );
      }
    }
    const want = tf.variableGrads(
      () => plain(ys, model.apply(xs, { training: true }) as tf.Tensor[]).loss,
      vars,
    );
    const got = tf.variableGrads(() => fused(xs, ys, true).loss, vars);
    for (const v of vars) {
      const a = got.grads[v.name].dataSync();
      const b = want.grads[v.name].dataSync();
      const scale = Math.max(1e-12, ...Array.from(b, Math.abs));
      const error = Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]))) / scale;
      assert.ok(error < 1e-4, `${v.name}: relative error ${error}`);
    }
    assert.equal(config.lstm, "fused");
    assert.equal(vars.length, input === "embedding" ? 10 : 9, "every weight has a gradient");
    model.dispose();
  });
}

Deno.test("tutorialBatchLoss() refuses a pitch label outside 0..127, naming it", () => {
  const { config, model, xs, ys } = smallBatch();
  const loss = tutorialBatchLoss(model, config);
  const bad = { ...ys, pitch: tf.tensor1d([60, 128, 1, 2, 3], "int32") };
  assert.throws(() => loss(xs, bad, false), /expected pitch labels 0\.\.127, got 128 at row 1/);
  model.dispose();
});
