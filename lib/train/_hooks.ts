/**
 * The hooks the training loop calls, and the callbacks built on them: the best-only
 * checkpoint and early stopping (`callbacks.ts`), the resumable state (`resume.ts`), and the
 * caller's own `onEpochBegin`, `onBatchEnd` and `onEpochEnd`. The stop controls' hook is in
 * `_stop.ts`. A hook object implements the moments it cares about; {@linkcode HookList} calls
 * a list of them in order.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type CheckpointSettings, saveCheckpoint, stopsEarly } from "./callbacks.ts";
import type { BatchInfo, StopReason } from "./controls.ts";
import { type LoopState, saveTrainState } from "./resume.ts";
import type { EpochInfo } from "./train_options.ts";
import type { PassLog } from "./_epoch_logs.ts";

/** A finished epoch, as the epoch-end hooks see it (and mark it, in order). */
export interface EpochEnd {
  /** 0-based epoch. */
  epoch: number;
  /** Its logged values: the training means and the `val_*` ones. */
  logs: Record<string, number>;
  /** Whether the monitored value improved (the loop state's best is this epoch's then). */
  improved: boolean;
  /** The training pass: seconds since it began, its samples and batches. */
  seconds: number;
  samples: number;
  batches: number;
  /** Set by the checkpoint hook to the checkpoint written. */
  checkpoint?: string;
  /** Set by early stopping when training ends after this epoch. */
  stopped?: boolean;
}

/** What a hook may do at each moment of a training; every member is optional. */
export interface TrainHook {
  /** Before an epoch's first batch (0-based epoch). */
  epochBegin?(epoch: number): void | Promise<void>;
  /** Before each training batch: a reason stops training there. */
  beforeBatch?(): Promise<StopReason | null>;
  /** After each training batch, with the epoch's pass so far. */
  batchEnd?(epoch: number, pass: PassLog): void | Promise<void>;
  /** When a stop cut an epoch short after `batches` training batches. */
  stopped?(reason: StopReason, batches: number): Promise<void>;
  /** After an epoch: its logs are in the history, its best value noted. */
  epochEnd?(end: EpochEnd): void | Promise<void>;
  /** After the last epoch (or a stop); not after an error. */
  trainEnd?(): void;
  /** Always, last: frees the tensors the hook holds. */
  dispose?(): void;
}

/** Hooks called in the order given (`beforeBatch`: the first reason to stop wins). */
export class HookList implements Required<TrainHook> {
  constructor(private readonly hooks: TrainHook[]) {}

  async epochBegin(epoch: number): Promise<void> {
    for (const h of this.hooks) await h.epochBegin?.(epoch);
  }
  async beforeBatch(): Promise<StopReason | null> {
    for (const h of this.hooks) {
      const reason = await h.beforeBatch?.();
      if (reason) return reason;
    }
    return null;
  }
  async batchEnd(epoch: number, pass: PassLog): Promise<void> {
    for (const h of this.hooks) await h.batchEnd?.(epoch, pass);
  }
  async stopped(reason: StopReason, batches: number): Promise<void> {
    for (const h of this.hooks) await h.stopped?.(reason, batches);
  }
  async epochEnd(end: EpochEnd): Promise<void> {
    for (const h of this.hooks) await h.epochEnd?.(end);
  }
  trainEnd(): void {
    for (const h of this.hooks) h.trainEnd?.();
  }
  dispose(): void {
    for (const h of this.hooks) h.dispose?.();
  }
}

/**
 * Best-only checkpoints: whenever the monitored value improves, `model` is saved (atomically)
 * under `settings.dir`; `state.lastCheckpoint` and the epoch's `checkpoint` name it.
 */
export function checkpointHook(
  model: tf.LayersModel,
  settings: CheckpointSettings,
  watched: { state: LoopState; monitor: string },
): TrainHook {
  const { state, monitor } = watched;
  return {
    async epochEnd(end) {
      if (!end.improved) return;
      const { epoch, logs } = end;
      state.lastCheckpoint = await saveCheckpoint(model, {
        checkpoint: settings,
        epoch,
        logs,
        monitor,
        value: state.best,
      });
      end.checkpoint = state.lastCheckpoint;
    },
  };
}

/**
 * Early stopping: training ends after `patience` epochs without improvement. With
 * `keepBest`, the best epoch's weights are kept (in `state.bestWeights`, where a resumed
 * state may have put them already) and put back when training ends.
 */
export function earlyStoppingHook(
  model: tf.LayersModel,
  settings: { patience: number; keepBest: boolean },
  watched: { state: LoopState; epochs: number },
): TrainHook {
  const { state, epochs } = watched;
  return {
    epochEnd(end) {
      if (end.improved && settings.keepBest) {
        tf.dispose(state.bestWeights ?? []);
        state.bestWeights = model.getWeights().map((w) => w.clone());
      }
      if (stopsEarly(settings.patience, { epoch: end.epoch, bestEpoch: state.bestEpoch, epochs })) {
        state.stoppedEarly = end.stopped = true;
      }
    },
    trainEnd() {
      if (state.bestWeights && state.bestEpoch < state.history.epoch.length - 1) {
        model.setWeights(state.bestWeights);
      }
    },
    dispose() {
      tf.dispose(state.bestWeights ?? []);
      state.bestWeights = null;
    },
  };
}

/** The resumable state, saved after every epoch (see `resume.ts`). */
export function resumeStateHook(
  model: tf.LayersModel,
  settings: {
    resumeDir: string;
    optimizer: tf.Optimizer;
    monitor: string;
    keepBest: boolean;
    epochs: number;
  },
  state: LoopState,
): TrainHook {
  return {
    async epochEnd(end) {
      state.bestModel = await saveTrainState(model, {
        ...settings,
        epoch: end.epoch,
        improved: end.improved,
        loop: state,
      });
    },
  };
}

/** The caller's callbacks, with what `onBatchEnd` and `onEpochEnd` hear. */
export interface CallerCallbacks {
  epochs: number;
  /** Training batches per epoch; counted in the first epoch when not given. */
  batchesPerEpoch?: number;
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  onBatchEnd?: (info: BatchInfo) => void | Promise<void>;
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
}

/** The caller's `onEpochBegin`, `onBatchEnd` (progress) and `onEpochEnd`. */
export function callerHook(callbacks: CallerCallbacks, state: LoopState): TrainHook {
  const { epochs, onEpochBegin, onBatchEnd, onEpochEnd } = callbacks;
  let batches = callbacks.batchesPerEpoch;
  return {
    epochBegin: (epoch) => onEpochBegin?.(epoch),
    batchEnd: (epoch, pass) =>
      onBatchEnd?.({
        epoch,
        epochs,
        batch: pass.batches,
        batches,
        samples: pass.samples,
        loss: pass.mean("loss"),
        seconds: pass.seconds(),
      }),
    async epochEnd(end) {
      batches ??= end.batches;
      if (!onEpochEnd) return;
      const { epoch, logs, seconds, samples } = end;
      const info: EpochInfo = { epoch, epochs, logs, history: state.history, seconds, samples };
      if (end.checkpoint) info.checkpoint = end.checkpoint;
      if (end.stopped) info.stopped = true;
      await onEpochEnd(info);
    },
  };
}
