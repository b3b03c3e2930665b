import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  classicDataset,
  classicLabels,
  classicWindowIndex,
  classicWindows,
  gatherClassicWindows,
} from "../../lib/classic/windows.ts";

await tf.setBackend("cpu");

Deno.test("classicWindows() cuts each file into windows labelled with the next id", () => {
  const files = [[0, 1, 2, 3, 4], [5, 6, 7, 8]];
  const w = classicWindows(files, { vocabSize: 10, sequenceLength: 3 });
  // 5 - 3 = 2 windows from the first file, 4 - 3 = 1 from the second.
  assert.equal(w.count, 3);
  assert.equal(w.sequenceLength, 3);
  assert.deepEqual(Array.from(w.labels), [3, 4, 8]);
  assert.deepEqual(Array.from(w.fileOfWindow), [0, 0, 1]);
  assert.ok(w.labels instanceof Int32Array && w.inputs instanceof Float32Array);
  // Inputs are ids divided by the vocabulary size, [count, sequenceLength] row-major.
  const expected = [[0, 1, 2], [1, 2, 3], [5, 6, 7]].flat().map((id) => Math.fround(id / 10));
  assert.deepEqual(Array.from(w.inputs), expected);
});

Deno.test("classicWindows() with crossFiles joins the files as the notebooks did", () => {
  const files = [[0, 1, 2, 3, 4], [5, 6, 7, 8]];
  const w = classicWindows(files, { vocabSize: 10, sequenceLength: 3, crossFiles: true });
  // 9 tokens - 3 = 6 windows (the notebooks' len(notes) - sequence_length).
  assert.equal(w.count, 6);
  assert.deepEqual(Array.from(w.labels), [3, 4, 5, 6, 7, 8]);
  // A window belongs to the file of its first token.
  assert.deepEqual(Array.from(w.fileOfWindow), [0, 0, 0, 0, 0, 1]);
  // The window starting at id 3 spans the boundary: 3 4 | 5 -> 6.
  assert.deepEqual(Array.from(w.inputs.subarray(9, 12)), [0.3, 0.4, 0.5].map(Math.fround));
});

Deno.test("classicLabels() gives each window's next id, the labels classicWindows() gathers", () => {
  const files = [[1, 2, 3, 4, 5], [6, 7, 8, 0]];
  const options = { sequenceLength: 2, vocabSize: 9 };
  const index = classicWindowIndex(files, options);
  assert.deepEqual(Array.from(classicLabels(index)), [3, 4, 5, 8, 0]);
  assert.deepEqual(classicLabels(index), classicWindows(files, options).labels);
});

Deno.test("classicWindowIndex() skips files too short for a window and needs one window somewhere", () => {
  const index = classicWindowIndex([[1, 2], [1, 2, 3, 4]], { vocabSize: 5, sequenceLength: 3 });
  assert.equal(index.count, 1);
  assert.deepEqual(Array.from(index.fileOfWindow), [1]);
  assert.throws(
    () => classicWindowIndex([[1, 2], [3]], { vocabSize: 5, sequenceLength: 3 }),
    /sequenceLength: 3 needs at least 4 tokens in a file, but the longest of 2 has 2/,
  );
});

Deno.test("classicWindowIndex() names the file and position of an id outside the vocabulary", () => {
  assert.throws(
    () => classicWindowIndex([[0, 1, 2, 3], [0, 7, 1, 1]], { vocabSize: 5, sequenceLength: 2 }),
    /file 1, token 1: expected an id in 0\.\.4, got 7/,
  );
  assert.throws(
    () => classicWindowIndex([[0, 1.5, 2]], { vocabSize: 5, sequenceLength: 1 }),
    /file 0, token 1: expected an id in 0\.\.4, got 1\.5/,
  );
  assert.throws(
    () => classicWindowIndex([[0, 1, 2]], { vocabSize: 5, sequenceLength: 0 }),
    /sequenceLength: expected a positive integer, got 0/,
  );
  assert.throws(
    () => classicWindowIndex([[0, 1, 2]], { vocabSize: 0 }),
    /vocabSize: expected a positive integer, got 0/,
  );
});

Deno.test("gatherClassicWindows() copies the chosen windows in the order given", () => {
  const index = classicWindowIndex([[0, 1, 2, 3, 4]], { vocabSize: 5, sequenceLength: 2 });
  const batch = gatherClassicWindows(index, [2, 0]);
  assert.equal(batch.count, 2);
  assert.deepEqual(Array.from(batch.labels), [4, 2]);
  assert.deepEqual(Array.from(batch.inputs), [0.4, 0.6, 0, 0.2].map(Math.fround));
  assert.throws(
    () => gatherClassicWindows(index, [3]),
    /window: expected a number in 0\.\.2, got 3/,
  );
});

/** Reads one epoch of a classic dataset into plain arrays, disposing the tensors. */
async function readEpoch(ds: tf.data.Dataset<tf.TensorContainer>) {
  const batches: Array<{ xsShape: number[]; xs: number[]; ys: number[]; ysDtype: string }> = [];
  await ds.forEachAsync((el) => {
    const { xs, ys } = el as { xs: tf.Tensor; ys: tf.Tensor };
    batches.push({
      xsShape: xs.shape,
      xs: Array.from(xs.dataSync()),
      ys: Array.from(ys.dataSync()),
      ysDtype: ys.dtype,
    });
    tf.dispose([xs, ys]);
  });
  return batches;
}

Deno.test("classicDataset() batches [batch, seq, 1] inputs with int32 [batch] labels, every window once", async () => {
  const ids = Array.from({ length: 30 }, (_, i) => i % 7);
  const index = classicWindowIndex([ids], { vocabSize: 7, sequenceLength: 5 });
  const batches = await readEpoch(classicDataset(index, { batchSize: 8, seed: 1 }));
  assert.deepEqual(batches.map((b) => b.xsShape), [[8, 5, 1], [8, 5, 1], [8, 5, 1], [1, 5, 1]]);
  assert.ok(batches.every((b) => b.ysDtype === "int32"));
  // Each label is the id after its window; windows of i % 7 make that (first id + 5) % 7.
  for (const b of batches) {
    b.ys.forEach((y, i) => assert.equal(y, (Math.round(b.xs[i * 5] * 7) + 5) % 7));
  }
  const firsts = batches.flatMap((b) => b.ys.map((_, i) => Math.round(b.xs[i * 5] * 7)));
  assert.equal(firsts.length, 25);
});

Deno.test("classicDataset() shuffles reproducibly from its seed and reshuffles each epoch", async () => {
  const ids = Array.from({ length: 40 }, (_, i) => i % 10);
  const index = classicWindowIndex([ids], { vocabSize: 40, sequenceLength: 3 });
  // Each window's first input identifies it (ids 0..9 repeat, so use position via labels+xs).
  const order = (batches: Awaited<ReturnType<typeof readEpoch>>) =>
    batches.flatMap((b) => b.ys.map((y, i) => `${b.xs[i * 3]}:${y}`));
  const ds = classicDataset(index, { batchSize: 5, seed: 7 });
  const epoch1 = order(await readEpoch(ds));
  const epoch2 = order(await readEpoch(ds));
  const again = order(await readEpoch(classicDataset(index, { batchSize: 5, seed: 7 })));
  assert.deepEqual(again, epoch1);
  assert.notDeepEqual(epoch2, epoch1);
  assert.deepEqual([...epoch2].sort(), [...epoch1].sort());
  const plain = order(await readEpoch(classicDataset(index, { batchSize: 5, shuffle: false })));
  assert.deepEqual(plain.slice(0, 2), [`0:3`, `${Math.fround(1 / 40)}:4`]);
  assert.throws(
    () => classicDataset(index, { batchSize: 0 }),
    /batchSize: expected a positive integer/,
  );
});
