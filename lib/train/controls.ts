/**
 * What a caller controls while a training runs: stopping it early (an `AbortSignal`, a time
 * budget, a stop file) and hearing its progress batch by batch.
 *
 * A stop takes effect at the next batch of the training pass. The epoch under way is left
 * unfinished: its batches are dropped from the history, the model's weights go back to those
 * of the last finished epoch (or the best epoch's, when early stopping keeps them), and the
 * resumable state saved after that epoch stays as it is, so a resumed run redoes the
 * unfinished epoch from its start and continues exactly as a run that was never stopped.
 * (The optimiser object in memory keeps the dropped batches' steps; a resumed run reads the
 * optimiser's state from the saved one.)
 * A stop that arrives once the epoch's training batches are done lets that epoch finish
 * (its validation, checkpoint and saved state) and ends training after it.
 *
 * @module
 */

/** Why a training stopped before its last epoch (early stopping aside). */
export type StopReason =
  /** The `signal` was aborted (e.g. Ctrl-C, or `stop()` from another notebook cell). */
  | "signal"
  /** The time budget (`maxMinutes`) was used up. */
  | "time"
  /** The stop file appeared. */
  | "file";

/** What a progress callback hears after each training batch. */
export interface BatchInfo {
  /** 0-based epoch. */
  epoch: number;
  /** Total epochs asked for. */
  epochs: number;
  /** Training batches done in this epoch, this one included (1 after the first). */
  batch: number;
  /** Training batches per epoch, when known (from the dataset's size, the caller, or the first epoch). */
  batches?: number;
  /** Training samples seen in this epoch. */
  samples: number;
  /** Mean training loss over this epoch's batches so far (per sample). */
  loss: number;
  /** Seconds since this epoch started. */
  seconds: number;
}

/**
 * Ways to stop a training early and to watch it, shared by `trainModel` and the families'
 * run functions (`trainTutorial`, `trainClassic`, `trainRun`). Every stop is checked before
 * each training batch; a stopped run returns normally, with `stopped` set in its result.
 */
export interface TrainControls {
  /**
   * Stops training at the next batch once aborted (`AbortController.abort()`; the train
   * command aborts it on Ctrl-C).
   * @default {undefined (no signal)}
   */
  signal?: AbortSignal;
  /**
   * Stops training at the next batch once this file exists (create it from a terminal or a
   * file browser). A file already there when training starts is removed first, and the file
   * is removed when training stops for it.
   * @default {undefined (no stop file)}
   */
  stopFile?: string;
  /** Called after each training batch, e.g. to redraw a progress bar. */
  onBatchEnd?: (info: BatchInfo) => void | Promise<void>;
}

/** Options for {@linkcode formatBatchProgress}. */
export interface BatchProgressOptions {
  /**
   * Width of the bar in characters (0: no bar). Without a known batch count there is no bar.
   * @default {20}
   */
  barWidth?: number;
}

/**
 * One line of progress within an epoch, e.g.
 * `epoch 2/10 [########------------] batch 45/112  loss 1.2345  12 s, ~18 s left`.
 */
export function formatBatchProgress(info: BatchInfo, options: BatchProgressOptions = {}): string {
  const width = options.barWidth ?? 20;
  const epochWidth = String(info.epochs).length;
  let line = `epoch ${String(info.epoch + 1).padStart(epochWidth)}/${info.epochs}`;
  const known = info.batches !== undefined && info.batches > 0;
  if (known && width > 0) {
    const filled = Math.min(width, Math.round((info.batch / info.batches!) * width));
    line += ` [${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  }
  const batchWidth = known ? String(info.batches).length : 0;
  line += ` batch ${String(info.batch).padStart(batchWidth)}${known ? `/${info.batches}` : ""}`;
  line += `  loss ${info.loss.toFixed(4)}  ${formatSeconds(info.seconds)}`;
  if (known && info.batch < info.batches!) {
    const left = (info.seconds / info.batch) * (info.batches! - info.batch);
    line += `, ~${formatSeconds(left)} left`;
  }
  return line;
}

/** `12 s`, `3 min 05 s`, `1 h 02 min`. */
function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}
