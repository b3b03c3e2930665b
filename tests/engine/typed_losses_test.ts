import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  mseWithPositivePressure,
  sparseCategoricalCrossentropyFromLogits,
} from "../../lib/tutorial/model.ts";
import { sparseAccuracy } from "../../lib/train/accuracy.ts";
import {
  mseWithPositivePressureTyped,
  sparseAccuracyTyped,
  sparseCrossentropyFromLogitsTyped,
} from "../../lib/engine/typed_losses.ts";
import { assertClose } from "../_helpers.ts";

await tf.setBackend("cpu");

/** The value and the gradient with respect to `pred` of a tensor loss, as typed arrays. */
function tensorLossAndGrad(
  loss: (target: tf.Tensor, pred: tf.Tensor) => tf.Scalar,
  target: tf.Tensor,
  pred: tf.Tensor,
): { value: number; grad: Float32Array } {
  const { value, grads } = tf.tidy(() => {
    const v = tf.variable(pred);
    const out = tf.variableGrads(() => loss(target, v), [v]);
    return { value: tf.keep(out.value), grads: tf.keep(out.grads[v.name]) };
  });
  return { value: value.dataSync()[0], grad: grads.dataSync() as Float32Array };
}

Deno.test("mseWithPositivePressureTyped() gives the tensor loss's value and gradient", () => {
  const pred = Float32Array.of(0.5, -0.2, 2, -1.5, 0.25);
  const target = Float32Array.of(1, 0, 2, 0.5, 0.1);
  const grad = new Float32Array(5);
  const value = mseWithPositivePressureTyped({ pred, target, grad, rows: 5, cols: 1 });
  const expected = tensorLossAndGrad(
    mseWithPositivePressure,
    tf.tensor2d(target, [5, 1]),
    tf.tensor2d(pred, [5, 1]),
  );
  assertClose(value, expected.value, 1e-6, "value");
  grad.forEach((g, i) => assertClose(g, expected.grad[i], 1e-6, `grad[${i}]`));
});

Deno.test("sparseCrossentropyFromLogitsTyped() gives the tensor loss's value and gradient", () => {
  const rows = 4;
  const classes = 6;
  const logits = Float32Array.from({ length: rows * classes }, (_, i) => Math.sin(i * 1.7) * 3);
  const labels = Float32Array.of(0, 5, 2, 2);
  const grad = new Float32Array(rows * classes);
  const value = sparseCrossentropyFromLogitsTyped({
    pred: logits,
    target: labels,
    grad,
    rows,
    cols: classes,
  });
  const expected = tensorLossAndGrad(
    sparseCategoricalCrossentropyFromLogits,
    tf.tensor1d(labels, "int32"),
    tf.tensor2d(logits, [rows, classes]),
  );
  assertClose(value, expected.value, 1e-5, "value");
  grad.forEach((g, i) => assertClose(g, expected.grad[i], 1e-6, `grad[${i}]`));
});

Deno.test("sparseAccuracyTyped() gives sparseAccuracy's share of rows whose top score is the label", () => {
  const scores = Float32Array.of(0.1, 0.7, 0.2, 0.5, 0.4, 0.1, 0.3, 0.3, 0.4, 0.2, 0.2, 0.6);
  const labels = Float32Array.of(1, 1, 2, 0);
  const expected = sparseAccuracy(tf.tensor1d(labels, "int32"), tf.tensor2d(scores, [4, 3]));
  assert.equal(sparseAccuracyTyped(scores, labels), 0.5);
  assertClose(sparseAccuracyTyped(scores, labels), expected.dataSync()[0], 1e-7, "accuracy");
});
