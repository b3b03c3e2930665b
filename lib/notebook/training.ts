/**
 * Watching and stopping a training run from a notebook: a progress bar that redraws in place
 * (a display id) after each batch, a run started in the background so that another cell can
 * stop it, and the stop file the notebooks use.
 *
 * The Deno kernel dies when it is interrupted (the notebook's stop button), taking the
 * session's variables with it, so a run is stopped through its controls instead
 * (`lib/train/controls.ts`): `stop()` of {@linkcode trainInBackground} from another cell, the
 * stop file {@linkcode NOTEBOOK_STOP_FILE}, or the time budget `train.maxMinutes`. Each stops
 * at the next batch and leaves the run resumable from its last finished epoch.
 *
 * @module
 */
import { join } from "node:path";
import { type BatchInfo, formatBatchProgress } from "../train/controls.ts";
import { isNotebook, type MediaBundle, showBundle } from "./display.ts";
import { escapeHtml } from "./_markup.ts";

/**
 * The file that stops the notebooks' training runs at the next batch, relative to the
 * repository root: create it (`touch out/STOP` in a terminal, or New File in Jupyter's file
 * browser) while a run trains; it is removed when the run stops for it.
 */
export const NOTEBOOK_STOP_FILE = join("out", "STOP");

/** Options for {@linkcode progressBar}. */
export interface ProgressBarOptions {
  /**
   * Display id of the bar's output.
   * @default {a new random id}
   */
  displayId?: string;
  /**
   * Redraw at most this often (the last batch of an epoch is always drawn).
   * @default {250}
   */
  minIntervalMs?: number;
  /**
   * Outside the kernel, called with the bar as text (e.g. `console.log`), at most every
   * `fallbackIntervalMs`; inside the kernel not called.
   * @default {undefined (outside the kernel nothing happens)}
   */
  fallback?: (text: string) => void;
  /**
   * Outside the kernel: the least time between two `fallback` calls.
   * @default {10000}
   */
  fallbackIntervalMs?: number;
}

/** A progress bar made by {@linkcode progressBar}. */
export interface ProgressBar {
  /** The display id of the bar's output. */
  readonly displayId: string;
  /** Adds the bar's output (once), saying `text`; `update` adds it when not shown yet. */
  show(text?: string): Promise<void>;
  /** Redraws the bar for a batch (as `onBatchEnd`), at most every `minIntervalMs`. */
  update(info: BatchInfo): Promise<void>;
  /** Redraws the bar a last time, with a closing sentence (e.g. "stopped after epoch 3"). */
  finish(text: string): Promise<void>;
}

/**
 * The bar as a bundle: an HTML `<progress>` element beside `text` (no script, so it shows in
 * an untrusted notebook too), and `plain` as text.
 */
function barBundle(text: string, plain: string, fraction: number | null): MediaBundle {
  const progress = fraction === null
    ? '<progress style="width:16em"></progress>'
    : `<progress style="width:16em" value="${fraction.toFixed(4)}" max="1"></progress>`;
  return {
    "text/html": `<div style="font-family:monospace">${progress} ${escapeHtml(text)}</div>`,
    "text/plain": plain,
  };
}

/**
 * Makes a progress bar for a training's `onBatchEnd`: in the kernel, one output that each
 * update replaces in place (`update_display_data` with its display id, so it also updates
 * while a later cell runs); outside it, a line to `options.fallback` now and then.
 *
 * ```ts ignore
 * const bar = progressBar();
 * await trainRun(config, { onBatchEnd: (info) => bar.update(info) });
 * ```
 */
export function progressBar(options: ProgressBarOptions = {}): ProgressBar {
  const displayId = options.displayId ?? `progress-${crypto.randomUUID()}`;
  const minInterval = options.minIntervalMs ?? 250;
  const fallbackInterval = options.fallbackIntervalMs ?? 10_000;
  let shown = false;
  let last = -Infinity;
  const draw = async (text: string, plain: string, fraction: number | null) => {
    if (!isNotebook()) {
      options.fallback?.(plain);
      return;
    }
    await showBundle(barBundle(text, plain, fraction), { displayId, update: shown });
    shown = true;
  };
  return {
    displayId,
    async show(text = "waiting for the first batch") {
      if (shown) return;
      await draw(text, text, null);
    },
    async update(info) {
      const now = performance.now();
      if (isNotebook()) {
        const lastBatch = info.batches !== undefined && info.batch >= info.batches;
        if (shown && !lastBatch && now - last < minInterval) return;
      } else if (now - last < fallbackInterval) return;
      last = now;
      const fraction = info.batches ? Math.min(1, info.batch / info.batches) : null;
      const text = formatBatchProgress(info, { barWidth: 0 });
      await draw(text, formatBatchProgress(info), fraction);
    },
    async finish(text) {
      await draw(text, text, 1);
    },
  };
}

/** A run started by {@linkcode trainInBackground}. */
export interface BackgroundTraining<T> {
  /** Aborted by {@linkcode BackgroundTraining.stop}; the run's `signal`. */
  readonly signal: AbortSignal;
  /** Whether the run is still going. */
  readonly running: boolean;
  /**
   * Asks the run to stop at its next batch; it then returns normally (its result says
   * `stopped: "signal"`) and stays resumable.
   */
  stop(): void;
  /** Settles with the run's result, or its error, when it ends. */
  readonly done: Promise<T>;
}

/**
 * Starts a training without waiting for it, so that the cell returns at once and other cells
 * can run meanwhile (the loop lets them in between batches): one of them can call `stop()`,
 * a later one `await training.done`. The run gets the signal to pass on as its `signal`.
 *
 * ```ts ignore
 * const training = trainInBackground((signal) => trainRun(config, { signal }));
 * // another cell, any time:  training.stop();
 * // a later cell:            const run = await training.done;
 * ```
 *
 * An error of the run is not reported until `done` is awaited.
 */
export function trainInBackground<T>(
  start: (signal: AbortSignal) => Promise<T>,
): BackgroundTraining<T> {
  const controller = new AbortController();
  let running = true;
  // Started on a timer, once the cell has ended: work started among the cell's own pending
  // promise jobs makes the Deno kernel (2.9) lose the cell's result ("Promise was collected").
  const done = new Promise((resolve) => setTimeout(resolve, 0))
    .then(() => start(controller.signal))
    .finally(() => {
      running = false;
    });
  // Kept for the caller's await: without this, an error before it would be "unhandled".
  done.catch(() => {});
  return {
    signal: controller.signal,
    get running() {
      return running;
    },
    stop() {
      controller.abort(new Error("stopped from the notebook"));
    },
    done,
  };
}
