/**
 * Training: a plain loop over a `tf.data` pipeline with the two callbacks the tutorial uses —
 * a best-only checkpoint named by epoch and loss, and early stopping that restores the best
 * weights — plus a history of every loss, per epoch, kept as JSON.
 *
 * The loop is written out (rather than `model.fitDataset`) so validation losses of
 * multi-output models are reported correctly, and so checkpoints are written atomically.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { LossFunction, LossParts } from "./loss.ts";
import { saveModel, writeJsonAtomic } from "./model_io.ts";

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
}

/** What {@linkcode trainModel} returns. */
export interface TrainResult {
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
 * Fills a Keras-style file-name template: `{epoch:02d}` and `{loss:.4f}` (or plain `{epoch}`,
 * `{loss}`).
 */
export function formatCheckpointName(template: string, epoch: number, loss: number): string {
  return template.replace(/\{(epoch|loss)(?::([^}]*))?\}/g, (_, key: string, spec?: string) => {
    const value = key === "epoch" ? epoch : loss;
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
    if (optimizer) {
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
 * Trains `model` in place over `train` (elements `{xs, ys}`), epoch by epoch.
 *
 * @param model a model; compiled, unless `options.optimizer` is given
 * @param train batches of `{xs, ys}`; iterated afresh each epoch
 * @throws {Error} when the model has no optimiser, or the dataset gives no batch
 */
export async function trainModel(
  model: tf.LayersModel,
  train: tf.data.Dataset<tf.TensorContainer>,
  options: TrainOptions,
): Promise<TrainResult> {
  const optimizer = options.optimizer ?? model.optimizer;
  if (!optimizer) throw new Error("trainModel: the model is not compiled and no optimizer given");
  const epochs = options.epochs ?? 10;
  const monitor = options.monitor ?? "loss";
  const history: History = { epoch: [] };
  let best = Infinity;
  let bestEpoch = -1;
  let bestWeights: tf.Tensor[] | null = null;
  let lastCheckpoint: string | undefined;
  let stoppedEarly = false;
  const restore = options.earlyStopping?.restoreBestWeights ?? true;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const t0 = performance.now();
      const fit = await runEpoch(model, train, options.loss, optimizer);
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
      if (value < best) {
        best = value;
        bestEpoch = epoch;
        if (options.earlyStopping && restore) {
          tf.dispose(bestWeights ?? []);
          bestWeights = model.getWeights().map((w) => w.clone());
        }
        if (options.checkpoint) {
          const name = formatCheckpointName(
            options.checkpoint.template ?? "ckpt-{epoch:02d}-{loss:.4f}",
            epoch + 1,
            value,
          );
          lastCheckpoint = join(options.checkpoint.dir, name);
          await saveModel(model, lastCheckpoint, {
            metadata: { ...options.checkpoint.metadata, epoch: epoch + 1, [monitor]: value },
          });
          await writeJsonAtomic(join(options.checkpoint.dir, "latest.json"), {
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
      await options.onEpochEnd?.(info);
      if (stoppedEarly) break;
    }
    if (bestWeights && bestEpoch < history.epoch.length - 1) model.setWeights(bestWeights);
  } finally {
    tf.dispose(bestWeights ?? []);
  }
  return { history, bestEpoch, best, lastCheckpoint, stoppedEarly };
}
