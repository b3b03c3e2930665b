import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { resolveTutorialConfig } from "../../lib/config/config.ts";
import { noteWindowInputs } from "../../lib/tutorial/encode.ts";
import { buildTutorialModel, tutorialLoss } from "../../lib/tutorial/model.ts";
import { tutorialHeads } from "../../lib/tutorial/run.ts";
import { fastModelOptions } from "../../lib/engine/fast_parts.ts";
import {
  denseHeadsBatchLoss,
  denseHeadsBatchLossSpec,
  type HeadLoss,
} from "../../lib/engine/heads_batch_loss.ts";
import { assertClose } from "../_helpers.ts";

await tf.setBackend("cpu");

/** A small fused tutorial model and one batch for it. */
function smallBatch(input: "scaled" | "embedding" = "scaled", dropout = 0) {
  const config = resolveTutorialConfig({
    lstm: "fused",
    seed: 3,
    model: { sequenceLength: 6, lstmUnits: 8, input, embeddingSize: 4, dropout },
  });
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
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
  Deno.test(`denseHeadsBatchLoss() over tutorialHeads gives tutorialLoss's values and gradients on the model's outputs (${input}, dropout ${dropout})`, () => {
    const { config, model, xs, ys } = smallBatch(input, dropout);
    const lossWeights = { pitch: 0.05, step: 1, duration: 2 };
    const weighted = { ...config, model: { ...config.model, lossWeights } };
    const plain = tutorialLoss(weighted);
    const fused = denseHeadsBatchLoss(model, tutorialHeads(weighted));
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    for (const training of [true, false]) {
      const expected = plain(ys, model.apply(xs, { training }) as tf.Tensor[]);
      const actual = fused(xs, ys, training);
      assert.deepEqual(Object.keys(actual), Object.keys(expected), "the same parts, in order");
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

Deno.test("denseHeadsBatchLoss() refuses a class id outside the head's width, naming the head", () => {
  const { config, model, xs, ys } = smallBatch();
  const loss = denseHeadsBatchLoss(model, tutorialHeads(config));
  const bad = { ...ys, pitch: tf.tensor1d([60, 128, 1, 2, 3], "int32") };
  assert.throws(() => loss(xs, bad, false), /expected pitch labels 0\.\.127, got 128 at row 1/);
  const { pitch: _, ...missing } = ys;
  assert.throws(() => loss(xs, missing, false), /expected a target "pitch", got none/);
  model.dispose();
});

Deno.test("denseHeadsBatchLoss() refuses a head that is not a linear Dense layer, or an unknown loss kind", () => {
  const { model } = smallBatch();
  assert.throws(
    () =>
      denseHeadsBatchLoss(model, [{ name: "lstm", kind: "mseWithPositivePressure", weight: 1 }]),
    /expected head "lstm" to be a linear Dense layer, got FusedLSTM/,
  );
  const unknown = { name: "step", kind: "hinge", weight: 1 } as unknown as HeadLoss;
  assert.throws(() => denseHeadsBatchLoss(model, [unknown]), /head "step".*got "hinge"/);
  model.dispose();
});

Deno.test("denseHeadsBatchLossSpec() names denseHeadsBatchLoss of its module with the heads", async () => {
  const heads = tutorialHeads(resolveTutorialConfig());
  const spec = denseHeadsBatchLossSpec(heads);
  const module = await import(spec.module);
  assert.equal(module[spec.name], denseHeadsBatchLoss);
  assert.deepEqual(spec.args, [heads]);
  assert.deepEqual(JSON.parse(JSON.stringify(spec.args)), [heads], "plain JSON for Workers");
});
