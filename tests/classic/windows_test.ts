import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  classicDataset,
  classicLabels,
  classicWindows,
  gatherClassicBatch,
} from "../../lib/classic/windows.ts";
import { epochOrder } from "../../lib/train/windows.ts";

await tf.setBackend("cpu");

/** The inputs and labels of the given windows, as plain arrays, disposing the tensors. */
function gathered(index: ReturnType<typeof classicWindows>, windows: number[]) {
  const { xs, ys } = gatherClassicBatch(index, windows);
  try {
    return {
      shape: xs.shape,
      inputs: Array.from(xs.dataSync()),
      labels: Array.from(ys.dataSync()),
      dtype: ys.dtype,
    };
  } finally {
    tf.dispose([xs, ys]);
  }
}

const all = (index: { count: number }) => Array.from({ length: index.count }, (_, i) => i);

Deno.test("classicWindows() cuts each file into windows labelled with the next id", () => {
  const files = [[0, 1, 2, 3, 4], [5, 6, 7, 8]];
  const index = classicWindows(files, { vocabSize: 10, sequenceLength: 3 });
  // 5 - 3 = 2 windows from the first file, 4 - 3 = 1 from the second.
  assert.equal(index.count, 3);
  assert.equal(index.sequenceLength, 3);
  assert.deepEqual(Array.from(index.file), [0, 0, 1]);
  const batch = gathered(index, all(index));
  assert.deepEqual(batch.labels, [3, 4, 8]);
  assert.equal(batch.dtype, "int32");
  // Inputs are ids divided by the vocabulary size, [count, sequenceLength, 1].
  assert.deepEqual(batch.shape, [3, 3, 1]);
  const expected = [[0, 1, 2], [1, 2, 3], [5, 6, 7]].flat().map((id) => Math.fround(id / 10));
  assert.deepEqual(batch.inputs, expected);
});

Deno.test("classicWindows() with crossFiles joins the files as the notebooks did", () => {
  const files = [[0, 1, 2, 3, 4], [5, 6, 7, 8]];
  const index = classicWindows(files, { vocabSize: 10, sequenceLength: 3, crossFiles: true });
  // 9 tokens - 3 = 6 windows (the notebooks' len(notes) - sequence_length).
  assert.equal(index.count, 6);
  assert.deepEqual(Array.from(classicLabels(index)), [3, 4, 5, 6, 7, 8]);
  // A window belongs to the file of its first token.
  assert.deepEqual(Array.from(index.file), [0, 0, 0, 0, 0, 1]);
  // The window starting at id 3 spans the boundary: 3 4 | 5 -> 6.
  assert.deepEqual(gathered(index, [3]).inputs, [0.3, 0.4, 0.5].map(Math.fround));
});

Deno.test("classicLabels() gives each window's next id, the labels gatherClassicBatch() gathers", () => {
  const files = [[1, 2, 3, 4, 5], [6, 7, 8, 0]];
  const index = classicWindows(files, { sequenceLength: 2, vocabSize: 9 });
  assert.deepEqual(Array.from(classicLabels(index)), [3, 4, 5, 8, 0]);
  assert.deepEqual(Array.from(classicLabels(index)), gathered(index, all(index)).labels);
});

Deno.test("classicWindows() skips files too short for a window and needs one window somewhere", () => {
  const index = classicWindows([[1, 2], [1, 2, 3, 4]], { vocabSize: 5, sequenceLength: 3 });
  assert.equal(index.count, 1);
  assert.deepEqual(Array.from(index.file), [1]);
  assert.throws(
    () => classicWindows([[1, 2], [3]], { vocabSize: 5, sequenceLength: 3 }),
    /sequenceLength: 3 needs files of at least 4 tokens, but the longest of 2 has 2/,
  );
});

Deno.test("classicWindows() names the file and position of an id outside the vocabulary", () => {
  assert.throws(
    () => classicWindows([[0, 1, 2, 3], [0, 7, 1, 1]], { vocabSize: 5, sequenceLength: 2 }),
    /file 1, token 1: expected an id in 0\.\.4, got 7/,
  );
  assert.throws(
    () => classicWindows([[0, 1.5, 2]], { vocabSize: 5, sequenceLength: 1 }),
    /file 0, token 1: expected an id in 0\.\.4, got 1\.5/,
  );
  assert.throws(
    () => classicWindows([[0, 1, 2]], { vocabSize: 5, sequenceLength: 0 }),
    /sequenceLength: expected a positive integer, got 0/,
  );
  assert.throws(
    () => classicWindows([[0, 1, 2]], { vocabSize: 0 }),
    /vocabSize: expected a positive integer, got 0/,
  );
});

Deno.test("gatherClassicBatch() gathers the chosen windows in the order given", () => {
  const index = classicWindows([[0, 1, 2, 3, 4]], { vocabSize: 5, sequenceLength: 2 });
  const batch = gathered(index, [2, 0]);
  assert.deepEqual(batch.shape, [2, 2, 1]);
  assert.deepEqual(batch.labels, [4, 2]);
  assert.deepEqual(batch.inputs, [0.4, 0.6, 0, 0.2].map(Math.fround));
  assert.throws(
    () => gatherClassicBatch(index, [3]),
    /window: expected a number in 0\.\.2, got 3/,
  );
});

Deno.test("gatherClassicBatch() with input embedding gives the ids themselves, [batch, sequenceLength]", () => {
  const index = classicWindows([[0, 1, 2, 3, 4]], {
    vocabSize: 5,
    sequenceLength: 2,
    input: "embedding",
  });
  const batch = gathered(index, [1]);
  assert.deepEqual(batch.shape, [1, 2]);
  assert.deepEqual(batch.inputs, [1, 2]);
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
  const index = classicWindows([ids], { vocabSize: 7, sequenceLength: 5 });
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

Deno.test("classicDataset() shuffles all windows by the shared rule: epochOrder of the seed and the epoch", async () => {
  // Ids 0..39 in windows of 3: window w starts with id w, so its first input names it.
  const ids = Array.from({ length: 40 }, (_, i) => i);
  const index = classicWindows([ids], { vocabSize: 40, sequenceLength: 3 });
  const order = (batches: Awaited<ReturnType<typeof readEpoch>>) =>
    batches.flatMap((b) => b.ys.map((_, i) => Math.round(b.xs[i * 3] * 40)));
  const options = { batchSize: 5, shuffleBuffer: Infinity, seed: 7 };
  const ds = classicDataset(index, options);
  const epoch0 = order(await readEpoch(ds));
  const epoch1 = order(await readEpoch(ds));
  assert.deepEqual(epoch0, Array.from(epochOrder(37, { ...options, epoch: 0 })));
  assert.deepEqual(epoch1, Array.from(epochOrder(37, { ...options, epoch: 1 })));
  assert.notDeepEqual(epoch1, epoch0);
  const resumed = order(await readEpoch(classicDataset(index, { ...options, epoch: 1 })));
  assert.deepEqual(resumed, epoch1);
  const plain = order(await readEpoch(classicDataset(index, { batchSize: 5, shuffleBuffer: 0 })));
  assert.deepEqual(plain, Array.from({ length: 37 }, (_, i) => i));
  assert.throws(
    () => classicDataset(index, { batchSize: 0 }),
    /batchSize: expected a positive integer/,
  );
});
