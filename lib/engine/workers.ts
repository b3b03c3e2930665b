/**
 * Data-parallel gradients across Deno Workers: each batch is cut into `workers` slices of
 * rows; the calling thread computes the gradients of the first slice while every Worker
 * computes those of one other slice on its own replica of the model (its own tfjs and
 * backend instance, so with one wasm thread each the slices run on separate cores; the
 * training commands start one thread per Worker when `workers > 1`; a Worker uses the calling
 * thread's BLAS, on one thread). The gradients are averaged, weighted by slice size, which for
 * losses that are means over the batch equals the full batch's gradient; the optimiser applies
 * them once, on the calling thread, and the updated weights go to the Workers with the next
 * batch.
 *
 * ```ts ignore
 * const loss = tutorialLossSpec(config); // by module and name
 * const parallel = await createParallelGradients(model, { workers: 2, loss });
 * try {
 *   const parts = await parallel.step(optimizer, xs, ys); // losses of the whole batch
 * } finally {
 *   parallel.close();
 * }
 * ```
 *
 * Dropout: the calling thread's slice draws its masks as the model is set up to (e.g. the
 * seeded stream of `seeded_dropout.ts`); each Worker draws its masks from a stream restarted
 * at every batch from `(seed, epoch, batch, worker)`. A run is repeatable for the same seed
 * and worker count, but its masks (and so its weights) differ from a single-threaded run's.
 * Non-trainable weights (BatchNormalization's moving statistics) are updated only by the
 * calling thread's slice.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { activeBlas } from "./blas.ts";
import { deriveSeed } from "../random/seeds.ts";
import {
  batchLossFromSpec,
  buffersOf,
  lossGradients,
  type ParallelLossParts,
  type ParallelLossSpec,
  sliceTensors,
  sliceToPlain,
} from "./_workers_wire.ts";

export { outputsLoss } from "./_workers_wire.ts";
export type {
  ParallelBatchLoss,
  ParallelLoss,
  ParallelLossParts,
  ParallelLossSpec,
} from "./_workers_wire.ts";

/** Seed stream tag of the Workers' dropout (apart from `SEED_TAG` of `seeds.ts`). */
const WORKER_DROPOUT_TAG = 3;

/** Options for {@linkcode createParallelGradients}. */
export interface ParallelGradientsOptions {
  /**
   * Gradient computations per batch, the calling thread included (`2`: the calling thread
   * and one Worker). One per core is the useful maximum.
   * @default {2}
   */
  workers?: number;
  /** The loss, by name: Workers cannot receive a closure. */
  loss: ParallelLossSpec;
  /**
   * Seed of the Workers' dropout masks.
   * @default {0}
   */
  seed?: number;
  /**
   * Backend of the Workers.
   * @default {tf.getBackend() of the calling thread}
   */
  backend?: "wasm" | "cpu" | "tensorflow";
}

/** The averaged gradients of one batch and its losses. */
export interface BatchGradients {
  /** Gradient per trainable variable name, averaged over the batch (caller disposes). */
  grads: tf.NamedTensorMap;
  /** The batch's losses, averaged over its rows (caller disposes). */
  parts: ParallelLossParts;
  /**
   * Milliseconds: the calling thread's slice (`ownMs`), then waiting for the Workers
   * (`waitMs`), and each Worker's own time on its slice (`workerMs`).
   */
  timing: { ownMs: number; waitMs: number; workerMs: number[] };
}

/** Data-parallel gradient computation; see the module docs. */
export interface ParallelGradients {
  /** Gradient computations per batch, the calling thread included. */
  readonly workers: number;
  /** Restarts the batch count used for the Workers' dropout seeds (0-based epoch). */
  startEpoch(epoch: number): void;
  /**
   * The gradients of one batch (`xs` `[batch, ...]`, `ys` tensors with the same first
   * dimension; neither is changed nor disposed). Sends the model's current weights to the
   * Workers first.
   */
  gradients(xs: tf.Tensor, ys: tf.TensorContainer): Promise<BatchGradients>;
  /** {@linkcode gradients}, then `optimizer.applyGradients`; returns the losses. */
  step(optimizer: tf.Optimizer, xs: tf.Tensor, ys: tf.TensorContainer): Promise<ParallelLossParts>;
  /** Terminates the Workers; safe to call twice. */
  close(): void;
}

interface WorkerReply {
  type: "ready" | "grads" | "error";
  grads?: Float32Array[];
  parts?: Record<string, number>;
  /** Milliseconds the Worker spent on the step. */
  ms?: number;
  message?: string;
}

/** A Worker and a queue of promises for its replies. */
class Channel {
  private waiting: Array<{ resolve: (r: WorkerReply) => void; reject: (e: Error) => void }> = [];
  constructor(readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      const w = this.waiting.shift();
      if (!w) return;
      if (e.data.type === "error") w.reject(new Error(`parallel worker: ${e.data.message}`));
      else w.resolve(e.data);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const err = new Error(`parallel worker failed: ${e.message}`);
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
  }
  request(message: unknown, transfer: Transferable[] = []): Promise<WorkerReply> {
    const reply = new Promise<WorkerReply>((resolve, reject) =>
      this.waiting.push({ resolve, reject })
    );
    this.worker.postMessage(message, transfer);
    return reply;
  }
}

function weightArrays(model: tf.LayersModel): Float32Array<ArrayBuffer>[] {
  return model.weights.map((w) => {
    const data = w.read().dataSync();
    if (!(data instanceof Float32Array)) {
      throw new Error(`parallel: weight ${w.name} is ${w.dtype}, expected float32`);
    }
    return new Float32Array(data);
  });
}

/**
 * Starts `options.workers - 1` Workers, each with a replica of `model` (rebuilt from
 * `model.toJSON()` and its current weights; custom layers must be registered by modules
 * the Worker imports: the fused LSTM is). Call `close()` when done.
 *
 * @param model a built model whose outputs the loss reads (used in place, not copied)
 * @throws {Error} when `workers` is not an integer >= 1, the loss spec is unknown, or a
 *   Worker fails to start (with its error)
 */
export async function createParallelGradients(
  model: tf.LayersModel,
  options: ParallelGradientsOptions,
): Promise<ParallelGradients> {
  const count = options.workers ?? 2;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`workers: expected an integer >= 1, got ${JSON.stringify(options.workers)}`);
  }
  const loss = await batchLossFromSpec(options.loss, model);
  const seed = options.seed ?? 0;
  const backend = options.backend ?? tf.getBackend();
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const channels: Channel[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const c of channels) c.worker.terminate();
  };
  let epoch = 0;
  let batch = 0;
  try {
    const topology = model.toJSON(null, true) as string;
    const url = new URL("./_worker.ts", import.meta.url).href;
    for (let i = 1; i < count; i++) {
      channels.push(new Channel(new Worker(url, { type: "module" })));
    }
    // The Workers use the calling thread's BLAS (by path), or none when it has none.
    const blas = activeBlas()?.path ?? "off";
    await Promise.all(channels.map((c) => {
      const weights = weightArrays(model);
      return c.request(
        { type: "init", backend, blas, topology, weights, loss: options.loss },
        weights.map((w) => w.buffer),
      );
    }));
  } catch (e) {
    close();
    throw e;
  }

  async function gradients(xs: tf.Tensor, ys: tf.TensorContainer): Promise<BatchGradients> {
    if (closed) throw new Error("parallel: gradients() after close()");
    const n = xs.shape[0];
    const k = Math.min(count, n);
    const bounds = Array.from({ length: k + 1 }, (_, i) => Math.round((i * n) / k));
    const weights = k > 1 ? weightArrays(model) : [];
    const replies = channels.slice(0, k - 1).map((c, i) => {
      const [start, end] = [bounds[i + 1], bounds[i + 2]];
      const xsPart = sliceToPlain(xs, start, end);
      const ysPart = sliceToPlain(ys, start, end);
      const w = i === 0 ? weights : weights.map((a) => new Float32Array(a));
      const message = {
        type: "step",
        xs: xsPart,
        ys: ysPart,
        weights: w,
        dropoutSeed: deriveSeed(seed, WORKER_DROPOUT_TAG, epoch, batch, i + 1),
      };
      return c.request(message, [
        ...buffersOf(xsPart),
        ...buffersOf(ysPart),
        ...w.map((a) => a.buffer),
      ]);
    });
    batch++;
    // The calling thread's slice, while the Workers compute theirs.
    const t0 = performance.now();
    const own = tf.tidy(() => {
      const x = k > 1 ? tf.slice(xs, 0, bounds[1]) : xs;
      const y = k > 1 ? sliceTensors(ys, 0, bounds[1]) : ys;
      return lossGradients(loss, { xs: x, ys: y, vars });
    });
    for (const g of Object.values(own.grads)) g.dataSync();
    const t1 = performance.now();
    let others: WorkerReply[];
    try {
      others = await Promise.all(replies);
    } catch (e) {
      tf.dispose([own.value, ...Object.values(own.grads), ...Object.values(own.kept)]);
      throw e;
    }
    const timing = {
      ownMs: t1 - t0,
      waitMs: performance.now() - t1,
      workerMs: others.map((r) => r.ms ?? 0),
    };
    const share = (i: number) => (bounds[i + 1] - bounds[i]) / n;
    const grads: tf.NamedTensorMap = {};
    const parts = tf.tidy(() => {
      vars.forEach((v, j) => {
        const mine = own.grads[v.name];
        if (!mine) return;
        let sum = tf.mul(mine, share(0));
        others.forEach((r, i) => {
          const g = r.grads![j];
          if (g.length === 0) return;
          sum = tf.add(sum, tf.mul(tf.tensor(g, mine.shape), share(i + 1)));
        });
        grads[v.name] = tf.keep(sum);
      });
      const all: Record<string, tf.Scalar> = { loss: own.value, ...own.kept };
      const out: Record<string, tf.Scalar> = {};
      for (const [name, v] of Object.entries(all)) {
        let sum = tf.mul(v, share(0));
        others.forEach((r, i) => {
          sum = tf.add(sum, tf.scalar((r.parts![name] ?? 0) * share(i + 1)));
        });
        out[name] = sum as tf.Scalar;
      }
      return out;
    });
    tf.dispose([own.value, ...Object.values(own.grads), ...Object.values(own.kept)]);
    return { grads, parts: parts as ParallelLossParts, timing };
  }

  return {
    workers: count,
    startEpoch(e: number) {
      epoch = e;
      batch = 0;
    },
    gradients,
    async step(optimizer, xs, ys) {
      const { grads, parts } = await gradients(xs, ys);
      try {
        optimizer.applyGradients(grads);
      } finally {
        tf.dispose(Object.values(grads));
      }
      return parts;
    },
    close,
  };
}
