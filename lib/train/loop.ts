/**
 * Training: one loop over a `tf.data` pipeline. Each epoch runs every batch through one
 * optimiser step, measures the held-out batches, records its logs in the history, and calls
 * its hooks (`_hooks.ts`, set up in `_setup.ts`): a best-only checkpoint named by epoch and
 * loss and early stopping that restores the best weights (made in `callbacks.ts`), the
 * resumable state (`resume.ts`) and the caller's callbacks. A `signal`, a time budget or a
 * stop file (`controls.ts`, watched in `_stop.ts`) stop it at the next batch, dropping the
 * unfinished epoch. The running means and the held-out pass are in `_epoch_logs.ts`.
 *
 * The loop is written out (rather than `model.fitDataset`) so validation losses of
 * multi-output models are reported correctly, and so checkpoints are written atomically.
 * How a batch's gradients are computed (on this thread, through a fused loss, or split across
 * Workers) is the engine's gradient source (`lib/engine/gradient_source.ts`). The options and
 * the result are described in `train_options.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { StopReason } from "./controls.ts";
import type { TrainOptions, TrainResult } from "./train_options.ts";
import { type Batch, evaluate, PassLog, recordEpoch } from "./_epoch_logs.ts";
import { startTraining, trainResult } from "./_setup.ts";
import { releaseIterator } from "./_stop.ts";

export type {
  BatchLossFunction,
  EpochInfo,
  LossFunction,
  LossParts,
  TrainOptions,
  TrainResult,
} from "./train_options.ts";

/**
 * Trains `model` in place over `train` (elements `{xs, ys}`), epoch by epoch.
 *
 * @example Two epochs of a one-layer model on one batch
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 *
 * await tf.setBackend("cpu");
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
 * const batches = tf.data.generator(function* () {
 *   yield { xs: tf.tensor2d([[0, 1], [1, 0]]), ys: tf.tensor2d([[1], [-1]]) };
 * });
 * const result = await trainModel(model, batches, {
 *   loss: (ys, [out]) => ({ loss: tf.losses.meanSquaredError(ys as tf.Tensor, out) as tf.Scalar }),
 *   optimizer: tf.train.sgd(0.1),
 *   epochs: 2,
 * });
 * assert.deepEqual(result.history.epoch, [1, 2]); // one entry per epoch, numbered from 1
 * assert.ok(result.history.loss[1] < result.history.loss[0]); // the loss fell
 * ```
 *
 * @param model a model; compiled, unless `options.optimizer` is given
 * @param train batches of `{xs, ys}`; iterated afresh each epoch (a resumed run should pass
 *   a dataset whose first pass is the first epoch still to run)
 * @throws {Error} when there is no optimiser, or the dataset gives no batch; naming the file
 *   or setting when a resumed state cannot be read or does not fit
 */
export async function trainModel(
  model: tf.LayersModel,
  train: tf.data.Dataset<tf.TensorContainer>,
  options: TrainOptions,
): Promise<TrainResult> {
  // Set up: the optimiser, the gradient source, the state to start from (the first epoch, or
  // the resumable state) and the hooks.
  const run = await startTraining(model, train, options);
  const { optimizer, source, state, hooks } = run;
  let stop: { reason: StopReason; batches: number } | undefined;
  try {
    for (let epoch = state.initialEpoch; epoch < run.epochs && !state.stoppedEarly; epoch++) {
      // Begin the epoch: its running means, the epoch-begin hooks (the stop controls keep the
      // weights, the caller restarts its dropout seeds), a fresh pass over the batches.
      const pass = new PassLog();
      await hooks.epochBegin(epoch);
      source.startEpoch(epoch);
      const batches = await train.iterator();
      while (true) {
        // Stop here if asked (signal, time budget, stop file); release the batches made ahead.
        const reason = await hooks.beforeBatch();
        if (reason) {
          stop = { reason, batches: pass.batches };
          await releaseIterator(batches);
          break;
        }
        // Pick the next batch.
        const next = await batches.next();
        if (next.done) break;
        const { xs, ys } = next.value as unknown as Batch;
        // Forward pass, losses, backward pass: the gradient of the batch's total loss.
        const { grads, parts } = await source.gradients(xs, ys);
        // Optimiser step (no gradient clipping: the sources train without it).
        optimizer.applyGradients(grads);
        // Log the batch's losses and report the progress.
        pass.add(parts, xs);
        tf.dispose([xs, ys, grads, parts] as tf.TensorContainer[]);
        await hooks.batchEnd(epoch, pass);
      }
      if (stop) {
        // Drop the unfinished epoch: back to the weights of the last finished one.
        await hooks.stopped(stop.reason, stop.batches);
        break;
      }
      if (pass.samples === 0) throw new Error("trainModel: the training dataset gave no batches");
      // Evaluate on the held-out batches.
      const logs = { ...pass.means(), ...(await evaluate(source, options.validation)) };
      // Record the epoch in the history, and whether the monitored value improved.
      const improved = recordEpoch(state, { epoch, logs, monitor: run.monitor });
      // Epoch-end hooks: checkpoint, early stopping, resumable state, the caller's onEpochEnd.
      await hooks.epochEnd({ epoch, logs, improved, ...pass.totals() });
    }
    // Training is over: early stopping puts the best epoch's weights back.
    hooks.trainEnd();
  } finally {
    hooks.dispose();
    source.close();
  }
  return trainResult(state, stop);
}
