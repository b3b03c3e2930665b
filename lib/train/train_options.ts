/**
 * What `trainModel` (`loop.ts`) takes and gives: the losses it minimises, its
 * options (epochs, validation, the checkpoint and early-stopping callbacks, resuming, the
 * gradient source's Workers, and the stop and progress controls of `controls.ts`), what each
 * epoch's callback hears, and the result.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ParallelBatchLoss, ParallelLossSpec } from "../engine/workers.ts";
import type { CheckpointSettings } from "./callbacks.ts";
import type { History } from "./resume.ts";
import type { StopReason, TrainControls } from "./controls.ts";

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
 * Options for `trainModel`. Besides these, the controls of `controls.ts`: `signal`
 * and `stopFile` stop training at the next batch, `onBatchEnd` hears every batch.
 */
export interface TrainOptions extends TrainControls {
  /** Turns a batch's targets and the model's outputs into named losses. */
  loss: LossFunction;
  /**
   * The same losses computed from the inputs by a faster path (e.g. `denseHeadsBatchLoss` over the tutorial's heads),
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
   * thread and one Worker (the engine's gradient source, `lib/engine/gradient_source.ts`);
   * needs `parallel.loss`. With more than 1, dropout masks differ from a single-threaded
   * run's.
   * @default {1}
   */
  workers?: number;
  /**
   * With `workers` > 1: the loss by module and name (Workers cannot receive `loss`, a
   * closure; it must compute the same losses) and the seed of the Workers' dropout masks.
   */
  parallel?: { loss: ParallelLossSpec; seed?: number };
}

/** What `trainModel` returns. */
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
