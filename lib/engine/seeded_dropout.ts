/**
 * Seeded dropout that still draws a fresh mask for every batch.
 *
 * tfjs offers two kinds of dropout randomness, neither usable for reproducible training:
 * without a seed, masks come from `Math.random` (not repeatable); with a seed
 * (`tf.layers.dropout({seed})`), every call draws the *same* mask, so the same units are
 * dropped in every batch of the run. Here each call draws its seed from a stream that
 * restarts at every epoch from `(seed, epoch)`: repeatable, different for every batch, and
 * the same after a resume as in an uninterrupted run.
 *
 * - Dropout layers: {@linkcode seedDropoutLayers} gives each call a fresh seed while training.
 * - LSTM `dropout` / `recurrentDropout` (tf.layers.lstm and the fused LSTM): the layer's
 *   `dropoutFunc` ({@linkcode withSeededDropout}) draws masks from the same stream.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type LstmFactory, lstmFactory } from "./fused_lstm.ts";
import { mulberry32 } from "../random/random.ts";
import { deriveSeed, SEED_TAG } from "../random/seeds.ts";

/** A stream of dropout seeds that restarts at every epoch. */
export interface DropoutSeeds {
  /** Restarts the stream for `epoch` (0-based); call before the epoch's first batch. */
  startEpoch(epoch: number): void;
  /** The next seed (an integer in [0, 2^31)). */
  next(): number;
}

/** A dropout seed stream for a run's `seed` (positioned at epoch 0). */
export function dropoutSeeds(seed: number): DropoutSeeds {
  let random = mulberry32(deriveSeed(seed, SEED_TAG.dropout, 0));
  return {
    startEpoch(epoch: number) {
      random = mulberry32(deriveSeed(seed, SEED_TAG.dropout, epoch));
    },
    next() {
      return Math.floor(random() * 2147483648);
    },
  };
}

/** Wraps an LSTM factory so its layers draw dropout masks from `seeds`. */
export function withSeededDropout(factory: LstmFactory, seeds: DropoutSeeds): LstmFactory {
  const dropoutFunc = (ones: tf.Tensor, rate: number) =>
    tf.dropout(ones, rate, undefined, seeds.next());
  return (config) => factory({ ...config, dropoutFunc });
}

/**
 * Makes every `Dropout` layer of `model` draw its mask from `seeds`, one seed per call while
 * training (inference is unchanged). Changes the layers in place; the saved model is the same.
 *
 * @returns the number of layers changed
 */
export function seedDropoutLayers(model: tf.LayersModel, seeds: DropoutSeeds): number {
  let changed = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== "Dropout") continue;
    const fields = layer as unknown as { seed?: number };
    const call = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => {
      if (kwargs?.["training"] !== true) return call(inputs, kwargs);
      const saved = fields.seed;
      fields.seed = seeds.next();
      try {
        return call(inputs, kwargs);
      } finally {
        fields.seed = saved;
      }
    };
    changed++;
  }
  return changed;
}

/** A model whose dropout draws from a seeded stream, and that stream. */
export interface SeededModel {
  model: tf.LayersModel;
  /** Restart it at each epoch (`startEpoch`) so every epoch's masks repeat for the seed. */
  seeds: DropoutSeeds;
}

/** Options for {@linkcode buildWithSeededDropout}. */
export interface BuildWithSeededDropoutOptions {
  /**
   * The run's seed, which the dropout stream derives from.
   * @default {0}
   */
  seed?: number;
  /**
   * The LSTM implementation the model is built with.
   * @default {lstmFactory("fused")}
   */
  lstmLayer?: LstmFactory;
}

/**
 * Builds a model whose every dropout (the LSTMs' recurrent dropout and the `Dropout` layers)
 * draws its masks from one seeded stream, so training repeats exactly for a seed.
 *
 * @param build builds the model with the LSTM factory it is given
 */
export function buildWithSeededDropout(
  build: (lstmLayer: LstmFactory) => tf.LayersModel,
  options: BuildWithSeededDropoutOptions = {},
): SeededModel {
  const seeds = dropoutSeeds(options.seed ?? 0);
  const model = build(withSeededDropout(options.lstmLayer ?? lstmFactory("fused"), seeds));
  seedDropoutLayers(model, seeds);
  return { model, seeds };
}
