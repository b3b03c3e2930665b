/**
 * A model's layers as table rows: {@linkcode modelSummaryRows}, Keras's `model.summary()` for
 * either family, and {@linkcode layerShapes}, by shape, so a model put together by hand in a
 * notebook cell can be compared with the one `lib/` builds: same output shapes, same weight shapes, same
 * parameter counts, layer by layer. Names and layer classes are left out on purpose: the
 * hand-built model uses `tf.layers.lstm` where `lib/` may use its fused LSTM, which has the
 * same weights and computes the same function faster.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** One layer of a model as {@linkcode layerShapes} lists it. */
export interface LayerShape {
  /** Output shape, `batch` for the free batch dimension, e.g. `[batch,128]`. */
  outputShape: string;
  /** Shapes of its weights in order, e.g. `[3,512] [128,512] [512]` (empty: none). */
  weightShapes: string;
  /** Number of parameters (all weights, trainable or not). */
  params: number;
}

/**
 * Lists a model's layers, input layers left out, in the model's order: output shape,
 * weight shapes and parameter count. The model is not changed.
 */
export function layerShapes(model: tf.LayersModel): LayerShape[] {
  const shape = (s: unknown) => JSON.stringify(s).replaceAll("null", "batch");
  return model.layers
    .filter((layer) => layer.getClassName() !== "InputLayer")
    .map((layer) => ({
      outputShape: shape(layer.outputShape),
      weightShapes: layer.weights.map((w) => shape(w.shape)).join(" "),
      params: layer.countParams(),
    }));
}

/** One row of a model summary. */
export interface LayerSummary {
  layer: string;
  type: string;
  outputShape: string;
  params: number;
}

/** The model's layers as table rows (name, type, output shape, parameter count). */
export function modelSummaryRows(model: tf.LayersModel): LayerSummary[] {
  return model.layers.map((l) => ({
    layer: l.name,
    type: l.getClassName(),
    outputShape: JSON.stringify(l.outputShape).replaceAll("null", "batch"),
    params: l.countParams(),
  }));
}
