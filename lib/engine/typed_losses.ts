/**
 * Losses on typed arrays (`TypedLoss` of `dense_heads.ts`): each returns the mean loss of a
 * batch and writes its gradient with respect to the predictions, in plain loops. They are the
 * typed forms of the lesson's tensor losses (`mseWithPositivePressure` and
 * `sparseCategoricalCrossentropyFromLogits` in `lib/tutorial/model.ts`), tested to give the
 * same values and gradients.
 *
 * @module
 */
import type { TypedLossArrays } from "./dense_heads.ts";

/**
 * Mean squared error with positive pressure: returns the mean of
 * `(y - p)^2 + 10 * max(-p, 0)` and writes its gradient with respect to `pred` into `grad`.
 *
 * @param arrays `pred` and `target` `[rows, cols]` (not changed), `grad` (written)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mseWithPositivePressureTyped } from "midi-lstm/engine";
 *
 * // one prediction 0.1 below zero against a target of 0: 0.01 + 10 * 0.1
 * const grad = new Float32Array(1);
 * const loss = mseWithPositivePressureTyped({
 *   pred: Float32Array.of(-0.1),
 *   target: Float32Array.of(0),
 *   grad,
 *   rows: 1,
 *   cols: 1,
 * });
 * assert.ok(Math.abs(loss - 1.01) < 1e-6);
 * ```
 */
export function mseWithPositivePressureTyped(arrays: TypedLossArrays): number {
  const { pred, target, grad, rows, cols } = arrays;
  const count = rows * cols;
  let sum = 0;
  for (let k = 0; k < count; k++) {
    const p = pred[k];
    const d = target[k] - p;
    sum += d * d + (p < 0 ? -10 * p : 0);
    grad[k] = (-2 * d + (p < 0 ? -10 : 0)) / count;
  }
  return sum / count;
}

/**
 * Sparse categorical cross-entropy from logits: returns the mean over rows of
 * `-log softmax(logits)[label]` and writes its gradient, `(softmax - oneHot) / rows`, into
 * `grad`.
 *
 * @param arrays `pred`: logits `[rows, cols]` and `target`: `[rows]` class ids (not changed);
 *   `grad` (written)
 */
export function sparseCrossentropyFromLogitsTyped(arrays: TypedLossArrays): number {
  const { pred: logits, target: labels, grad, rows, cols: classes } = arrays;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[o + j]);
    let total = 0;
    for (let j = 0; j < classes; j++) total += grad[o + j] = Math.exp(logits[o + j] - max);
    const label = labels[r];
    sum += Math.log(total) + max - logits[o + label];
    const scale = 1 / (total * rows);
    for (let j = 0; j < classes; j++) grad[o + j] *= scale;
    grad[o + label] -= 1 / rows;
  }
  return sum / rows;
}

/**
 * Share of rows whose largest score (the first, on ties) is at the label.
 *
 * @param scores `[rows, classes]` logits or probabilities
 * @param labels `[rows]` class ids
 */
export function sparseAccuracyTyped(
  scores: Float32Array,
  labels: Float32Array,
): number {
  const rows = labels.length;
  const classes = rows === 0 ? 0 : scores.length / rows;
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < classes; j++) {
      if (scores[r * classes + j] > scores[r * classes + best]) best = j;
    }
    if (best === labels[r]) hits++;
  }
  return hits / Math.max(1, rows);
}
