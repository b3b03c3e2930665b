import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/engine/backend.ts";
import { installWasmSegmentSum } from "../../lib/engine/_wasm_segment_sum.ts";

Deno.test("the wasm UnsortedSegmentSum kernel sums rows as the cpu backend does, so embeddings train on wasm", async () => {
  await tf.setBackend("cpu");
  const x = [[1, 2], [3, 4], [5, 6], [7, 8]];
  const ids = [2, 0, 2, 9];
  const expected = tf.tidy(() =>
    tf.unsortedSegmentSum(tf.tensor2d(x), tf.tensor1d(ids, "int32"), 3).arraySync()
  );
  await selectBackend({ backend: "wasm", wasmThreads: 1 });
  assert.equal(installWasmSegmentSum(), false, "selectBackend installed it already");
  const before = tf.memory().numTensors;
  const actual = tf.tidy(() =>
    tf.unsortedSegmentSum(tf.tensor2d(x), tf.tensor1d(ids, "int32"), 3).arraySync()
  );
  assert.deepEqual(actual, expected);
  assert.deepEqual(actual, [[3, 4], [0, 0], [6, 8]], "id 9 is outside 0..2 and dropped");
  // An Embedding's gradient: each id's row collects the gradients of its uses.
  const table = tf.tidy(() => tf.variable(tf.zeros([4, 2])));
  const grads = tf.variableGrads(
    () => tf.sum(tf.mul(tf.gather(table, tf.tensor1d([1, 3, 1], "int32")), [[1, 2]])),
    [table],
  );
  assert.deepEqual(grads.grads[table.name].arraySync(), [[0, 0], [2, 4], [0, 0], [1, 2]]);
  tf.dispose([table, grads.value, ...Object.values(grads.grads)]);
  assert.equal(tf.memory().numTensors, before);
  await tf.setBackend("cpu");
});
