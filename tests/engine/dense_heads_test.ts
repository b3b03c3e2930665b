import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { activeBlas, loadBlas, setActiveBlas } from "../../lib/engine/blas.ts";
import { denseHeadsLoss, type TypedLoss } from "../../lib/engine/dense_heads.ts";

await tf.setBackend("cpu");

const system = loadBlas({ library: "auto" });
const needsBlas = system.blas == null ? ` (ignored: ${system.reason})` : "";

/** Deterministic values in [-scale, scale). */
function values(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647 * 2 - 1) * scale;
  });
}

/** Half the mean squared error, as a typed loss. */
const halfMse: TypedLoss = ({ pred, target, grad, rows, cols }) => {
  const n = rows * cols;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const d = pred[k] - target[k];
    sum += d * d / 2;
    grad[k] = d / n;
  }
  return sum / n;
};

/** Two heads on a [4, 5] hidden state, the second without bias. */
function setup() {
  const hidden = tf.variable(tf.tensor2d(values(20, 1), [4, 5]));
  const k1 = tf.variable(tf.tensor2d(values(15, 2), [5, 3]));
  const b1 = tf.variable(tf.tensor1d(values(3, 3)));
  const k2 = tf.variable(tf.tensor2d(values(10, 4), [5, 2]));
  const t1 = values(12, 5);
  const t2 = values(8, 6);
  const heads = () => [
    { kernel: k1 as tf.Tensor2D, bias: b1 as tf.Tensor1D, target: t1, loss: halfMse, weight: 0.5 },
    { kernel: k2 as tf.Tensor2D, bias: null, target: t2, loss: halfMse, weight: 2 },
  ];
  // The same loss in tensor ops.
  const reference = () => {
    const out1 = tf.add(tf.matMul(hidden, k1), b1);
    const out2 = tf.matMul(hidden, k2);
    const part = (out: tf.Tensor, t: Float32Array) =>
      tf.div(tf.mean(tf.square(tf.sub(out, tf.tensor(t, out.shape)))), 2);
    return tf.add(tf.mul(0.5, part(out1, t1)), tf.mul(2, part(out2, t2))) as tf.Scalar;
  };
  return { hidden, vars: [hidden, k1, b1, k2], heads, reference };
}

function assertSameGradients() {
  const { hidden, vars, heads, reference } = setup();
  const want = tf.variableGrads(reference, vars);
  const got = tf.variableGrads(() => denseHeadsLoss(hidden, heads()).loss, vars);
  assert.ok(Math.abs(got.value.dataSync()[0] - want.value.dataSync()[0]) < 1e-6, "loss");
  for (const v of vars) {
    const a = got.grads[v.name].dataSync();
    const b = want.grads[v.name].dataSync();
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-6, `${v.name}[${i}]: ${x} vs ${b[i]}`));
  }
  const result = denseHeadsLoss(hidden, heads());
  assert.equal(result.parts.length, 2);
  assert.equal(result.outputs[1].length, 8);
  tf.dispose([...vars]);
}

Deno.test("denseHeadsLoss() gives the loss and gradients of the heads as tensor ops", () => {
  const saved = activeBlas();
  setActiveBlas(null);
  try {
    assertSameGradients();
  } finally {
    setActiveBlas(saved);
  }
});

Deno.test({
  name:
    `denseHeadsLoss() gives the same loss and gradients with its products on the BLAS${needsBlas}`,
  ignore: system.blas == null,
  fn: () => {
    const saved = activeBlas();
    setActiveBlas(system.blas);
    try {
      assertSameGradients();
    } finally {
      setActiveBlas(saved);
    }
  },
});

Deno.test("denseHeadsLoss() names the head whose kernel does not fit the hidden state", () => {
  const { hidden, heads } = setup();
  const wrong = heads();
  wrong[1].kernel = tf.zeros([4, 2]) as tf.Tensor2D;
  assert.throws(() => denseHeadsLoss(hidden, wrong), /head 1: expected a kernel of 5 rows, got 4/);
});
