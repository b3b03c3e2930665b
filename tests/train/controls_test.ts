import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type DeepPartial, resolveConfig, type RunConfig } from "../../lib/config/config.ts";
import { type BatchInfo, formatBatchProgress } from "../../lib/train/controls.ts";
import { type LossFunction, trainModel, type TrainOptions } from "../../lib/train/loop.ts";
import { readTrainState } from "../../lib/train/resume.ts";
import { loadRun, trainRun, type TrainRunOptions } from "../../lib/workflow/workflow.ts";
import { selectBackend } from "../../lib/engine/backend.ts";
import { tempDir } from "../_helpers.ts";
import { tinyClassic, tinyTutorial, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");
await selectBackend({ backend: "cpu" });

// ---------------------------------------------------------------------------------------
// trainModel on a small dense model: y = a·x over 6 batches of 8 samples per epoch.

const BATCHES = 6;

function denseModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({
    units: 4,
    inputShape: [3],
    activation: "tanh",
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
  }));
  model.add(tf.layers.dense({
    units: 1,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
  }));
  return model;
}

const mse: LossFunction = (ys, outputs) => ({
  loss: tf.losses.meanSquaredError(ys as tf.Tensor, outputs[0]) as tf.Scalar,
});

/** Batches made on demand and prefetched, as the families' pipelines are. */
function prefetched(): tf.data.Dataset<tf.TensorContainer> {
  function* batches() {
    for (let b = 0; b < BATCHES; b++) {
      const xs = tf.tensor2d(
        Array.from({ length: 24 }, (_, i) => Math.sin(b * 24 + i)),
        [8, 3],
      );
      const ys = tf.tidy(() => xs.sum(1, true).mul(0.5));
      yield { xs, ys } as tf.TensorContainer;
    }
  }
  return tf.data.generator(batches).prefetch(2);
}

/** The same batches from tensors held in memory (a dataset of known size, no prefetch). */
function inMemory(): { dataset: tf.data.Dataset<tf.TensorContainer>; held: tf.Tensor[] } {
  const xs = tf.tensor2d(
    Array.from({ length: BATCHES * 24 }, (_, i) => Math.sin(i)),
    [BATCHES * 8, 3],
  );
  const ys = tf.tidy(() => xs.sum(1, true).mul(0.5));
  const dataset = tf.data.zip({
    xs: tf.data.array(tf.unstack(xs)),
    ys: tf.data.array(tf.unstack(ys)),
  })
    .batch(8) as unknown as tf.data.Dataset<tf.TensorContainer>;
  return { dataset, held: [xs, ys] };
}

const weightsOf = (model: tf.LayersModel) =>
  model.getWeights().map((w) => Array.from(w.dataSync()));

async function train(
  model: tf.LayersModel,
  options: Partial<TrainOptions>,
  dataset = prefetched(),
) {
  return await trainModel(model, dataset, {
    loss: mse,
    epochs: 3,
    ...options,
    // A new Adam makes two tensors (its beta powers): only when none is given.
    optimizer: options.optimizer ?? tf.train.adam(0.01),
  });
}

Deno.test("trainModel() stops at the next batch once its signal is aborted, drops the unfinished epoch and puts back its weights", async () => {
  const reference = denseModel();
  await train(reference, { epochs: 1 });
  const model = denseModel();
  const stop = new AbortController();
  const seen: BatchInfo[] = [];
  const result = await train(model, {
    signal: stop.signal,
    onBatchEnd: (info) => {
      seen.push({ ...info });
      if (info.epoch === 1 && info.batch === 2) stop.abort();
    },
  });
  assert.equal(result.stopped, "signal");
  assert.equal(result.discardedBatches, 2);
  assert.deepEqual(result.history.epoch, [1]);
  assert.equal(result.stoppedEarly, false);
  // No batch ran after the abort.
  assert.deepEqual(seen.map((s) => [s.epoch, s.batch]), [
    ...Array.from({ length: BATCHES }, (_, b) => [0, b + 1]),
    [1, 1],
    [1, 2],
  ]);
  assert.deepEqual(weightsOf(model), weightsOf(reference));
  reference.dispose();
  model.dispose();
});

Deno.test("trainModel() reports every batch with the running loss and, once known, the batch count", async () => {
  const model = denseModel();
  const seen: BatchInfo[] = [];
  const result = await train(model, { epochs: 2, onBatchEnd: (info) => void seen.push(info) });
  assert.equal(result.stopped, undefined);
  assert.equal(seen.length, 2 * BATCHES);
  // A generator's size is unknown until the first epoch has counted it.
  assert.deepEqual(seen.map((s) => s.batches), [
    ...Array(BATCHES).fill(undefined),
    ...Array(BATCHES).fill(BATCHES),
  ]);
  assert.deepEqual(seen.map((s) => s.samples).slice(0, 3), [8, 16, 24]);
  const last = seen[BATCHES - 1];
  assert.ok(Math.abs(last.loss - result.history.loss[0]) < 1e-6, "the epoch's mean loss");
  assert.ok(seen.every((s) => s.epochs === 2 && s.seconds >= 0));
  const told = await train(denseModel(), {
    epochs: 1,
    batchesPerEpoch: 99,
    onBatchEnd: (info) => assert.equal(info.batches, 99),
  });
  assert.equal(told.history.epoch.length, 1);
  model.dispose();
});

Deno.test("trainModel() with an aborted signal trains no batch, and a stop leaks no tensor with either kind of dataset", async () => {
  const model = denseModel();
  const optimizer = tf.train.adam(0.01);
  await train(model, { optimizer, epochs: 1 }); // makes the optimiser's slots
  const { dataset, held } = inMemory();
  const before = tf.memory().numTensors;
  const weights = weightsOf(model);
  const stopped = new AbortController();
  stopped.abort();
  const none = await train(model, { optimizer, signal: stopped.signal }, dataset);
  assert.equal(none.stopped, "signal");
  assert.equal(none.discardedBatches, 0);
  assert.deepEqual(none.history.epoch, []);
  assert.deepEqual(weightsOf(model), weights);
  for (const data of [prefetched(), dataset]) {
    const stop = new AbortController();
    const result = await train(model, {
      optimizer,
      signal: stop.signal,
      onBatchEnd: (info) => {
        if (info.epoch === 1 && info.batch === 3) stop.abort();
      },
    }, data);
    assert.equal(result.discardedBatches, 3);
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(held);
  model.dispose();
});

Deno.test("trainModel() stops for a time budget (maxMinutes) as for a signal", async () => {
  const model = denseModel();
  // A budget shorter than any batch: used up before the first or second batch.
  const result = await train(model, { maxMinutes: 1e-9 });
  assert.equal(result.stopped, "time");
  assert.deepEqual(result.history.epoch, []);
  const roomy = await train(model, { maxMinutes: 60, epochs: 2 });
  assert.equal(roomy.stopped, undefined);
  assert.deepEqual(roomy.history.epoch, [1, 2]);
  model.dispose();
});

Deno.test("trainModel() stops at the next batch once the stop file appears, and removes it", async () => {
  const dir = tempDir();
  try {
    const stopFile = join(dir, "STOP");
    // A file left from before is removed at the start and stops nothing.
    Deno.writeTextFileSync(stopFile, "");
    const model = denseModel();
    const whole = await train(model, { stopFile, epochs: 1 });
    assert.equal(whole.stopped, undefined);
    assert.equal(existsSync(stopFile), false);
    const result = await train(model, {
      stopFile,
      onBatchEnd: (info) => {
        if (info.epoch === 0 && info.batch === 4) Deno.writeTextFileSync(stopFile, "");
      },
    });
    assert.equal(result.stopped, "file");
    assert.equal(result.discardedBatches, 4);
    assert.equal(existsSync(stopFile), false);
    model.dispose();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("formatBatchProgress() shows the epoch, a bar, the batch, the running loss and the time left", () => {
  const info = {
    epoch: 1,
    epochs: 10,
    batch: 5,
    batches: 20,
    samples: 320,
    loss: 1.23456,
    seconds: 10,
  };
  assert.equal(
    formatBatchProgress(info, { barWidth: 8 }),
    "epoch  2/10 [##------] batch  5/20  loss 1.2346  10 s, ~30 s left",
  );
  assert.equal(
    formatBatchProgress({ ...info, batches: undefined, seconds: 75 }),
    "epoch  2/10 batch 5  loss 1.2346  1 min 15 s",
  );
  assert.equal(
    formatBatchProgress({ ...info, batch: 20 }, { barWidth: 0 }),
    "epoch  2/10 batch 20/20  loss 1.2346  10 s",
  );
});

// ---------------------------------------------------------------------------------------
// Whole runs: a stopped run continues with resume as if never stopped.

async function runOnce(
  overrides: DeepPartial<RunConfig>,
  runDir: string,
  options: Partial<TrainRunOptions> = {},
) {
  const run = await trainRun(resolveConfig(overrides), { runDir, ...options });
  const weights = weightsOf(run.model);
  run.model.dispose();
  return { result: run.result, history: run.history!, weights };
}

for (const family of ["tutorial", "classic"] as const) {
  Deno.test(`${family}: a run stopped by its signal mid-epoch continues with resume like one never stopped`, async () => {
    const dir = tempDir();
    try {
      const data = writeTinyCorpus(join(dir, "data"));
      const tiny = (family === "tutorial" ? tinyTutorial : tinyClassic)(data, {
        train: { epochs: 3 },
      });
      const whole = await runOnce(tiny, join(dir, "whole"));
      const runDir = join(dir, "stopped");
      const stop = new AbortController();
      const stopped = await runOnce(tiny, runDir, {
        signal: stop.signal,
        onBatchEnd: (info) => {
          assert.equal(info.batches, 4, "batches per epoch (train.maxBatchesPerEpoch)");
          if (info.epoch === 1 && info.batch === 2) stop.abort();
        },
      });
      assert.equal(stopped.result.stopped, "signal");
      assert.equal(stopped.result.discardedBatches, 2);
      assert.deepEqual(stopped.history.epoch, [1]);
      assert.equal((await readTrainState(join(runDir, "resume")))!.epochsDone, 1);
      // The final model of a stopped run is its best epoch so far, and loads.
      const saved = await loadRun(runDir);
      assert.deepEqual(weightsOf(saved.model), stopped.weights);
      saved.model.dispose();

      const resumed = await runOnce(tiny, runDir, { resume: true });
      assert.equal(resumed.result.initialEpoch, 1);
      assert.equal(resumed.result.stopped, undefined);
      assert.deepEqual(resumed.history, whole.history);
      assert.deepEqual(resumed.weights, whole.weights);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("trainRun() stops for train.maxMinutes before the first epoch ends, saves no model, and a resume with another budget trains every epoch", async () => {
  const dir = tempDir();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    const runDir = join(dir, "run");
    const stopped = await runOnce(tinyTutorial(data, { train: { maxMinutes: 1e-9 } }), runDir);
    assert.equal(stopped.result.stopped, "time");
    assert.deepEqual(stopped.history.epoch, []);
    assert.equal(existsSync(join(runDir, "model")), false);
    assert.equal(await readTrainState(join(runDir, "resume")), null);
    // train.maxMinutes may change on resume.
    const resumed = await runOnce(tinyTutorial(data), runDir, { resume: true });
    assert.equal(resumed.result.stopped, undefined);
    assert.deepEqual(resumed.history.epoch, [1, 2, 3]);
    (await loadRun(runDir)).model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
