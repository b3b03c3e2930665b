/**
 * Training: a plain loop over a `tf.data` pipeline. Each epoch runs every batch through one
 * optimiser step, measures the held-out batches, and then calls the two callbacks the sources
 * use (`callbacks.ts`): a best-only checkpoint named by epoch and loss, and early stopping
 * that restores the best weights. Every logged value of every epoch is kept as the history.
 *
 * The loop is written out (rather than `model.fitDataset`) so validation losses of
 * multi-output models are reported correctly, and so checkpoints are written atomically.
 * With `resumeDir` it also saves a resumable state after every epoch (`resume.ts`). A
 * `signal`, a time budget or a stop file stop it at the next batch, dropping the unfinished
 * epoch, and `onBatchEnd` reports progress within an epoch (`controls.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  createParallelGradients,
  outputsLoss,
  type ParallelBatchLoss,
  type ParallelGradients,
  type ParallelLossSpec,
} from "../engine/workers.ts";
import { type CheckpointSettings, saveCheckpoint, stopsEarly } from "./callbacks.ts";
import { freshLoopState, type History, resumeTraining, saveTrainState } from "./resume.ts";
import type { StopReason, TrainControls } from "./controls.ts";
import { releaseIterator, type StopWatch, watchStops } from "./_stop.ts";

/**
 * Losses (and metrics such as accuracy) of one batch by name; `loss` is the total that is
 * minimised, the others are logged.
 */
export type LossParts = { loss: tf.Scalar } & Record<string, tf.Scalar>;

/** Computes a model's losses from a batch's targets and the model's outputs (in order). */
export type LossFunction = (ys: tf.TensorContainer, outputs: tf.Tensor[]) => LossParts;

/**
 * Computes a batch's losses straight from its inputs (`[batch, ...]`) and targets: a fused
 * path in place of `loss(ys, model.apply(xs, {training}))`, giving the same values (the
 * engine's `ParallelBatchLoss`, which Workers make from a loss spec).
 */
export type BatchLossFunction = ParallelBatchLoss;

/** What a callback hears at the end of each epoch. */
export interface EpochInfo {
  /** 0-based epoch number. */
  epoch: number;
  /** Total epochs asked for. */
  epochs: number;
  /** This epoch's logs (`loss`, `pitch_loss`, `val_loss`, ...). */
  logs: Record<string, number>;
  /** Everything so far, including this epoch. */
  history: History;
  /** Seconds this epoch took. */
  seconds: number;
  /** Training samples seen this epoch. */
  samples: number;
  /** Set when this epoch's checkpoint was written. */
  checkpoint?: string;
  /** Set when early stopping ends training after this epoch. */
  stopped?: boolean;
}

/**
 * Options for {@linkcode trainModel}. Besides these, the controls of `controls.ts`: `signal`
 * and `stopFile` stop training at the next batch, `onBatchEnd` hears every batch.
 */
export interface TrainOptions extends TrainControls {
  /** Turns a batch's targets and the model's outputs into named losses. */
  loss: LossFunction;
  /**
   * The same losses computed from the inputs by a faster path (e.g. `tutorialBatchLoss`),
   * used for the training and validation batches (with `workers` > 1, every thread uses
   * `parallel.loss`, whose spec may name such a function too).
   * @default {loss(ys, model.apply(xs, {training}))}
   */
  batchLoss?: BatchLossFunction;
  /**
   * Optimiser (`tutorialOptimizer(config)`, `classicOptimizer(config)`).
   * @default {model.optimizer, for a compiled model}
   */
  optimizer?: tf.Optimizer;
  /**
   * Number of epochs.
   * @default {10}
   */
  epochs?: number;
  /** Batches of held-out data; validation losses are logged as `val_*`. */
  validation?: tf.data.Dataset<tf.TensorContainer>;
  /**
   * Value watched by checkpoints and early stopping.
   * @default {"loss"}
   */
  monitor?: string;
  /**
   * Best-only checkpoints: whenever `monitor` improves the model is saved (atomically) to
   * `<dir>/<template>`, e.g. `ckpt-{epoch:02d}-{loss:.4f}`.
   * @default {no checkpoints}
   */
  checkpoint?: CheckpointSettings;
  /**
   * Early stopping: stop after `patience` epochs without improvement of `monitor`, then
   * restore the best epoch's weights (unless `restoreBestWeights` is false).
   * @default {no early stopping}
   */
  earlyStopping?: { patience: number; restoreBestWeights?: boolean };
  /** Called after each epoch, e.g. to print a line or redraw a plot. */
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
  /**
   * Time budget of this call in minutes: training stops at the first batch after it is used
   * up, as a stop by `signal` does (see `controls.ts`).
   * @default {null (no budget)}
   */
  maxMinutes?: number | null;
  /**
   * Training batches per epoch, for `onBatchEnd`'s `batches`.
   * @default {the dataset's size when finite, else counted in the first epoch}
   */
  batchesPerEpoch?: number;
  /**
   * Called before each epoch's first batch with the 0-based epoch, e.g. to restart a seeded
   * random stream for that epoch.
   */
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  /**
   * Folder of the resumable state, saved after every epoch (see `resume.ts`). Starting
   * without `resume` clears an earlier state in it.
   * @default {no resumable state}
   */
  resumeDir?: string;
  /**
   * Continue from the state in `resumeDir`: restores the model's weights, the optimiser's
   * state, the history, the best value and epoch and the early-stopping counter, then trains
   * the remaining epochs (`epochs` counts all epochs, the resumed ones included). Without a
   * saved state (no epoch finished yet) training starts from the first epoch.
   * @default {false}
   */
  resume?: boolean;
  /**
   * Gradient computations per batch, run in parallel: `2` splits each batch between this
   * thread and one Worker (`lib/engine/workers.ts`); needs `parallel.loss`. With more than
   * 1, dropout masks differ from a single-threaded run's.
   * @default {1}
   */
  workers?: number;
  /**
   * With `workers` > 1: the loss by module and name (Workers cannot receive `loss`, a
   * closure; it must compute the same losses) and the seed of the Workers' dropout masks.
   */
  parallel?: { loss: ParallelLossSpec; seed?: number };
}

/** What {@linkcode trainModel} returns. */
export interface TrainResult {
  /** Epochs run before this call (from a resumed state; 0 for a fresh run). */
  initialEpoch?: number;
  history: History;
  /** 0-based epoch with the best monitored value. */
  bestEpoch: number;
  /** The best monitored value. */
  best: number;
  /** Path of the last checkpoint written, if any. */
  lastCheckpoint?: string;
  /** True when early stopping ended training. */
  stoppedEarly: boolean;
  /**
   * Set when training was stopped before its last epoch by `signal`, `maxMinutes` or
   * `stopFile`; the run is resumable from its last finished epoch.
   */
  stopped?: StopReason;
  /**
   * With `stopped`: the training batches of the unfinished epoch that had run and were
   * dropped (0 when the stop came between epochs).
   */
  discardedBatches?: number;
}

/**
 * One pass over `dataset`: with an optimiser, one training step per batch (the gradient of
 * the batch's loss, applied); without, the losses only. Returns the mean of every logged
 * value over the samples, and the batches run. With `stops`, every batch is preceded by a
 * check; a stop ends the pass at once (`stopped` set, the iterator released).
 */
async function runEpoch(
  model: tf.LayersModel,
  dataset: tf.data.Dataset<tf.TensorContainer>,
  step: {
    loss: LossFunction;
    batchLoss?: BatchLossFunction;
    optimizer: tf.Optimizer | null;
    parallel: ParallelGradients | null;
    stops?: StopWatch | null;
    /** Called after each batch with the batches and samples so far and the mean loss. */
    onBatch?: (batch: number, samples: number, loss: number) => void | Promise<void>;
  },
): Promise<
  { logs: Record<string, number>; samples: number; batches: number; stopped?: StopReason }
> {
  const sums: Record<string, number> = {};
  let samples = 0;
  let batches = 0;
  const lossOf = step.batchLoss ?? outputsLoss(model, step.loss);
  const it = await dataset.iterator();
  // Iterate to the end, or release the iterator on a stop: prefetched batches left in it
  // would leak. Shorten an epoch in the dataset (e.g. the pipelines' `maxBatches` option).
  while (true) {
    if (step.stops) {
      await step.stops.pause();
      const stopped = step.stops.check();
      if (stopped) {
        await releaseIterator(it);
        return { logs: {}, samples, batches, stopped };
      }
    }
    const next = await it.next();
    if (next.done) break;
    const { xs, ys } = next.value as { xs: tf.Tensor | tf.Tensor[]; ys: tf.TensorContainer };
    let parts: LossParts;
    if (step.optimizer && step.parallel) {
      if (Array.isArray(xs)) {
        throw new Error(
          "trainModel: workers > 1 take a model with one input; this model has " +
            `${xs.length} (set train.workers to 1)`,
        );
      }
      parts = await step.parallel.step(step.optimizer, xs, ys);
    } else if (step.optimizer) {
      const logged: Record<string, tf.Scalar> = {};
      const total = step.optimizer.minimize(() => {
        const p = lossOf(xs, ys, true);
        for (const [k, v] of Object.entries(p)) if (k !== "loss") logged[k] = tf.keep(v);
        return p.loss;
      }, true)!;
      parts = { ...logged, loss: total } as LossParts;
    } else {
      parts = tf.tidy(() =>
        lossOf(xs, ys, false) as unknown as tf.TensorContainer
      ) as unknown as LossParts;
    }
    const n = (Array.isArray(xs) ? xs[0] : xs).shape[0];
    for (const [k, v] of Object.entries(parts)) sums[k] = (sums[k] ?? 0) + v.dataSync()[0] * n;
    samples += n;
    batches++;
    tf.dispose([xs, ys, ...Object.values(parts)] as tf.TensorContainer[]);
    await step.onBatch?.(batches, samples, (sums.loss ?? 0) / samples);
  }
  const logs: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) logs[k] = v / Math.max(1, samples);
  return { logs, samples, batches };
}

/**
 * Trains `model` in place over `train` (elements `{xs, ys}`), epoch by epoch.
 *
 * @param model a model; compiled, unless `options.optimizer` is given
 * @param train batches of `{xs, ys}`; iterated afresh each epoch (a resumed run should pass
 *   a dataset whose first pass is the first epoch still to run)
 * @throws {Error} when there is no optimiser, or the dataset gives no batch; naming the file
 *   or setting when a resumed state cannot be read or does not fit
 */
export async function trainModel(
  model: tf.LayersModel,
  train: tf.data.Dataset<tf.TensorContainer>,
  options: TrainOptions,
): Promise<TrainResult> {
  const optimizer = options.optimizer ?? model.optimizer;
  if (!optimizer) {
    throw new Error(
      "trainModel: expected options.optimizer (e.g. tutorialOptimizer(config)) or a " +
        "compiled model, got neither",
    );
  }
  const epochs = options.epochs ?? 10;
  const monitor = options.monitor ?? "loss";
  const keepBest = options.earlyStopping !== undefined &&
    (options.earlyStopping.restoreBestWeights ?? true);
  const { resumeDir } = options;
  if (options.resume && !resumeDir) {
    throw new Error("trainModel: resume needs resumeDir, the folder of the saved state");
  }
  const workers = options.workers ?? 1;
  if (workers > 1 && !options.parallel?.loss) {
    throw new Error(
      `trainModel: workers: ${workers} needs parallel.loss, the loss by module and name ` +
        "(tutorialLossSpec(config) or classicLossSpec(config))",
    );
  }
  if (resumeDir && !options.resume) {
    await Deno.remove(resumeDir, { recursive: true }).catch(() => {});
  }
  const loop = options.resume
    ? await resumeTraining(model, {
      resumeDir: resumeDir!,
      optimizer,
      monitor,
      keepBest,
      checkpointDir: options.checkpoint?.dir,
    })
    : freshLoopState();
  const stops = await watchStops(options);
  let stopped: StopReason | undefined;
  let discardedBatches = 0;
  let batchesPerEpoch = options.batchesPerEpoch ?? finiteSize(train);
  // The weights at the start of the epoch under way, put back when a stop cuts it short.
  let epochStart: tf.Tensor[] = [];
  let parallel: ParallelGradients | null = null;
  try {
    if (workers > 1) {
      parallel = await createParallelGradients(model, { workers, ...options.parallel! });
    }
    for (let epoch = loop.initialEpoch; epoch < epochs && !loop.stoppedEarly; epoch++) {
      const t0 = performance.now();
      if (stops) {
        tf.dispose(epochStart);
        epochStart = model.getWeights().map((w) => w.clone());
      }
      await options.onEpochBegin?.(epoch);
      parallel?.startEpoch(epoch);
      const { loss, batchLoss, onBatchEnd } = options;
      const fit = await runEpoch(model, train, {
        loss,
        batchLoss,
        optimizer,
        parallel,
        stops,
        onBatch: onBatchEnd && ((batch, samples, mean) =>
          onBatchEnd({
            epoch,
            epochs,
            batch,
            batches: batchesPerEpoch,
            samples,
            loss: mean,
            seconds: (performance.now() - t0) / 1000,
          })),
      });
      if (fit.stopped) {
        // The unfinished epoch is dropped: back to the weights of the last finished one.
        stopped = fit.stopped;
        discardedBatches = fit.batches;
        if (fit.batches > 0) model.setWeights(epochStart);
        await stops!.stopped(fit.stopped);
        break;
      }
      if (fit.samples === 0) throw new Error("trainModel: the training dataset gave no batches");
      batchesPerEpoch ??= fit.batches;
      const logs = { ...fit.logs };
      if (options.validation) {
        const val = await runEpoch(model, options.validation, {
          loss,
          batchLoss,
          optimizer: null,
          parallel: null,
        });
        for (const [k, v] of Object.entries(val.logs)) logs[`val_${k}`] = v;
      }
      loop.history.epoch.push(epoch + 1);
      for (const [k, v] of Object.entries(logs)) (loop.history[k] ??= []).push(v);
      const value = logs[monitor];
      if (value === undefined) {
        throw new Error(
          `monitor: "${monitor}" is not logged; expected one of ${Object.keys(logs).join(", ")}`,
        );
      }
      const info: EpochInfo = {
        epoch,
        epochs,
        logs,
        history: loop.history,
        seconds: (performance.now() - t0) / 1000,
        samples: fit.samples,
      };
      const improved = value < loop.best;
      if (improved) {
        loop.best = value;
        loop.bestEpoch = epoch;
        if (keepBest) {
          tf.dispose(loop.bestWeights ?? []);
          loop.bestWeights = model.getWeights().map((w) => w.clone());
        }
        if (options.checkpoint) {
          loop.lastCheckpoint = await saveCheckpoint(model, {
            checkpoint: options.checkpoint,
            epoch,
            logs,
            monitor,
            value,
          });
          info.checkpoint = loop.lastCheckpoint;
        }
      }
      const patience = options.earlyStopping?.patience;
      if (stopsEarly(patience, { epoch, bestEpoch: loop.bestEpoch, epochs })) {
        loop.stoppedEarly = info.stopped = true;
      }
      if (resumeDir) {
        loop.bestModel = await saveTrainState(model, {
          resumeDir,
          optimizer,
          epoch,
          epochs,
          monitor,
          improved,
          keepBest,
          loop,
        });
      }
      await options.onEpochEnd?.(info);
    }
    if (loop.bestWeights && loop.bestEpoch < loop.history.epoch.length - 1) {
      model.setWeights(loop.bestWeights);
    }
  } finally {
    parallel?.close();
    tf.dispose(loop.bestWeights ?? []);
    tf.dispose(epochStart);
  }
  const { history, bestEpoch, best, lastCheckpoint, stoppedEarly, initialEpoch } = loop;
  return {
    history,
    bestEpoch,
    best,
    lastCheckpoint,
    stoppedEarly,
    initialEpoch,
    ...(stopped ? { stopped, discardedBatches } : {}),
  };
}

/** A dataset's number of elements when tf.data knows it (finite and above 0). */
function finiteSize(dataset: tf.data.Dataset<tf.TensorContainer>): number | undefined {
  const size = dataset.size;
  return typeof size === "number" && Number.isFinite(size) && size > 0 ? size : undefined;
}
