/**
 * What the training loop logs: the running means of one pass over a dataset, the held-out
 * pass, and an epoch's entry in the history with the best value so far.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { GradientSource } from "../engine/gradient_source.ts";
import type { LoopState } from "./resume.ts";

/** One batch as the pipelines give it: inputs `[batch, ...]` (one per input) and targets. */
export interface Batch {
  xs: tf.Tensor | tf.Tensor[];
  ys: tf.TensorContainer;
}

/** Running sums of one pass over a dataset: every logged value, weighted by batch rows. */
export class PassLog {
  /** Batches and samples so far. */
  batches = 0;
  samples = 0;
  private readonly sums: Record<string, number> = {};
  private readonly start = performance.now();

  /** Adds a batch's losses (read, not disposed), weighted by its rows. */
  add(parts: Record<string, tf.Scalar>, xs: tf.Tensor | tf.Tensor[]): void {
    const rows = (Array.isArray(xs) ? xs[0] : xs).shape[0];
    for (const [k, v] of Object.entries(parts)) {
      this.sums[k] = (this.sums[k] ?? 0) + v.dataSync()[0] * rows;
    }
    this.samples += rows;
    this.batches++;
  }

  /** The mean of one value per sample so far (0 before any batch). */
  mean(name: string): number {
    return (this.sums[name] ?? 0) / Math.max(1, this.samples);
  }

  /** The mean of every value per sample, by name (`prefix` before each name). */
  means(prefix = ""): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of Object.keys(this.sums)) out[prefix + name] = this.mean(name);
    return out;
  }

  /** Seconds since the pass began. */
  seconds(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** Seconds since the pass began, samples and batches so far. */
  totals(): { seconds: number; samples: number; batches: number } {
    return { seconds: this.seconds(), samples: this.samples, batches: this.batches };
  }
}

/**
 * The mean losses of the held-out batches, named `val_*` (none without `validation`). The
 * model is not changed: no dropout, no step.
 */
export async function evaluate(
  source: GradientSource,
  validation: tf.data.Dataset<tf.TensorContainer> | undefined,
): Promise<Record<string, number>> {
  if (!validation) return {};
  const pass = new PassLog();
  const it = await validation.iterator();
  for (let next = await it.next(); !next.done; next = await it.next()) {
    const { xs, ys } = next.value as unknown as Batch;
    const parts = source.losses(xs, ys);
    pass.add(parts, xs);
    tf.dispose([xs, ys, parts] as tf.TensorContainer[]);
  }
  return pass.means("val_");
}

/** A finished epoch, as {@linkcode recordEpoch} records it. */
export interface EpochLogs {
  /** 0-based epoch. */
  epoch: number;
  /** Its logged values: the training means and the `val_*` ones. */
  logs: Record<string, number>;
  /** The name of the value that checkpoints and early stopping watch. */
  monitor: string;
}

/**
 * Appends the epoch to `state.history` and, when the monitored value beats `state.best`,
 * makes this epoch the best one.
 *
 * @returns whether the monitored value improved
 * @throws {Error} naming the logged values when `monitor` is not one of them
 */
export function recordEpoch(state: LoopState, finished: EpochLogs): boolean {
  const { epoch, logs, monitor } = finished;
  state.history.epoch.push(epoch + 1);
  for (const [k, v] of Object.entries(logs)) (state.history[k] ??= []).push(v);
  const value = logs[monitor];
  if (value === undefined) {
    throw new Error(
      `monitor: "${monitor}" is not logged; expected one of ${Object.keys(logs).join(", ")}`,
    );
  }
  const improved = value < state.best;
  if (improved) {
    state.best = value;
    state.bestEpoch = epoch;
  }
  return improved;
}
