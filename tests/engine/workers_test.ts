import assert from "node:assert/strict";
import { classicLossSpec } from "../../lib/classic/run.ts";
import { tutorialLossSpec } from "../../lib/tutorial/run.ts";
import { fastModelOptions, fastOptimizer } from "../../lib/engine/fast_parts.ts";
import * as tf from "@tensorflow/tfjs";
import {
  buildClassicModel,
  classicLoss,
  classicOptimizer,
  sparseCategoricalCrossentropy,
} from "../../lib/classic/model.ts";
import { type ClassicModelConfig, classicPresetConfig } from "../../lib/config/classic_presets.ts";
import {
  type ClassicConfig,
  defaultClassicConfig,
  resolveTutorialConfig,
} from "../../lib/config/config.ts";
import { fusedLstm } from "../../lib/engine/fused_lstm.ts";
import {
  dropoutSeeds,
  seedDropoutLayers,
  withSeededDropout,
} from "../../lib/engine/seeded_dropout.ts";
import { tutorialDataset, tutorialWindows } from "../../lib/tutorial/windows.ts";
import { buildTutorialModel, tutorialLoss, tutorialOptimizer } from "../../lib/tutorial/model.ts";
import { createParallelGradients } from "../../lib/engine/workers.ts";
import { trainModel } from "../../lib/train/loop.ts";
import { patternNotes } from "../_helpers.ts";

await tf.setBackend("cpu");

const config = resolveTutorialConfig({
  seed: 7,
  // Workers take models with one input: the source tutorial's.
  model: {
    sequenceLength: 8,
    batchSize: 16,
    lstmUnits: 16,
    learningRate: 0.01,
    input: "scaled",
    dropout: 0,
  },
});
const windowing = {
  sequenceLength: config.model.sequenceLength,
  batchSize: config.model.batchSize,
};
const index = tutorialWindows(
  [{ path: "pattern.mid", notes: patternNotes(120) }],
  windowing,
);

/** The full batch's gradient of `lossOf`, by variable name, as plain arrays. */
/** A classic run config of this model, seed 3, with tfjs's LSTM layers. */
function classicRun(model: ClassicModelConfig): ClassicConfig {
  return { ...defaultClassicConfig(), seed: 3, lstm: "layers", model };
}

function fullGradients(model: tf.LayersModel, lossOf: () => tf.Scalar): Map<string, Float32Array> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(lossOf, vars);
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) out.set(name, g.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

function assertClose(actual: tf.NamedTensorMap, expected: Map<string, Float32Array>): void {
  assert.deepEqual(Object.keys(actual).sort(), [...expected.keys()].sort());
  for (const [name, want] of expected) {
    const got = actual[name].dataSync();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    assert.ok(worst < 1e-5, `${name}: largest difference ${worst}`);
  }
}

Deno.test("gradients() averaged over two slices equal the full batch's gradient (tutorial loss)", async () => {
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
  const batch = 7; // uneven slices: 4 rows here, 3 in the Worker
  const xs = tf.randomUniform([batch, 8, 3], 0, 1, "float32", 11);
  const ys = {
    pitch: tf.tensor1d([1, 5, 9, 60, 64, 67, 127], "int32"),
    step: tf.randomUniform([batch, 1], 0, 0.5, "float32", 12),
    duration: tf.randomUniform([batch, 1], 0, 1, "float32", 13),
  };
  const loss = tutorialLoss(config);
  const expected = fullGradients(model, () => loss(ys, model.apply(xs) as tf.Tensor[]).loss);
  const expectedParts = tf.tidy(() => {
    const p = loss(ys, model.apply(xs) as tf.Tensor[]);
    return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.dataSync()[0]]));
  });
  const parallel = await createParallelGradients(model, {
    workers: 2,
    loss: tutorialLossSpec(config),
  });
  try {
    const before = tf.memory().numTensors;
    const { grads, parts } = await parallel.gradients(xs, ys);
    assertClose(grads, expected);
    for (const [k, v] of Object.entries(expectedParts)) {
      assert.ok(Math.abs(parts[k].dataSync()[0] - v) < 1e-5, `${k}: ${parts[k]} vs ${v}`);
    }
    tf.dispose([...Object.values(grads), ...Object.values(parts)]);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    parallel.close();
    tf.dispose([xs, ...Object.values(ys)]);
    model.dispose();
  }
});

Deno.test("gradients() averaged over two slices equal the full batch's gradient (classic loss)", async () => {
  const vocab = 11;
  const tiny: ClassicModelConfig = {
    ...classicPresetConfig("classic-small"),
    input: "scaled",
    sequenceLength: 6,
    lstm: [{ units: 8, recurrentDropout: 0, dropoutAfter: 0 }],
    batchNormAfterLstm: false,
    dropoutBeforeDense: 0,
    denseUnits: 8,
    batchNormAfterDense: false,
    dropoutAfterDense: 0,
  };
  const run = classicRun(tiny);
  const model = buildClassicModel(run, { vocabSize: vocab, ...fastModelOptions(run.lstm) });
  const xs = tf.randomUniform([6, 6, 1], 0, 1, "float32", 21);
  const ys = tf.tensor1d([0, 3, 5, 7, 9, 10], "int32");
  const expected = fullGradients(
    model,
    () => sparseCategoricalCrossentropy(ys, model.apply(xs) as tf.Tensor),
  );
  const parallel = await createParallelGradients(model, {
    workers: 2,
    loss: classicLossSpec(run),
  });
  try {
    const { grads, parts } = await parallel.gradients(xs, ys);
    assertClose(grads, expected);
    const want = tf.tidy(() => classicLoss(run)(ys, [model.apply(xs) as tf.Tensor]));
    assert.deepEqual(Object.keys(parts).sort(), ["accuracy", "loss"]);
    for (const k of ["accuracy", "loss"]) {
      const [a, b] = [parts[k].dataSync()[0], want[k].dataSync()[0]];
      assert.ok(Math.abs(a - b) < 1e-5, `${k}: ${a} vs ${b}`);
    }
    tf.dispose([...Object.values(grads), ...Object.values(parts), ...Object.values(want)]);
  } finally {
    parallel.close();
    tf.dispose([xs, ys]);
    model.dispose();
  }
});

Deno.test("trainModel() with workers: 2 reduces the loss like one thread, leaks no tensors and ends its Worker", async () => {
  const run = async (workers: number) => {
    const model = buildTutorialModel(config, fastModelOptions(config.lstm));
    const before = tf.memory().numTensors;
    const result = await trainModel(
      model,
      tutorialDataset(index, { ...windowing, seed: 1 }),
      {
        loss: tutorialLoss(config),
        optimizer: fastOptimizer(tutorialOptimizer(config)),
        epochs: 4,
        workers,
        parallel: { loss: tutorialLossSpec(config) },
      },
    );
    const added = tf.memory().numTensors - before; // the optimiser's state, no more
    model.dispose();
    return { loss: result.history.loss, added };
  };
  const { loss: parallel, added } = await run(2);
  const { loss: single, added: addedSingle } = await run(1);
  assert.equal(added, addedSingle);
  assert.ok(parallel.at(-1)! < parallel[0], `loss went from ${parallel[0]} to ${parallel.at(-1)}`);
  // No dropout in this model: the same training up to float rounding.
  for (let i = 0; i < single.length; i++) {
    assert.ok(Math.abs(parallel[i] - single[i]) < 1e-3, `epoch ${i + 1}: ${parallel} vs ${single}`);
  }
});

Deno.test("trainModel() with workers: 2 and dropout repeats its losses for the same seeds", async () => {
  const vocab = 9;
  const tiny: ClassicModelConfig = {
    ...classicPresetConfig("classic-small"),
    input: "scaled",
    sequenceLength: 5,
    lstm: [{ units: 8, recurrentDropout: 0.3, dropoutAfter: 0.3 }],
    batchNormAfterLstm: false,
    dropoutBeforeDense: 0,
    denseUnits: 8,
    batchNormAfterDense: false,
    dropoutAfterDense: 0.3,
  };
  const batches = () =>
    tf.data.generator(function* () {
      for (let b = 0; b < 3; b++) {
        yield {
          xs: tf.randomUniform([8, 5, 1], 0, 1, "float32", 100 + b),
          ys: tf.randomUniform([8], 0, vocab, "int32", 200 + b),
        };
      }
    }) as unknown as tf.data.Dataset<tf.TensorContainer>;
  const run = async (workerSeed: number) => {
    const seeds = dropoutSeeds(5);
    const config = classicRun(tiny);
    const model = buildClassicModel(config, {
      vocabSize: vocab,
      ...fastModelOptions(withSeededDropout(fusedLstm, seeds)),
    });
    seedDropoutLayers(model, seeds);
    const result = await trainModel(model, batches(), {
      loss: classicLoss(config),
      optimizer: fastOptimizer(classicOptimizer(config)),
      epochs: 2,
      workers: 2,
      parallel: { loss: classicLossSpec(config), seed: workerSeed },
      onEpochBegin: (epoch) => seeds.startEpoch(epoch),
    });
    model.dispose();
    return result.history;
  };
  const first = await run(1);
  assert.deepEqual(Object.keys(first).sort(), ["accuracy", "epoch", "loss"]);
  assert.deepEqual(await run(1), first);
  assert.notDeepEqual((await run(2)).loss, first.loss);
});

Deno.test("trainModel() with workers: 2 and no parallel.loss says what is missing", async () => {
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
  try {
    await assert.rejects(
      trainModel(model, tutorialDataset(index, windowing), {
        loss: tutorialLoss(config),
        optimizer: fastOptimizer(tutorialOptimizer(config)),
        epochs: 1,
        workers: 2,
      }),
      /workers: 2 needs parallel\.loss/,
    );
  } finally {
    model.dispose();
  }
});

Deno.test("createParallelGradients() rejects a worker count that is not a positive integer", async () => {
  const model = buildTutorialModel(config, fastModelOptions(config.lstm));
  try {
    await assert.rejects(
      createParallelGradients(model, { workers: 0, loss: tutorialLossSpec(config) }),
      /workers: expected an integer >= 1, got 0/,
    );
  } finally {
    model.dispose();
  }
});
