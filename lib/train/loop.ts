/**
 * Training: a plain loop over a `tf.data` pipeline with the two callbacks the tutorial uses —
 * a best-only checkpoint named by epoch and loss, and early stopping that restores the best
 * weights — plus a history of every loss, per epoch, kept as JSON.
 *
 * The loop is written out (rather than `model.fitDataset`) so validation losses of
 * multi-output models are reported correctly, and so checkpoints are written atomically.
 *
 * Crash-safe training: with `resumeDir`, every epoch end saves the model, the optimiser
 * state and the loop state (epoch, history, best value, early-stopping counter) as one
 * resumable state; `resume: true` continues from it. A kill at any moment leaves either the
 * previous complete state or the new one:
 *
 * ```
 * <resumeDir>/state.json        the loop state; names the folders below; written last
 * <resumeDir>/epoch-0003/       weights and optimizer state after epoch 3
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basename, join, relative } from "node:path";
import {
  loadModel,
  loadOptimizerState,
  readJsonIfExists,
  saveModel,
  saveOptimizerState,
  writeJsonAtomic,
} from "../io/model_files.ts";
import {
  createParallelGradients,
  type ParallelGradients,
  type ParallelLossSpec,
} from "../engine/workers.ts";
import { LATEST_CHECKPOINT_JSON, TRAIN_STATE_JSON } from "../io/run_folder.ts";

/**
 * Losses (and metrics such as accuracy) of one batch by name; `loss` is the total that is
 * minimised, the others are logged.
 */
export type LossParts = { loss: tf.Scalar } & Record<string, tf.Scalar>;

/** Computes a model's losses from a batch's targets and the model's outputs (in order). */
export type LossFunction = (ys: tf.TensorContainer, outputs: tf.Tensor[]) => LossParts;

/** One value per epoch for every logged quantity (`epoch`, `loss`, `val_loss`, ...). */
export type History = Record<string, number[]>;

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

/** Options for {@linkcode trainModel}. */
export interface TrainOptions {
  /** Turns a batch's targets and the model's outputs into named losses. */
  loss: LossFunction;
  /**
   * Number of epochs.
   * @default {10}
   */
  epochs?: number;
  /** Batches of held-out data; validation losses are logged as `val_*`. */
  validation?: tf.data.Dataset<tf.TensorContainer>;
  /**
   * Optimiser; defaults to the compiled model's.
   * @default {model.optimizer}
   */
  optimizer?: tf.Optimizer;
  /**
   * Best-only checkpoints: whenever `monitor` improves the model is saved (atomically)
   * to `<dir>/<template>`, with `{epoch}` (1-based) and `{loss}` (the monitored value)
   * filled in, e.g. `ckpt-{epoch:02d}-{loss:.4f}`.
   */
  checkpoint?: {
    dir: string;
    template?: string;
    /** Saved in each checkpoint's model.json (config, vocabulary, ...). */
    metadata?: Record<string, unknown>;
  };
  /**
   * Early stopping: stop after `patience` epochs without improvement of `monitor`, then
   * restore the best epoch's weights.
   */
  earlyStopping?: { patience: number; restoreBestWeights?: boolean };
  /**
   * Value watched by checkpoints and early stopping.
   * @default {"loss"}
   */
  monitor?: string;
  /** Called after each epoch, e.g. to print a line or redraw a plot. */
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
  /**
   * Called before each epoch's first batch with the 0-based epoch, e.g. to restart a seeded
   * random stream for that epoch.
   */
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  /**
   * Called with the error when training throws, before the error reaches the caller (for
   * example to release a lock on the run folder). Its own errors are ignored.
   * @default {no call}
   */
  onError?: (error: unknown) => void | Promise<void>;
  /**
   * Folder of the resumable state, saved after every epoch (see the module docs). Starting
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
   * thread and one Worker (see `parallel_train.ts`); needs `parallel.loss`. With more than 1,
   * dropout masks differ from a single-threaded run's.
   * @default {1}
   */
  workers?: number;
  /**
   * With `workers` > 1: the loss by name (Workers cannot receive `loss`, a closure; it must
   * compute the same losses) and the seed of the Workers' dropout masks (default 0).
   */
  parallel?: { loss: ParallelLossSpec; seed?: number };
}

/** The loop state saved after every epoch in `<resumeDir>/state.json`. */
export interface TrainState {
  /** Always `"midi-lstm-train-state"`. */
  format: string;
  /** Epochs finished. */
  epochsDone: number;
  /** Epochs asked for when the state was saved. */
  epochs: number;
  /** The monitored value's name. */
  monitor: string;
  /** Best monitored value so far (`null`: none yet). */
  best: number | null;
  /** 0-based epoch of the best value (-1: none yet). */
  bestEpoch: number;
  /** Epochs since the best one: early stopping's wait counter. */
  wait: number;
  /** True when early stopping ended training. */
  stoppedEarly: boolean;
  /** Folder (relative to the resume folder) with the weights and optimizer state. */
  last: string;
  /**
   * Folder (relative to the resume folder) with the best epoch's weights: its checkpoint,
   * or an epoch folder kept for it; `null` when not kept.
   */
  bestModel: string | null;
  /** Last checkpoint written, relative to the resume folder (`null`: none). */
  lastCheckpoint: string | null;
  /** Every logged value of every finished epoch. */
  history: History;
  /** When the state was saved (ISO 8601). */
  savedAt: string;
}

/** `format` of a saved {@linkcode TrainState}. */
const STATE_FORMAT = "midi-lstm-train-state";

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
}

/**
 * Fills a Keras-style file-name template: `{epoch:02d}` and any logged value by name, such as
 * `{loss:.4f}` or `{val_loss:.3f}` (plain `{epoch}`, `{loss}` too).
 *
 * @param values the 1-based `epoch` and the epoch's logged values (not changed)
 * @throws {Error} naming the field when the template asks for a value that is not logged
 */
export function formatCheckpointName(
  template: string,
  values: { epoch: number } & Record<string, number>,
): string {
  return template.replace(/\{(\w+)(?::([^}]*))?\}/g, (_, key: string, spec?: string) => {
    const value = values[key];
    if (value === undefined) {
      throw new Error(
        `checkpoint template: {${key}} is not logged; expected epoch or one of ${
          Object.keys(values).filter((k) => k !== "epoch").join(", ")
        }`,
      );
    }
    const m = /^(0?)(\d*)(?:\.(\d+))?([df])?$/.exec(spec ?? "");
    if (!spec || !m) return String(value);
    const [, zero, width, precision, type] = m;
    let text = type === "f" || precision ? value.toFixed(Number(precision ?? 6)) : String(value);
    if (width) text = text.padStart(Number(width), zero ? "0" : " ");
    return text;
  });
}

function asArray(outputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(outputs) ? outputs : [outputs];
}

async function runEpoch(
  model: tf.LayersModel,
  dataset: tf.data.Dataset<tf.TensorContainer>,
  lossFn: LossFunction,
  optimizer: tf.Optimizer | null,
  parallel: ParallelGradients | null = null,
): Promise<{ logs: Record<string, number>; samples: number }> {
  const sums: Record<string, number> = {};
  let samples = 0;
  const it = await dataset.iterator();
  // Iterate to the end: stopping early would strand prefetched batches (a tensor leak);
  // shorten an epoch in the dataset instead (e.g. the `maxBatches` option of the pipelines).
  while (true) {
    const next = await it.next();
    if (next.done) break;
    const { xs, ys } = next.value as { xs: tf.Tensor; ys: tf.TensorContainer };
    const n = xs.shape[0];
    let parts: LossParts;
    if (optimizer && parallel) {
      parts = await parallel.step(optimizer, xs, ys);
    } else if (optimizer) {
      const kept: Record<string, tf.Scalar> = {};
      const total = optimizer.minimize(() => {
        const p = lossFn(ys, asArray(model.apply(xs, { training: true }) as tf.Tensor[]));
        for (const [k, v] of Object.entries(p)) if (k !== "loss") kept[k] = tf.keep(v);
        return p.loss;
      }, true)!;
      parts = { ...kept, loss: total } as LossParts;
    } else {
      parts = tf.tidy(() => {
        const p = lossFn(ys, asArray(model.apply(xs, { training: false }) as tf.Tensor[]));
        return p as unknown as tf.TensorContainer;
      }) as unknown as LossParts;
    }
    for (const [k, v] of Object.entries(parts)) {
      sums[k] = (sums[k] ?? 0) + v.dataSync()[0] * n;
    }
    samples += n;
    tf.dispose([xs, ys, ...Object.values(parts)]);
  }
  const logs: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) logs[k] = v / Math.max(1, samples);
  return { logs, samples };
}

/**
 * Reads the resumable state saved in `resumeDir` by {@linkcode trainModel}.
 *
 * @returns the state, or `null` when the folder has none (no epoch finished yet)
 * @throws {Error} naming the file when `state.json` exists but is not a training state
 */
export async function readTrainState(resumeDir: string): Promise<TrainState | null> {
  const path = join(resumeDir, TRAIN_STATE_JSON);
  const state = await readJsonIfExists<TrainState>(path);
  if (state === null) return null;
  if (
    state?.format !== STATE_FORMAT || !Number.isInteger(state.epochsDone) ||
    typeof state.last !== "string" || typeof state.history !== "object"
  ) {
    throw new Error(
      `"${path}": expected a training state (format "${STATE_FORMAT}" with epochsDone, last ` +
        `and history), got keys ${JSON.stringify(Object.keys(state ?? {}))}`,
    );
  }
  return state;
}

/** Copies the weights saved in `dir` into `model` (same architecture). */
async function restoreWeights(model: tf.LayersModel, dir: string): Promise<void> {
  const saved = await loadModel(dir);
  try {
    const weights = saved.getWeights();
    const expected = model.getWeights();
    const same = weights.length === expected.length &&
      weights.every((w, i) => w.shape.join() === expected[i].shape.join());
    if (!same) {
      throw new Error(
        `the weights in "${dir}" do not fit the model: saved ${weights.length} tensors ` +
          `[${weights.map((w) => `[${w.shape}]`).join(", ")}], the model has ${expected.length} ` +
          `[${expected.map((w) => `[${w.shape}]`).join(", ")}]`,
      );
    }
    model.setWeights(weights);
  } finally {
    saved.dispose();
  }
}

/**
 * After `setWeights`, Adam recomputes its running powers of beta1 and beta2 with `pow`,
 * which can differ in the last bit from the products it accumulates step by step. Redo the
 * products in float32, so a resumed run continues bit for bit.
 */
function restoreAdamPowers(optimizer: tf.Optimizer): void {
  const adam = optimizer as unknown as {
    beta1?: number;
    beta2?: number;
    accBeta1?: tf.Variable;
    accBeta2?: tf.Variable;
    iterations?: number;
  };
  if (optimizer.getClassName() !== "Adam" || !adam.accBeta1 || !adam.accBeta2) return;
  const power = (beta: number, steps: number) => {
    const b = Math.fround(beta);
    let p = b;
    for (let i = 0; i < steps; i++) p = Math.fround(p * b);
    return p;
  };
  const steps = adam.iterations ?? 0;
  tf.tidy(() => {
    adam.accBeta1!.assign(tf.scalar(power(adam.beta1!, steps)));
    adam.accBeta2!.assign(tf.scalar(power(adam.beta2!, steps)));
  });
}

/** Removes epoch folders of a resume folder that `keep` does not name. */
async function removeStaleEpochs(resumeDir: string, keep: Set<string>): Promise<void> {
  for await (const entry of Deno.readDir(resumeDir)) {
    if (entry.isDirectory && /^epoch-\d+$/.test(entry.name) && !keep.has(entry.name)) {
      await Deno.remove(join(resumeDir, entry.name), { recursive: true }).catch(() => {});
    }
  }
}

/**
 * Trains `model` in place over `train` (elements `{xs, ys}`), epoch by epoch.
 *
 * @param model a model; compiled, unless `options.optimizer` is given
 * @param train batches of `{xs, ys}`; iterated afresh each epoch (a resumed run should pass
 *   a dataset whose first pass is the first epoch still to run)
 * @throws {Error} when the model has no optimiser, or the dataset gives no batch; naming the
 *   file or setting when a resumed state cannot be read or does not fit
 */
export async function trainModel(
  model: tf.LayersModel,
  train: tf.data.Dataset<tf.TensorContainer>,
  options: TrainOptions,
): Promise<TrainResult> {
  try {
    return await trainEpochs(model, train, options);
  } catch (error) {
    try {
      await options.onError?.(error);
    } catch {
      // the training error is the one to report
    }
    throw error;
  }
}

/** {@linkcode trainModel} without the error callback. */
async function trainEpochs(
  model: tf.LayersModel,
  train: tf.data.Dataset<tf.TensorContainer>,
  options: TrainOptions,
): Promise<TrainResult> {
  const optimizer = options.optimizer ?? model.optimizer;
  if (!optimizer) {
    throw new Error(
      "trainModel: expected options.optimizer (e.g. tutorialOptimizer(config)) or a compiled model, got neither",
    );
  }
  const epochs = options.epochs ?? 10;
  const monitor = options.monitor ?? "loss";
  let history: History = { epoch: [] };
  let best = Infinity;
  let bestEpoch = -1;
  let bestWeights: tf.Tensor[] | null = null;
  let lastCheckpoint: string | undefined;
  let stoppedEarly = false;
  let initialEpoch = 0;
  const restore = options.earlyStopping?.restoreBestWeights ?? true;
  const keepBest = options.earlyStopping !== undefined && restore;
  const resumeDir = options.resumeDir;
  /** Folder holding the best epoch's weights, relative to resumeDir. */
  let bestModel: string | null = null;
  if (options.resume && !resumeDir) {
    throw new Error("trainModel: resume needs resumeDir, the folder of the saved state");
  }
  const state = options.resume ? await readTrainState(resumeDir!) : null;
  const workers = options.workers ?? 1;
  if (workers > 1 && !options.parallel?.loss) {
    throw new Error(
      `trainModel: workers: ${workers} needs parallel.loss, the loss by name ` +
        `({kind: "tutorial"} or {kind: "classic"})`,
    );
  }
  let parallel: ParallelGradients | null = null;
  if (resumeDir && !options.resume) {
    await Deno.remove(resumeDir, { recursive: true }).catch(() => {});
  }
  try {
    if (state) {
      const stateFile = join(resumeDir!, TRAIN_STATE_JSON);
      if (state.monitor !== monitor) {
        throw new Error(
          `"${stateFile}": the saved run monitored "${state.monitor}", this one monitors ` +
            `"${monitor}"`,
        );
      }
      await restoreWeights(model, join(resumeDir!, state.last));
      await loadOptimizerState(optimizer, join(resumeDir!, state.last));
      restoreAdamPowers(optimizer);
      initialEpoch = state.epochsDone;
      history = structuredClone(state.history);
      best = state.best ?? Infinity;
      bestEpoch = state.bestEpoch;
      stoppedEarly = state.stoppedEarly;
      bestModel = state.bestModel;
      if (state.lastCheckpoint) lastCheckpoint = join(resumeDir!, state.lastCheckpoint);
      if (keepBest && bestEpoch >= 0) {
        if (bestEpoch === state.epochsDone - 1) {
          bestWeights = model.getWeights().map((w) => w.clone());
        } else if (bestModel) {
          const saved = await loadModel(join(resumeDir!, bestModel));
          bestWeights = saved.getWeights().map((w) => w.clone());
          saved.dispose();
        }
      }
      if (options.checkpoint && lastCheckpoint && bestEpoch >= 0) {
        // A crash after a checkpoint but before the state may have left latest.json naming
        // a checkpoint of the epoch being redone.
        await writeJsonAtomic(join(options.checkpoint.dir, LATEST_CHECKPOINT_JSON), {
          checkpoint: basename(lastCheckpoint),
          epoch: bestEpoch + 1,
          monitor,
          value: best,
        });
      }
    }
    if (workers > 1) {
      parallel = await createParallelGradients(model, {
        workers,
        loss: options.parallel!.loss,
        seed: options.parallel!.seed,
      });
    }
    for (let epoch = initialEpoch; epoch < epochs && !stoppedEarly; epoch++) {
      const t0 = performance.now();
      await options.onEpochBegin?.(epoch);
      parallel?.startEpoch(epoch);
      const fit = await runEpoch(model, train, options.loss, optimizer, parallel);
      if (fit.samples === 0) throw new Error("trainModel: the training dataset gave no batches");
      const logs = { ...fit.logs };
      if (options.validation) {
        const val = await runEpoch(model, options.validation, options.loss, null);
        for (const [k, v] of Object.entries(val.logs)) logs[`val_${k}`] = v;
      }
      history.epoch.push(epoch + 1);
      for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
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
        history,
        seconds: (performance.now() - t0) / 1000,
        samples: fit.samples,
      };
      const improved = value < best;
      if (improved) {
        best = value;
        bestEpoch = epoch;
        if (keepBest) {
          tf.dispose(bestWeights ?? []);
          bestWeights = model.getWeights().map((w) => w.clone());
        }
        if (options.checkpoint) {
          const name = formatCheckpointName(
            options.checkpoint.template ?? "ckpt-{epoch:02d}-{loss:.4f}",
            { ...logs, epoch: epoch + 1 },
          );
          lastCheckpoint = join(options.checkpoint.dir, name);
          await saveModel(model, lastCheckpoint, {
            metadata: { ...options.checkpoint.metadata, epoch: epoch + 1, [monitor]: value },
          });
          await writeJsonAtomic(join(options.checkpoint.dir, LATEST_CHECKPOINT_JSON), {
            checkpoint: name,
            epoch: epoch + 1,
            monitor,
            value,
          });
          info.checkpoint = lastCheckpoint;
        }
      }
      const patience = options.earlyStopping?.patience;
      if (patience !== undefined && epoch - bestEpoch >= patience && epoch < epochs - 1) {
        stoppedEarly = info.stopped = true;
      }
      if (resumeDir) {
        const last = `epoch-${String(epoch + 1).padStart(4, "0")}`;
        const lastDir = join(resumeDir, last);
        await Deno.remove(lastDir, { recursive: true }).catch(() => {});
        await saveModel(model, lastDir, { metadata: { epoch: epoch + 1 } });
        await saveOptimizerState(optimizer, lastDir);
        if (improved) {
          bestModel = lastCheckpoint ? relative(resumeDir, lastCheckpoint) : last;
        }
        const saved: TrainState = {
          format: STATE_FORMAT,
          epochsDone: epoch + 1,
          epochs,
          monitor,
          best: Number.isFinite(best) ? best : null,
          bestEpoch,
          wait: epoch - bestEpoch,
          stoppedEarly,
          last,
          bestModel: keepBest ? bestModel : null,
          lastCheckpoint: lastCheckpoint ? relative(resumeDir, lastCheckpoint) : null,
          history,
          savedAt: new Date().toISOString(),
        };
        await writeJsonAtomic(join(resumeDir, TRAIN_STATE_JSON), saved);
        await removeStaleEpochs(resumeDir, new Set([last, saved.bestModel ?? last]));
      }
      await options.onEpochEnd?.(info);
    }
    if (bestWeights && bestEpoch < history.epoch.length - 1) model.setWeights(bestWeights);
  } finally {
    parallel?.close();
    tf.dispose(bestWeights ?? []);
  }
  return { history, bestEpoch, best, lastCheckpoint, stoppedEarly, initialEpoch };
}
