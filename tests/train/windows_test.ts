import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  epochOrder,
  labelStart,
  windowDataset,
  type WindowIndex,
  windowIndex,
  windowLabels,
  windowSequence,
} from "../../lib/train/windows.ts";

await tf.setBackend("cpu");

const ids = (...values: number[]) => Int32Array.from(values);

Deno.test("windowIndex() makes length - sequenceLength windows per sequence and none across them", () => {
  const index = windowIndex([ids(0, 1, 2, 3, 4), ids(5, 6, 7, 8)], { sequenceLength: 3 });
  assert.equal(index.count, 3);
  assert.deepEqual(Array.from(index.sequence), [0, 0, 1]);
  assert.deepEqual(Array.from(index.offset), [0, 1, 0]);
  assert.deepEqual(Array.from(index.file), [0, 0, 1]);
  assert.deepEqual(Array.from(windowLabels(index)), [3, 4, 8]);
});

Deno.test("windowIndex() counts steps of width numbers and labels a window with its next step's first", () => {
  // Two steps of three numbers too few for a window of 2, then four steps.
  const short = Float32Array.of(1, 0, 0, 2, 0, 0);
  const long = Float32Array.of(10, 0.1, 0.2, 11, 0.1, 0.2, 12, 0.1, 0.2, 13, 0.1, 0.2);
  const index = windowIndex([short, long], { sequenceLength: 2, width: 3 });
  assert.equal(index.count, 2);
  assert.deepEqual(Array.from(index.sequence), [1, 1]);
  assert.deepEqual(Array.from(windowLabels(index)), [12, 13]);
  assert.equal(labelStart(index, 1), 9);
  assert.equal(windowSequence(index, 0), long);
});

Deno.test("windowIndex() with crossFiles joins the sequences and keeps each window's first file", () => {
  const index = windowIndex([ids(0, 1, 2, 3, 4), ids(5, 6, 7, 8)], {
    sequenceLength: 3,
    crossFiles: true,
  });
  assert.equal(index.count, 6); // 9 ids - 3
  assert.equal(index.sequences.length, 1);
  assert.ok(index.sequences[0] instanceof Int32Array);
  assert.deepEqual(Array.from(index.sequences[0]), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(index.file), [0, 0, 0, 0, 0, 1]);
  assert.deepEqual(Array.from(windowLabels(index)), [3, 4, 5, 6, 7, 8]);
  const notes = windowIndex([Float32Array.of(1, 9, 2, 9), Float32Array.of(3, 9)], {
    sequenceLength: 2,
    width: 2,
    crossFiles: true,
  });
  assert.deepEqual(Array.from(windowLabels(notes)), [3]);
});

Deno.test("windowIndex() gives no windows for no files, and names sequenceLength when none is long enough", () => {
  assert.equal(windowIndex([], { sequenceLength: 3 }).count, 0);
  assert.throws(
    () => windowIndex([ids(1, 2), ids(3)], { sequenceLength: 3, unit: "tokens" }),
    /sequenceLength: 3 needs files of at least 4 tokens, but the longest of 2 has 2/,
  );
  assert.throws(
    () => windowIndex([ids(1, 2), ids(3)], { sequenceLength: 3, crossFiles: true }),
    /sequenceLength: 3 needs at least 4 steps in all, but the 2 files have 3/,
  );
  assert.throws(
    () => windowIndex([ids(1, 2)], { sequenceLength: 0 }),
    /sequenceLength: expected a positive integer, got 0/,
  );
});

Deno.test("windowSequence() refuses a number that is not a window, naming the range", () => {
  const index = windowIndex([ids(0, 1, 2, 3, 4)], { sequenceLength: 2 });
  assert.throws(() => windowSequence(index, 3), /window: expected a number in 0\.\.2, got 3/);
  assert.throws(() => windowSequence(index, -1), /got -1/);
});

const sorted = (order: Int32Array) => Array.from(order).sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

Deno.test("epochOrder() is a permutation of the windows for every buffer size", () => {
  for (const shuffleBuffer of [1, 2, 7, 50, 200, Infinity]) {
    for (const epoch of [0, 1, 5]) {
      assert.deepEqual(sorted(epochOrder(200, { shuffleBuffer, seed: 3, epoch })), range(200));
    }
  }
  assert.deepEqual(Array.from(epochOrder(5, { shuffleBuffer: 0, seed: 3 })), range(5));
  assert.equal(epochOrder(0, { shuffleBuffer: Infinity }).length, 0);
});

Deno.test("epochOrder() repeats for the same seed and epoch and differs between epochs and seeds", () => {
  const order = (seed: number, epoch: number, shuffleBuffer = 16) =>
    Array.from(epochOrder(100, { shuffleBuffer, seed, epoch }));
  assert.deepEqual(order(7, 2), order(7, 2));
  assert.notDeepEqual(order(7, 2), order(7, 3));
  assert.notDeepEqual(order(7, 2), order(8, 2));
  assert.deepEqual(order(7, 2, Infinity), order(7, 2, Infinity));
  assert.notDeepEqual(order(7, 0, Infinity), order(7, 1, Infinity));
  // A buffer of every window is a full shuffle: the same order as any larger buffer.
  assert.deepEqual(order(7, 2, 100), order(7, 2, Infinity));
});

Deno.test("epochOrder() with a buffer of every window moves each window anywhere", () => {
  // Over many seeds, the first window of the order is every window about equally often.
  const firsts = new Array(10).fill(0);
  for (let seed = 0; seed < 2000; seed++) {
    firsts[epochOrder(10, { shuffleBuffer: Infinity, seed })[0]]++;
  }
  assert.ok(firsts.every((n) => n > 120 && n < 280), `first windows: ${firsts}`);
  // A small buffer cannot: the first window is one of the buffer's.
  for (let seed = 0; seed < 50; seed++) {
    assert.ok(epochOrder(10, { shuffleBuffer: 2, seed })[0] < 2);
  }
});

Deno.test("epochOrder() names shuffleBuffer when it is not 0, a whole number or Infinity", () => {
  assert.throws(() => epochOrder(3, { shuffleBuffer: -1 }), /shuffleBuffer: expected 0/);
  assert.throws(() => epochOrder(3, { shuffleBuffer: 1.5 }), /got 1\.5/);
});

/** A gather that hands back the window numbers as a tensor, for following the pipeline. */
function gatherNumbers(_: WindowIndex, windows: Int32Array): { xs: tf.Tensor } {
  return { xs: tf.tensor1d(windows, "int32") };
}

/** Each epoch's window numbers, batch by batch, disposing the tensors. */
async function epochs(ds: tf.data.Dataset<tf.TensorContainer>, count: number) {
  const out: number[][][] = [];
  for (let e = 0; e < count; e++) {
    const batches: number[][] = [];
    await ds.forEachAsync((el) => {
      const { xs } = el as { xs: tf.Tensor };
      batches.push(Array.from(xs.dataSync()));
      xs.dispose();
    });
    out.push(batches);
  }
  return out;
}

Deno.test("windowDataset() serves each epoch's order in batches, epoch after epoch from options.epoch", async () => {
  const index = windowIndex([Int32Array.from(range(23))], { sequenceLength: 3 }); // 20 windows
  const options = { batchSize: 8, shuffleBuffer: Infinity, seed: 5 };
  const [first, second] = await epochs(windowDataset(index, gatherNumbers, options), 2);
  assert.deepEqual(first.map((b) => b.length), [8, 8, 4]);
  assert.deepEqual(first.flat(), Array.from(epochOrder(20, { ...options, epoch: 0 })));
  assert.deepEqual(second.flat(), Array.from(epochOrder(20, { ...options, epoch: 1 })));
  // A resumed run starting at epoch 1 sees the order an uninterrupted one saw.
  const [resumed] = await epochs(windowDataset(index, gatherNumbers, { ...options, epoch: 1 }), 1);
  assert.deepEqual(resumed, second);
  const [capped] = await epochs(
    windowDataset(index, gatherNumbers, { ...options, maxBatches: 2 }),
    1,
  );
  assert.deepEqual(capped, first.slice(0, 2));
  assert.throws(
    () => windowDataset(index, gatherNumbers, { batchSize: 0 }),
    /batchSize: expected a positive integer, got 0/,
  );
  assert.throws(
    () => windowDataset(index, gatherNumbers, { shuffleBuffer: -2 }),
    /shuffleBuffer: expected 0/,
  );
});
