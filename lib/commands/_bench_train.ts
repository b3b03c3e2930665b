/**
 * The benchmark's training workloads (`bench.ts`): the tutorial model (LSTM(128), windows of
 * 25, batch 64) and the classic model (preset `"classic"`: 3 x LSTM(512), windows of 100,
 * 358 random labels), timed per batch on random inputs after warm-up.
 *
 * @module
 */
import {
  type ChildResult,
  median,
  productsNote,
  type TrainCase,
  useBackend,
} from "./_bench_common.ts";

/**
 * Times training batches of one model on one backend (run in a child of its own).
 *
 * @returns one training-throughput entry
 */
export async function runTrain(c: TrainCase): Promise<ChildResult["entries"]> {
  const tf = await import("@tensorflow/tfjs");
  const backendReason = await useBackend(c.backend);
  const { mulberry32 } = await import("../random/random.ts");
  const { createParallelGradients, outputsLoss } = await import("../engine/workers.ts");
  const random = mulberry32(1234);
  let model: import("@tensorflow/tfjs").LayersModel;
  /** The loss of one training step on the batch, as training computes it. */
  let stepLoss: () => import("@tensorflow/tfjs").Scalar;
  let xs: import("@tensorflow/tfjs").Tensor;
  let what: string;
  let lossSpec: import("../engine/workers.ts").ParallelLossSpec;
  let ysAll: import("@tensorflow/tfjs").TensorContainer;
  let optimizer: import("@tensorflow/tfjs").Optimizer;
  if (c.model === "tutorial") {
    const { resolveTutorialConfig } = await import("../config/config.ts");
    const { buildTutorialModel, tutorialLoss, tutorialOptimizer } = await import(
      "../tutorial/model.ts"
    );
    const { tutorialHeads, tutorialLossSpec } = await import("../tutorial/run.ts");
    const { fastModelOptions, fastOptimizer } = await import("../engine/fast_parts.ts");
    const { denseHeadsBatchLoss } = await import("../engine/heads_batch_loss.ts");
    // The source tutorial's model, as the PyTorch rows build it (one number per pitch).
    const config = resolveTutorialConfig({ lstm: c.impl, seed: 42, model: { input: "scaled" } });
    const seq = config.model.sequenceLength;
    model = buildTutorialModel(config, fastModelOptions(config.lstm));
    optimizer = fastOptimizer(tutorialOptimizer(config));
    const x = new Float32Array(c.batch * seq * 3);
    for (let i = 0; i < x.length; i += 3) {
      x[i] = Math.floor(random() * 128) / 128;
      x[i + 1] = random() * 0.5;
      x[i + 2] = random();
    }
    xs = tf.tensor3d(x, [c.batch, seq, 3]);
    const ys = {
      pitch: tf.tensor1d(
        Array.from({ length: c.batch }, () => Math.floor(random() * 128)),
        "int32",
      ),
      step: tf.tensor2d(Array.from({ length: c.batch }, () => random() * 0.5), [c.batch, 1]),
      duration: tf.tensor2d(Array.from({ length: c.batch }, () => random()), [c.batch, 1]),
    };
    // As training runs it (tutorial/run.ts): the fused engine runs the heads as one op too.
    const batchLoss = c.impl === "fused"
      ? denseHeadsBatchLoss(model, tutorialHeads(config))
      : outputsLoss(model, tutorialLoss(config));
    stepLoss = () => batchLoss(xs, ys, true).loss;
    lossSpec = tutorialLossSpec(config);
    ysAll = ys;
    what = `LSTM(${config.model.lstmUnits}), seq ${seq}`;
  } else {
    const { buildClassicModel, classicOptimizer, sparseCategoricalCrossentropy } = await import(
      "../classic/model.ts"
    );
    const { classicLossSpec } = await import("../classic/run.ts");
    const { fastModelOptions, fastOptimizer } = await import("../engine/fast_parts.ts");
    const { resolveClassicConfig } = await import("../config/config.ts");
    const vocab = 358;
    const config = resolveClassicConfig({
      lstm: c.impl,
      seed: 42,
      model: { preset: "lstm3x512-rmsprop" },
    });
    model = buildClassicModel(config, { vocabSize: vocab, ...fastModelOptions(config.lstm) });
    optimizer = fastOptimizer(classicOptimizer(config));
    const seq = config.model.sequenceLength;
    xs = tf.tensor3d(
      Array.from({ length: c.batch * seq }, () => Math.floor(random() * vocab) / vocab),
      [c.batch, seq, 1],
    );
    const ys = tf.tensor1d(
      Array.from({ length: c.batch }, () => Math.floor(random() * vocab)),
      "int32",
    );
    const probs = () => model.apply(xs, { training: true }) as import("@tensorflow/tfjs").Tensor;
    stepLoss = () => sparseCategoricalCrossentropy(ys, probs());
    lossSpec = classicLossSpec(config);
    ysAll = ys;
    what = `3 x LSTM(512), seq ${seq}, vocab ${vocab}, ${model.countParams()} parameters`;
  }
  const workers = c.workers ?? 1;
  const parallel = workers > 1
    ? await createParallelGradients(model, { workers, loss: lossSpec })
    : null;
  const parallelStep = async () => {
    const parts = await parallel!.step(optimizer, xs, ysAll);
    parts.loss.dataSync();
    tf.dispose(Object.values(parts));
  };
  const singleStep = () => {
    const cost = optimizer.minimize(stepLoss, true)!;
    cost.dataSync();
    cost.dispose();
  };
  const step = () => parallel ? parallelStep() : singleStep();
  const warmupSec: number[] = [];
  for (let i = 0; i < c.warmup; i++) {
    const t0 = performance.now();
    await step();
    warmupSec.push((performance.now() - t0) / 1000);
  }
  const timed: number[] = [];
  const start = performance.now();
  while (timed.length < c.maxTimed) {
    const t0 = performance.now();
    await step();
    timed.push((performance.now() - t0) / 1000);
    const spent = (performance.now() - start) / 1000;
    if (spent + median(timed) > c.budgetSec) break;
  }
  parallel?.close();
  const perBatch = median(timed);
  return [{
    workload: `train ${c.model}`,
    backend: c.backend,
    implementation: workers > 1 ? `${c.impl}, ${workers} workers` : c.impl,
    figure: "training throughput",
    unit: "samples/s",
    value: c.batch / perBatch,
    status: "ok",
    notes: `${what}; batch ${c.batch}; median of ${timed.length} timed batch(es) ` +
      `(${perBatch.toFixed(3)} s each) after ${c.warmup} warm-up` +
      (warmupSec.length ? ` (first ${warmupSec[0].toFixed(2)} s)` : "") +
      productsNote(backendReason),
  }];
}
