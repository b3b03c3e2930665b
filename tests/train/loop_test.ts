import assert from "node:assert/strict";
import { fastModelOptions, fastOptimizer } from "../../lib/engine/fast_parts.ts";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { resolveTutorialConfig } from "../../lib/config/config.ts";
import { tutorialDataset, tutorialWindows } from "../../lib/tutorial/windows.ts";
import { buildTutorialModel, tutorialLoss, tutorialOptimizer } from "../../lib/tutorial/model.ts";
import { loadModel } from "../../lib/io/model_files.ts";
import {
  type BatchLossFunction,
  type EpochInfo,
  type LossFunction,
  trainModel,
} from "../../lib/train/loop.ts";
import { patternNotes, tempDir } from "../_helpers.ts";

await tf.setBackend("cpu");

const config = resolveTutorialConfig({
  seed: 7,
  // The source tutorial's one-input model: the loop sees one input tensor per batch.
  model: { sequenceLength: 8, batchSize: 32, lstmUnits: 32, learningRate: 0.01, input: "scaled" },
});
const windowing = {
  sequenceLength: config.model.sequenceLength,
  batchSize: config.model.batchSize,
};
const files = [{ path: "pattern.mid", notes: patternNotes(200) }];
const index = tutorialWindows(files, windowing);

Deno.test("trainModel() halves the loss on a learnable repeating sequence", async () => {
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
  const result = await trainModel(model, tutorialDataset(index, { ...windowing, seed: 1 }), {
    loss: tutorialLoss(config),
    optimizer: fastOptimizer(tutorialOptimizer(config)),
    epochs: 12,
  });
  const loss = result.history.loss;
  assert.equal(loss.length, 12);
  assert.ok(loss.at(-1)! < loss[0] / 2, `loss went from ${loss[0]} to ${loss.at(-1)}`);
  assert.deepEqual(result.history.epoch, Array.from({ length: 12 }, (_, i) => i + 1));
  for (const k of ["pitch_loss", "step_loss", "duration_loss"]) {
    assert.equal(result.history[k].length, 12);
  }
  model.dispose();
});

Deno.test("trainModel() writes best-only checkpoints that load with identical predictions", async () => {
  const dir = tempDir();
  try {
    const model = buildTutorialModel(config, fastModelOptions(config.lstm));
    const seen: EpochInfo[] = [];
    const x = tf.randomNormal([4, 8, 3], 0, 1, "float32", 3);
    const predict = (m: tf.LayersModel) =>
      (m.predict(x) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
    let atCheckpoint: number[][] = [];
    const result = await trainModel(model, tutorialDataset(index, { ...windowing, seed: 1 }), {
      loss: tutorialLoss(config),
      optimizer: fastOptimizer(tutorialOptimizer(config)),
      epochs: 3,
      checkpoint: { dir, template: "ckpt-{epoch:02d}-{loss:.4f}", metadata: { note: "test" } },
      onEpochEnd: (info) => {
        seen.push(info);
        if (info.checkpoint) atCheckpoint = predict(model);
      },
    });
    assert.equal(seen.length, 3);
    const written = seen.filter((s) => s.checkpoint).map((s) => s.checkpoint!);
    assert.ok(written.length >= 1);
    assert.equal(result.lastCheckpoint, written.at(-1));
    for (const w of written) assert.match(w, /ckpt-0\d-\d+\.\d{4}$/);
    const latest = JSON.parse(Deno.readTextFileSync(join(dir, "latest.json")));
    assert.equal(join(dir, latest.checkpoint), result.lastCheckpoint);
    const loaded = await loadModel(result.lastCheckpoint!, { lstm: config.lstm });
    assert.deepEqual(predict(loaded), atCheckpoint);
    loaded.dispose();
    model.dispose();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("trainModel() stops early after `patience` epochs without improvement and restores the best", async () => {
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
  // A learning rate of 0 never improves after the first epoch.
  const result = await trainModel(
    model,
    tutorialDataset(index, { ...windowing, seed: 1, maxBatches: 2 }),
    {
      loss: tutorialLoss(config),
      optimizer: tf.train.sgd(0),
      epochs: 20,
      earlyStopping: { patience: 2 },
    },
  );
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.history.loss.length, result.bestEpoch + 3);
  model.dispose();
});

Deno.test("trainModel() logs validation losses as val_* and names an unknown monitor", async () => {
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
  const val = tutorialWindows(
    [{ path: "v.mid", notes: patternNotes(40, [50, 52, 53]) }],
    windowing,
  );
  const result = await trainModel(
    model,
    tutorialDataset(index, { ...windowing, maxBatches: 2 }),
    {
      loss: tutorialLoss(config),
      optimizer: fastOptimizer(tutorialOptimizer(config)),
      epochs: 1,
      validation: tutorialDataset(val, { ...windowing, shuffleBuffer: 0 }),
      monitor: "val_loss",
    },
  );
  for (const k of ["val_loss", "val_pitch_loss", "val_step_loss", "val_duration_loss"]) {
    assert.equal(result.history[k].length, 1, k);
  }
  const h = result.history;
  const weighted = 0.05 * h.val_pitch_loss[0] + h.val_step_loss[0] + h.val_duration_loss[0];
  assert.ok(
    Math.abs(weighted - h.val_loss[0]) < 1e-4,
    "val_loss is the weighted sum of the val head losses",
  );
  await assert.rejects(
    trainModel(model, tutorialDataset(index, { ...windowing, maxBatches: 1 }), {
      loss: tutorialLoss(config),
      optimizer: fastOptimizer(tutorialOptimizer(config)),
      epochs: 1,
      monitor: "accuracy",
    }),
    /monitor: "accuracy" is not logged/,
  );
  model.dispose();
});

Deno.test("trainModel() does not leak tensors across epochs", async () => {
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
  const data = tutorialDataset(index, { ...windowing, maxBatches: 3 });
  // One optimiser for both calls: its slots are made once, in the first.
  const optimizer = fastOptimizer(tutorialOptimizer(config));
  await trainModel(model, data, {
    loss: tutorialLoss(config),
    optimizer,
    epochs: 1,
  });
  const before = tf.memory().numTensors;
  await trainModel(model, data, {
    loss: tutorialLoss(config),
    optimizer,
    epochs: 3,
  });
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

/** A two-layer dense model with seeded weights, and batches of `y = sum(x) / 2`. */
function denseSetup() {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 4,
        inputShape: [3],
        activation: "tanh",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  const batches = (count: number, offset = 0) =>
    tf.data.generator(function* () {
      for (let b = 0; b < count; b++) {
        const xs = tf.tensor2d(
          Array.from({ length: 24 }, (_, i) => Math.sin((b + offset) * 24 + i)),
          [8, 3],
        );
        yield { xs, ys: tf.tidy(() => xs.sum(1, true).mul(0.5)) };
      }
    }) as unknown as tf.data.Dataset<tf.TensorContainer>;
  const mse: LossFunction = (ys, outputs) => ({
    loss: tf.losses.meanSquaredError(ys as tf.Tensor, outputs[0]) as tf.Scalar,
  });
  return { model, batches, mse };
}

Deno.test("trainModel() takes the steps optimizer.minimize takes over the same batches", async () => {
  const trained = denseSetup();
  await trainModel(trained.model, trained.batches(4), {
    loss: trained.mse,
    optimizer: tf.train.adam(0.01),
    epochs: 2,
  });
  const byHand = denseSetup();
  const optimizer = tf.train.adam(0.01);
  for (let epoch = 0; epoch < 2; epoch++) {
    for (const batch of await byHand.batches(4).toArray()) {
      const { xs, ys } = batch as { xs: tf.Tensor; ys: tf.Tensor };
      optimizer.minimize(() => byHand.mse(ys, [byHand.model.apply(xs) as tf.Tensor]).loss);
      tf.dispose([xs, ys]);
    }
  }
  const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(weights(trained.model), weights(byHand.model));
  trained.model.dispose();
  byHand.model.dispose();
});

Deno.test("trainModel() computes the training and held-out losses with batchLoss when given", async () => {
  const calls = { training: 0, heldOut: 0 };
  const run = async (withBatchLoss: boolean) => {
    const { model, batches, mse } = denseSetup();
    const batchLoss: BatchLossFunction = (xs, ys, training) => {
      calls[training ? "training" : "heldOut"]++;
      return mse(ys, [model.apply(xs, { training }) as tf.Tensor]);
    };
    const result = await trainModel(model, batches(3), {
      loss: mse,
      batchLoss: withBatchLoss ? batchLoss : undefined,
      optimizer: tf.train.adam(0.01),
      epochs: 2,
      validation: batches(2, 10),
    });
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return { history: result.history, weights };
  };
  const plain = await run(false);
  assert.deepEqual(calls, { training: 0, heldOut: 0 });
  const fused = await run(true);
  assert.deepEqual(calls, { training: 6, heldOut: 4 });
  assert.deepEqual(fused, plain);
});
