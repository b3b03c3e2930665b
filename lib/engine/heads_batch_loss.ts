/**
 * A model's losses computed straight from a batch's inputs when the model ends in Dense heads
 * with a linear activation, each with its own loss: the layers up to the heads run as tfjs
 * layers, and the heads with their losses as one op (`denseHeadsLoss` of `dense_heads.ts`,
 * losses from `typed_losses.ts`). Which heads, which loss each has and its weight is all the
 * family says ({@linkcode HeadLoss}); the values and gradients are those of the family's
 * tensor loss on the model's outputs (tests check the tutorial's).
 *
 * Workers load the batch loss by module and name: {@linkcode denseHeadsBatchLossSpec}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { denseHeadsLoss, type TypedLoss } from "./dense_heads.ts";
import {
  mseWithPositivePressureTyped,
  sparseAccuracyTyped,
  sparseCrossentropyFromLogitsTyped,
} from "./typed_losses.ts";
import type { ParallelBatchLoss, ParallelLossParts } from "./_workers_wire.ts";

/**
 * The loss of a head: `"crossentropyFromLogits"` (sparse categorical cross-entropy of the
 * head's logits against class ids, with its accuracy as a metric) or
 * `"mseWithPositivePressure"` (mean squared error plus `10 * max(-prediction, 0)`).
 */
export type HeadLossKind = "crossentropyFromLogits" | "mseWithPositivePressure";

/** One head of a model and its loss (plain JSON, so Workers can receive it). */
export interface HeadLoss {
  /** The head's Dense layer, which is also the model output and the target's key. */
  name: string;
  kind: HeadLossKind;
  /** Weight of this head's loss in the total `loss`. */
  weight: number;
}

/** The typed form of each loss kind. */
const TYPED_LOSSES: Readonly<Record<HeadLossKind, TypedLoss>> = {
  crossentropyFromLogits: sparseCrossentropyFromLogitsTyped,
  mseWithPositivePressure: mseWithPositivePressureTyped,
};

/**
 * The losses of `model`'s Dense heads as one function of a batch's inputs, targets and the
 * training flag, as the training loop takes it (`batchLoss`): `loss` (the weighted sum),
 * `<name>_loss` for each head and `<name>_accuracy` for each cross-entropy head, the same
 * values and gradients as the tensor losses on `model.apply(xs, {training})`.
 *
 * Targets are a record keyed by head name: `[batch]` class ids for a cross-entropy head,
 * `[batch, units]` values for the others.
 *
 * @param model a model whose named heads all read one tensor (its layers are read, not
 *   changed)
 * @param heads the heads and their losses, in the order the parts are reported
 * @throws {Error} naming the head when it is not a linear Dense layer, a loss kind is
 *   unknown, or the heads read different tensors; the returned function throws naming the
 *   head when a target is missing or a class id is out of range
 */
export function denseHeadsBatchLoss(
  model: tf.LayersModel,
  heads: readonly HeadLoss[],
): ParallelBatchLoss {
  if (heads.length === 0) throw new Error("denseHeadsBatchLoss: expected at least one head");
  const layers = heads.map((head) => {
    const layer = model.getLayer(head.name);
    const activation = layer.getConfig().activation;
    if (layer.getClassName() !== "Dense" || activation !== "linear") {
      throw new Error(
        `denseHeadsBatchLoss: expected head "${head.name}" to be a linear Dense layer, got ` +
          `${layer.getClassName()} (${activation ?? "no activation"})`,
      );
    }
    if (!(head.kind in TYPED_LOSSES)) {
      throw new Error(
        `denseHeadsBatchLoss: head "${head.name}": expected a loss kind of ` +
          `${Object.keys(TYPED_LOSSES).join(", ")}, got ${JSON.stringify(head.kind)}`,
      );
    }
    return layer;
  });
  const hiddenInput = layers[0].input as tf.SymbolicTensor;
  layers.forEach((layer, i) => {
    if (layer.input !== hiddenInput) {
      throw new Error(
        `denseHeadsBatchLoss: expected every head to read the tensor "${heads[0].name}" ` +
          `reads, but "${heads[i].name}" reads another`,
      );
    }
  });
  // The layers up to the heads (the LSTM, and a Dropout after it when there is one).
  const body = tf.model({ inputs: model.inputs, outputs: hiddenInput });
  const units = layers.map((layer) => layer.getConfig().units as number);
  return (xs, ys, training) => {
    const targets = ys as Record<string, tf.Tensor | undefined>;
    const arrays = heads.map((head, i) => {
      const target = targets[head.name];
      if (!(target instanceof tf.Tensor)) {
        throw new Error(`denseHeadsBatchLoss: expected a target "${head.name}", got none`);
      }
      const values = Float32Array.from(target.dataSync());
      if (head.kind === "crossentropyFromLogits") {
        const wrong = values.findIndex((p) => !(p >= 0 && p < units[i] && Number.isInteger(p)));
        if (wrong >= 0) {
          throw new Error(
            `denseHeadsBatchLoss: expected ${head.name} labels 0..${units[i] - 1}, got ` +
              `${values[wrong]} at row ${wrong}`,
          );
        }
      }
      return values;
    });
    const hidden = body.apply(xs, { training }) as tf.Tensor2D;
    const result = denseHeadsLoss(
      hidden,
      heads.map((head, i) => {
        const [kernel, bias] = layers[i].trainableWeights.map((w) => w.read());
        return {
          kernel: kernel as tf.Tensor2D,
          bias: (bias ?? null) as tf.Tensor1D | null,
          target: arrays[i],
          loss: TYPED_LOSSES[head.kind],
          weight: head.weight,
        };
      }),
    );
    const parts: ParallelLossParts = { loss: result.loss };
    heads.forEach((head, i) => parts[`${head.name}_loss`] = tf.scalar(result.parts[i]));
    heads.forEach((head, i) => {
      if (head.kind !== "crossentropyFromLogits") return;
      parts[`${head.name}_accuracy`] = tf.scalar(sparseAccuracyTyped(result.outputs[i], arrays[i]));
    });
    return parts;
  };
}

/** A function by module (a URL) and exported name, with its arguments (plain JSON). */
export interface FunctionSpec {
  module: string;
  name: string;
  args: unknown[];
}

/**
 * {@linkcode denseHeadsBatchLoss} with these heads by module and name, for Workers
 * (`ParallelLossSpec.batchLoss` of `workers.ts`): each thread makes it for its replica.
 */
export function denseHeadsBatchLossSpec(heads: readonly HeadLoss[]): FunctionSpec {
  return {
    module: new URL("./heads_batch_loss.ts", import.meta.url).href,
    name: "denseHeadsBatchLoss",
    args: [heads],
  };
}
