/**
 * Where a training batch's losses and gradients come from. The training loop asks one object
 * for "the losses of this batch and the gradient of their total" and applies the gradient
 * itself; {@linkcode createGradientSource} picks how that object computes it from the options:
 *
 * - on this thread (`workers` 1): `tf.variableGrads` over the model's forward pass and the
 *   loss, or over a fused batch loss (`batchLoss`) that gives the same values;
 * - across Workers (`workers` > 1): each batch is split between this thread and the Workers
 *   of `workers.ts`, whose gradients are averaged.
 *
 * Either way a held-out batch's losses come from this thread (`losses`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  createParallelGradients,
  outputsLoss,
  type ParallelBatchLoss,
  type ParallelLoss,
  type ParallelLossParts,
  type ParallelLossSpec,
} from "./workers.ts";
import { lossGradients } from "./_workers_wire.ts";

/** Options for {@linkcode createGradientSource}. */
export interface GradientSourceOptions {
  /** Turns a batch's targets and the model's outputs (in order) into named losses. */
  loss: ParallelLoss;
  /**
   * The same losses computed from a batch's inputs by a faster path (e.g. a fused batch
   * loss), used for the training and the held-out batches.
   * @default {loss(ys, model.apply(xs, {training}))}
   */
  batchLoss?: ParallelBatchLoss;
  /**
   * Gradient computations per batch, run in parallel: `2` splits each batch between this
   * thread and one Worker; needs `parallel.loss`. The model must have one input.
   * @default {1}
   */
  workers?: number;
  /**
   * With `workers` > 1: the loss by module and name (Workers cannot receive `loss`, a
   * closure; it must compute the same losses) and the seed of the Workers' dropout masks.
   */
  parallel?: { loss: ParallelLossSpec; seed?: number };
}

/** A training batch's losses and the gradient of their total. */
export interface SourcedGradients {
  /** Gradient of `parts.loss` per trainable variable name (caller disposes). */
  grads: tf.NamedTensorMap;
  /** The batch's losses by name, `loss` the total (caller disposes). */
  parts: ParallelLossParts;
}

/** The losses and gradients of batches; see the module docs. */
export interface GradientSource {
  /** Called before each epoch's first batch (restarts the Workers' dropout streams). */
  startEpoch(epoch: number): void;
  /**
   * A training batch's losses and gradient: `xs` `[batch, ...]` (or one such tensor per
   * input), `ys` tensors with the same first dimension; neither is changed nor disposed.
   *
   * @throws {Error} with `workers` > 1, when `xs` is an array (a model with several inputs)
   */
  gradients(xs: tf.Tensor | tf.Tensor[], ys: tf.TensorContainer): Promise<SourcedGradients>;
  /** A held-out batch's losses, with `training` false (caller disposes). */
  losses(xs: tf.Tensor | tf.Tensor[], ys: tf.TensorContainer): ParallelLossParts;
  /** Ends the Workers, if any; safe to call twice. */
  close(): void;
}

/**
 * The gradient source `options` ask for: this thread's, or (with `workers` > 1) one that
 * starts `workers - 1` Workers; `close()` it when done.
 *
 * @example One training step on this thread
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 *
 * await tf.setBackend("cpu");
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
 * const source = await createGradientSource(model, {
 *   loss: (ys, [out]) => ({ loss: tf.losses.meanSquaredError(ys as tf.Tensor, out) as tf.Scalar }),
 * });
 * const [xs, ys] = [tf.ones([4, 2]), tf.zeros([4, 1])];
 * const { grads, parts } = await source.gradients(xs, ys);
 * tf.train.sgd(0.1).applyGradients(grads);
 * console.log(Object.keys(grads).length, parts.loss.dataSync()[0] >= 0); // 2 true
 * tf.dispose([xs, ys, grads, parts]);
 * source.close();
 * ```
 *
 * @param model a built model whose outputs `loss` reads (used in place, not copied)
 * @throws {Error} when `workers` > 1 without `parallel.loss`, or a Worker fails to start (see
 *   `createParallelGradients`)
 */
export async function createGradientSource(
  model: tf.LayersModel,
  options: GradientSourceOptions,
): Promise<GradientSource> {
  const lossOf = options.batchLoss ?? outputsLoss(model, options.loss);
  const losses = (xs: tf.Tensor | tf.Tensor[], ys: tf.TensorContainer) =>
    tf.tidy(() =>
      lossOf(xs, ys, false) as unknown as tf.TensorContainer
    ) as unknown as ParallelLossParts;
  const workers = options.workers ?? 1;
  if (workers <= 1) {
    return {
      startEpoch() {},
      gradients: (xs, ys) => Promise.resolve(ownGradients(lossOf, xs, ys)),
      losses,
      close() {},
    };
  }
  if (!options.parallel?.loss) {
    throw new Error(
      `workers: ${workers} needs parallel.loss: the loss as a module URL, an export name and ` +
        "its arguments, for the Workers to import",
    );
  }
  const parallel = await createParallelGradients(model, { workers, ...options.parallel });
  return {
    startEpoch: (epoch) => parallel.startEpoch(epoch),
    async gradients(xs, ys) {
      if (Array.isArray(xs)) {
        throw new Error(
          `workers: ${workers} take a model with one input; this model has ${xs.length} ` +
            "(set train.workers to 1)",
        );
      }
      const { grads, parts } = await parallel.gradients(xs, ys);
      return { grads, parts };
    },
    losses,
    close: () => parallel.close(),
  };
}

/**
 * The batch's losses and the gradient of their total on this thread, over every trainable
 * variable the loss reaches (as `optimizer.minimize` computes it).
 */
function ownGradients(
  lossOf: ParallelBatchLoss,
  xs: tf.Tensor | tf.Tensor[],
  ys: tf.TensorContainer,
): SourcedGradients {
  const { value, grads, kept } = lossGradients(lossOf, { xs, ys });
  return { grads, parts: { ...kept, loss: value } as ParallelLossParts };
}
