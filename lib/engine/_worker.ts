/**
 * The Worker side of `workers.ts`: holds a replica of the model in its own tfjs (and
 * backend) instance and computes the gradients of one slice of each batch.
 *
 * Messages in: `init` (backend, BLAS, topology, weights, loss), `step` (a batch slice, fresh
 * weights and a dropout seed). Messages out: `ready`, `grads` (one Float32Array per trainable weight
 * and the loss parts as numbers), `error`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "./fused_lstm.ts";
import { selectBackend } from "./backend.ts";
import { mulberry32 } from "../random/random.ts";
import { type DropoutSeeds, seedDropoutLayers } from "./seeded_dropout.ts";
import {
  batchLossFromSpec,
  lossGradients,
  type ParallelBatchLoss,
  type ParallelLossSpec,
  type PlainTensor,
  type PlainTensorContainer,
  toTensorContainer,
} from "./_workers_wire.ts";

/** Minimal typing of a dedicated worker's global scope. */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

let model: tf.LayersModel | null = null;
let loss: ParallelBatchLoss | null = null;
let vars: tf.Variable[] = [];
/** The dropout stream of the current step (restarted from each step's seed). */
let random = mulberry32(0);
const seeds: DropoutSeeds = {
  startEpoch() {},
  next: () => Math.floor(random() * 2147483648),
};

function setWeights(weights: Float32Array[]): void {
  const all = model!.weights;
  if (weights.length !== all.length) {
    throw new Error(`worker: expected ${all.length} weight arrays, got ${weights.length}`);
  }
  tf.tidy(() =>
    all.forEach((w, i) => w.write(tf.tensor(weights[i], w.shape as number[], w.dtype)))
  );
}

async function init(msg: {
  backend: string;
  /** The calling thread's BLAS library path, or `"off"`. */
  blas: string;
  topology: string;
  weights: Float32Array[];
  loss: ParallelLossSpec;
}): Promise<void> {
  // One thread per Worker (the BLAS's too): the Workers themselves are the parallelism.
  await selectBackend({
    backend: msg.backend as "wasm" | "cpu" | "tensorflow",
    wasmThreads: 1,
    blas: msg.blas,
  });
  model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(msg.topology) });
  setWeights(msg.weights);
  loss = await batchLossFromSpec(msg.loss, model);
  vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // LSTM dropout (fused and tf.layers.lstm) and Dropout layers draw from the step's stream.
  const dropoutFunc = (ones: tf.Tensor, rate: number) =>
    tf.dropout(ones, rate, undefined, seeds.next());
  for (const layer of model.layers) {
    const cell = (layer as unknown as { cell?: { dropoutFunc?: unknown } }).cell;
    if (cell && "dropout" in cell) cell.dropoutFunc = dropoutFunc;
  }
  seedDropoutLayers(model, seeds);
}

function step(msg: {
  xs: PlainTensor;
  ys: PlainTensorContainer;
  weights?: Float32Array[];
  dropoutSeed: number;
}): void {
  const t0 = performance.now();
  if (msg.weights) setWeights(msg.weights);
  random = mulberry32(msg.dropoutSeed);
  const parts: Record<string, number> = {};
  const grads: Float32Array<ArrayBuffer>[] = [];
  tf.tidy(() => {
    const xs = toTensorContainer(msg.xs) as tf.Tensor;
    const ys = toTensorContainer(msg.ys);
    const { value, grads: g, kept } = lossGradients(loss!, { xs, ys, vars });
    parts.loss = value.dataSync()[0];
    for (const [k, v] of Object.entries(kept)) parts[k] = v.dataSync()[0];
    for (const v of vars) {
      const grad = g[v.name];
      grads.push(grad ? new Float32Array(grad.dataSync()) : new Float32Array(0));
    }
    tf.dispose(Object.values(kept));
  });
  const ms = performance.now() - t0;
  scope.postMessage({ type: "grads", grads, parts, ms }, grads.map((g) => g.buffer));
}

scope.onmessage = async (e: MessageEvent) => {
  try {
    if (e.data.type === "init") {
      await init(e.data);
      scope.postMessage({ type: "ready" });
    } else if (e.data.type === "step") {
      step(e.data);
    }
  } catch (err) {
    scope.postMessage({ type: "error", message: (err as Error).stack ?? String(err) });
  }
};
