import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  encodeIds,
  idsTensor,
  idWindowInputs,
  probabilitiesToLogits,
  scaleId,
} from "../../lib/classic/encode.ts";
import { classicWindows, gatherClassicBatch } from "../../lib/classic/windows.ts";

await tf.setBackend("cpu");

Deno.test("encodeIds() divides each id by the vocabulary size, as the windows do", () => {
  assert.deepEqual(Array.from(encodeIds([0, 2, 3], 4)), [0, 0.5, 0.75]);
  assert.equal(scaleId(3, 4), 0.75);
  const index = classicWindows([[0, 2, 3, 1]], { sequenceLength: 3, vocabSize: 4 });
  const batch = gatherClassicBatch(index, [0]);
  assert.deepEqual(batch.xs.dataSync(), encodeIds([0, 2, 3], 4));
  assert.deepEqual(Array.from(batch.ys.dataSync()), [1]);
  tf.dispose([batch.xs, batch.ys]);
  const x = idsTensor([0, 2, 3], 4);
  assert.deepEqual(x.shape, [1, 3, 1]);
  x.dispose();
});

Deno.test("idWindowInputs() scales ids for a scaled model, keeps them for an embedding, and checks their count", () => {
  const ids = Int32Array.of(0, 2, 3, 1);
  const scaled = idWindowInputs(ids, [2, 2], { vocabSize: 4 });
  assert.deepEqual(scaled.shape, [2, 2, 1]); // [batch, ids, 1]
  assert.deepEqual(Array.from(scaled.dataSync()), [0, 0.5, 0.75, 0.25]);
  const embedded = idWindowInputs(ids, [2, 2], { vocabSize: 4, input: "embedding" });
  assert.deepEqual(embedded.shape, [2, 2]); // [batch, ids]
  assert.deepEqual(Array.from(embedded.dataSync()), [0, 2, 3, 1]);
  tf.dispose([scaled, embedded]);
  assert.throws(
    () => idWindowInputs(ids, [3, 2], { vocabSize: 4 }),
    /idWindowInputs: expected 3 x 2 = 6 ids, got 4/,
  );
});

Deno.test("probabilitiesToLogits() gives log p, and -Infinity for a zero probability", () => {
  const logits = probabilitiesToLogits([0.5, 0, 0.25]);
  assert.equal(logits[0], Math.log(0.5));
  assert.equal(logits[1], -Infinity);
  assert.equal(logits[2], Math.log(0.25));
});
