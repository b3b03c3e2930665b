/**
 * The training loop's side of stopping (see `controls.ts`): one check of every stop source
 * before each batch, a pause that lets the event loop deliver an abort (a signal handler, a
 * notebook cell run meanwhile), the hook that drops an epoch cut short, and the release of
 * a dataset iterator left part-way.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { StopReason } from "./controls.ts";
import type { TrainHook } from "./_hooks.ts";

/** The stop sources of one training call. */
export interface StopSources {
  signal?: AbortSignal;
  /** Minutes from the start of the call (`null`/`undefined`: no budget). */
  maxMinutes?: number | null;
  stopFile?: string;
}

/** Checks the stop sources of one training call. */
export interface StopWatch {
  /** The reason to stop now, or `null` to go on. */
  check(): StopReason | null;
  /**
   * Lets queued events run (a timer turn) when a signal can be aborted from outside and the
   * last pause was at least `PAUSE_EVERY_MS` ago: a training step is synchronous work, and
   * resolved promises alone never let the event loop deliver a signal or run another cell.
   */
  pause(): Promise<void>;
  /** Cleans up after a stop for `reason` (removes the stop file). */
  stopped(reason: StopReason): Promise<void>;
}

/** The most time between two pauses of the loop when a signal is given. */
const PAUSE_EVERY_MS = 25;

/**
 * Starts watching `sources` (the time budget counts from now); `null` when there are none.
 * Removes a stop file left from before.
 */
export async function watchStops(sources: StopSources): Promise<StopWatch | null> {
  const { signal, stopFile } = sources;
  const maxMinutes = sources.maxMinutes ?? null;
  if (!signal && !stopFile && maxMinutes === null) return null;
  if (stopFile) await removeIfThere(stopFile);
  const deadline = maxMinutes === null ? Infinity : performance.now() + maxMinutes * 60_000;
  let lastPause = performance.now();
  return {
    check() {
      if (signal?.aborted) return "signal";
      if (performance.now() >= deadline) return "time";
      if (stopFile && exists(stopFile)) return "file";
      return null;
    },
    async pause() {
      if (!signal || performance.now() - lastPause < PAUSE_EVERY_MS) return;
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastPause = performance.now();
    },
    async stopped(reason) {
      if (reason === "file" && stopFile) await removeIfThere(stopFile);
    },
  };
}

/**
 * The stop controls as a training hook: checks `stops` before each batch and, when a stop
 * cuts an epoch short, puts back the weights the model had when that epoch began.
 */
export function stopHook(model: tf.LayersModel, stops: StopWatch): TrainHook {
  // The weights at the start of the epoch under way.
  let epochStart: tf.Tensor[] = [];
  return {
    epochBegin() {
      tf.dispose(epochStart);
      epochStart = model.getWeights().map((w) => w.clone());
    },
    async beforeBatch() {
      await stops.pause();
      return stops.check();
    },
    async stopped(reason, batches) {
      if (batches > 0) model.setWeights(epochStart);
      await stops.stopped(reason);
    },
    dispose() {
      tf.dispose(epochStart);
      epochStart = [];
    },
  };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function removeIfThere(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new Error(`stop file "${path}": cannot remove it (${(e as Error).message})`);
    }
  }
}

/**
 * Disposes what an iterator that was not read to its end still holds. A prefetching iterator
 * (`dataset.prefetch(n)`, as the families' pipelines end) keeps up to `n` batches made ahead:
 * those are disposed and the rest are never made. Any other iterator is read to its end and
 * every element disposed, as the loop would have done.
 */
export async function releaseIterator(
  it: { next(): Promise<IteratorResult<tf.TensorContainer>> },
): Promise<void> {
  const buffer = (it as unknown as { buffer?: unknown }).buffer as
    | { length(): number; shift(): Promise<IteratorResult<tf.TensorContainer>> }
    | undefined;
  if (typeof buffer?.length === "function" && typeof buffer?.shift === "function") {
    while (buffer.length() > 0) {
      const item = await buffer.shift();
      if (!item.done) tf.dispose(item.value);
    }
    return;
  }
  while (true) {
    const item = await it.next();
    if (item.done) return;
    tf.dispose(item.value);
  }
}
