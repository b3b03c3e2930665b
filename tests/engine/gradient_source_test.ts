import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { classicLossSpec } from "../../lib/classic/run.ts";
import { defaultClassicConfig } from "../../lib/config/config.ts";
import { createGradientSource } from "../../lib/engine/gradient_source.ts";
import type { ParallelLoss } from "../../lib/engine/workers.ts";

await tf.setBackend("cpu");

function denseModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 3,
        inputShape: [2],
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
    ],
  });
}

/** Mean squared error, plus the mean output as a logged value. */
const loss: ParallelLoss = (ys, [out]) => ({
  loss: tf.losses.meanSquaredError(ys as tf.Tensor, out) as tf.Scalar,
  mean_output: tf.mean(out) as tf.Scalar,
});

Deno.test("createGradientSource() on one thread gives the losses and the gradient of tf.variableGrads", async () => {
  const model = denseModel();
  const xs = tf.tensor2d([[1, 2], [3, -1], [0, 0.5]]);
  const ys = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  const want = tf.variableGrads(() => loss(ys, [model.apply(xs) as tf.Tensor]).loss);
  const source = await createGradientSource(model, { loss });
  const before = tf.memory().numTensors;
  const { grads, parts } = await source.gradients(xs, ys);
  assert.deepEqual(Object.keys(grads).sort(), Object.keys(want.grads).sort());
  for (const [name, g] of Object.entries(want.grads)) {
    assert.deepEqual(grads[name].dataSync(), g.dataSync(), name);
  }
  assert.deepEqual(Object.keys(parts), ["mean_output", "loss"]);
  assert.equal(parts.loss.dataSync()[0], want.value.dataSync()[0]);
  const held = source.losses(xs, ys);
  assert.equal(held.loss.dataSync()[0], want.value.dataSync()[0]);
  tf.dispose([grads, parts, held]);
  assert.equal(tf.memory().numTensors, before);
  source.close();
  tf.dispose([xs, ys, want.value, want.grads]);
  model.dispose();
});

Deno.test("createGradientSource() with workers: 2 needs parallel.loss", async () => {
  const model = denseModel();
  try {
    await assert.rejects(
      createGradientSource(model, { loss, workers: 2 }),
      /workers: 2 needs parallel\.loss/,
    );
  } finally {
    model.dispose();
  }
});

Deno.test("createGradientSource() with workers: 2 refuses a batch of a model with two inputs", async () => {
  const a = tf.input({ shape: [2] });
  const b = tf.input({ shape: [2] });
  const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3 }).apply(joined) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [a, b], outputs: out });
  const source = await createGradientSource(model, {
    loss,
    workers: 2,
    parallel: { loss: classicLossSpec(defaultClassicConfig()) },
  });
  const xs = [tf.ones([2, 2]), tf.ones([2, 2])];
  const ys = tf.tensor1d([0, 2], "int32");
  try {
    await assert.rejects(source.gradients(xs, ys), /one input; this model has 2/);
  } finally {
    source.close();
    tf.dispose([...xs, ys]);
    model.dispose();
  }
});
