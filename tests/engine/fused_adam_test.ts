import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { fusedAdam } from "../../lib/engine/fused_adam.ts";

await tf.setBackend("cpu");

/** Takes `steps` steps of `optimizer` on sum((w - target)^4) from fixed start values. */
function descend(optimizer: tf.Optimizer, w: tf.Variable, steps: number): void {
  const target = tf.tensor1d([1, -2, 3, 0.5, -0.25, 0]);
  for (let i = 0; i < steps; i++) {
    optimizer.minimize(() => tf.sum(tf.pow(tf.sub(w, target), 4)) as tf.Scalar, false, [w]);
  }
  target.dispose();
}

const start = () => tf.variable(tf.tensor1d([0, 0.5, -1, 2, 0.1, -3]));

Deno.test("fusedAdam() takes the steps of tf.train.adam", () => {
  const a = start();
  const b = start();
  descend(fusedAdam(0.05), a, 20);
  descend(tf.train.adam(0.05), b, 20);
  const got = a.dataSync();
  const want = b.dataSync();
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-5, `w[${i}]: ${x} vs ${want[i]}`));
  assert.ok(Math.abs(want[0] - 0) > 0.1, "the steps moved the weights");
  tf.dispose([a, b]);
});

Deno.test("fusedAdam() resumes from its saved state as if never stopped", async () => {
  const whole = start();
  descend(fusedAdam(0.05), whole, 10);
  const resumed = start();
  const first = fusedAdam(0.05);
  descend(first, resumed, 4);
  const state = await first.getWeights();
  assert.deepEqual(
    state.map((s) => s.name).slice(1).map((n) => n.replace(/^.*\//, "")),
    ["m", "v"],
  );
  const second = fusedAdam(0.05);
  await second.setWeights(state.map((s) => ({ name: s.name, tensor: s.tensor.clone() })));
  descend(second, resumed, 6);
  const got = resumed.dataSync();
  const want = whole.dataSync();
  // setWeights recomputes beta^t from the iteration count, as AdamOptimizer does: float32
  // rounding apart, the same steps.
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-5, `w[${i}]: ${x} vs ${want[i]}`));
  tf.dispose([whole, resumed]);
});
