import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  gatherTutorialBatch,
  tutorialDataset,
  tutorialLabels,
  tutorialWindows,
} from "../../lib/tutorial/windows.ts";
import { patternNotes } from "../_helpers.ts";

await tf.setBackend("cpu");

const fileA = { path: "a.mid", notes: patternNotes(10) };
const fileB = { path: "b.mid", notes: patternNotes(6, [70, 71, 72]) };

Deno.test("tutorialWindows() makes count - sequenceLength windows per file and none across files", () => {
  const index = tutorialWindows([fileA, fileB], { sequenceLength: 4 });
  assert.equal(index.count, (10 - 4) + (6 - 4));
  assert.deepEqual(Array.from(index.file), [0, 0, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual(Array.from(index.offset), [0, 1, 2, 3, 4, 5, 0, 1]);
  assert.equal(index.width, 3); // pitch, step, duration
});

Deno.test("gatherTutorialBatch() labels each window with the note that follows it and scales pitch", () => {
  const index = tutorialWindows([fileA, fileB], { sequenceLength: 4 });
  const batch = gatherTutorialBatch(index, [1, 7]);
  try {
    assert.ok(!Array.isArray(batch.xs), "a scaled batch is one tensor");
    assert.deepEqual(batch.xs.shape, [2, 4, 3]);
    const xs = batch.xs.arraySync();
    assert.deepEqual(
      xs[0].map((row) => Math.round(row[0] * 128)),
      fileA.notes.slice(1, 5).map((n) => n.pitch),
    );
    assert.deepEqual(xs[0].map((row) => row[1]), fileA.notes.slice(1, 5).map((n) => n.step));
    assert.deepEqual(Array.from(batch.ys.pitch.dataSync()), [
      fileA.notes[5].pitch,
      fileB.notes[5].pitch,
    ]);
    assert.deepEqual(Array.from(batch.ys.step.dataSync()), [
      fileA.notes[5].step,
      fileB.notes[5].step,
    ]);
    assert.deepEqual(batch.ys.step.shape, [2, 1]);
    assert.deepEqual(Array.from(batch.ys.duration.dataSync()), [
      fileA.notes[5].duration,
      fileB.notes[5].duration,
    ]);
  } finally {
    tf.dispose([batch.xs, batch.ys.pitch, batch.ys.step, batch.ys.duration]);
  }
});

Deno.test("gatherTutorialBatch() with input embedding gives raw pitch ids and timing as two inputs", () => {
  const index = tutorialWindows([fileA, fileB], { sequenceLength: 4, input: "embedding" });
  const batch = gatherTutorialBatch(index, [1, 7]);
  try {
    assert.ok(Array.isArray(batch.xs), "an embedding batch is two tensors");
    const [pitch, timing] = batch.xs;
    assert.deepEqual(pitch.shape, [2, 4]);
    assert.deepEqual(timing.shape, [2, 4, 2]);
    const pitches = pitch.arraySync();
    assert.deepEqual(pitches[0], fileA.notes.slice(1, 5).map((n) => n.pitch));
    assert.deepEqual(pitches[1], fileB.notes.slice(1, 5).map((n) => n.pitch));
    assert.deepEqual(
      timing.arraySync()[0],
      fileA.notes.slice(1, 5).map((n) => [n.step, n.duration]),
    );
    assert.deepEqual(Array.from(batch.ys.pitch.dataSync()), [
      fileA.notes[5].pitch,
      fileB.notes[5].pitch,
    ]);
  } finally {
    tf.dispose([batch.xs, batch.ys.pitch, batch.ys.step, batch.ys.duration]);
  }
});

Deno.test("tutorialLabels() gives each window's next pitch, the same labels gatherTutorialBatch() does", () => {
  const index = tutorialWindows([fileA, fileB], { sequenceLength: 4 });
  const all = Array.from({ length: index.count }, (_, i) => i);
  const batch = gatherTutorialBatch(index, all);
  try {
    assert.deepEqual(Array.from(tutorialLabels(index)), Array.from(batch.ys.pitch.dataSync()));
    assert.equal(tutorialLabels(index)[6], fileB.notes[4].pitch);
  } finally {
    tf.dispose([batch.xs, batch.ys.pitch, batch.ys.step, batch.ys.duration]);
  }
});

Deno.test("tutorialWindows() names sequenceLength when no file is long enough", () => {
  assert.throws(
    () => tutorialWindows([fileB], { sequenceLength: 6 }),
    /sequenceLength: 6 needs files of at least 7 notes, but the longest of 1 has 6/,
  );
  assert.throws(
    () => tutorialWindows([fileB], { sequenceLength: 0 }),
    /sequenceLength: expected a positive integer, got 0/,
  );
});

Deno.test("tutorialDataset() batches every window once per epoch, shuffled reproducibly by seed", async () => {
  const index = tutorialWindows([{
    path: "p",
    notes: patternNotes(60, Array.from({ length: 60 }, (_, i) => i)),
  }], {
    sequenceLength: 3,
  });
  const firstPitches = async (seed: number) => {
    const seen: number[] = [];
    const sizes: number[] = [];
    await tutorialDataset(index, { batchSize: 8, seed }).forEachAsync((b) => {
      const batch = b as unknown as { xs: tf.Tensor; ys: { pitch: tf.Tensor } };
      sizes.push(batch.xs.shape[0]);
      seen.push(...batch.ys.pitch.dataSync());
    });
    return { seen, sizes };
  };
  const before = tf.memory().numTensors;
  const one = await firstPitches(1);
  const again = await firstPitches(1);
  const other = await firstPitches(2);
  assert.deepEqual(one.sizes, [8, 8, 8, 8, 8, 8, 8, 1]);
  assert.deepEqual(
    [...one.seen].sort((a, b) => a - b),
    Array.from({ length: 57 }, (_, i) => i + 3),
  );
  assert.deepEqual(one.seen, again.seen);
  assert.notDeepEqual(one.seen, other.seen);
  assert.ok(tf.memory().numTensors <= before + 2, "dataset iteration leaks tensors");
});

/**
 * The window order of `tutorialDataset()` before the windowing core was shared, recorded from
 * that implementation: 37 windows of one file, seed 42, for each buffer and epoch. The tutorial's
 * training order (and so its demo and documented figures) must not change.
 */
// deno-fmt-ignore
const EARLIER_ORDERS: Record<string, number[]> = {
  "8/0": [5, 2, 6, 1, 9, 3, 7, 4, 15, 10, 12, 17, 8, 14, 11, 22, 18, 21, 13, 19, 16, 24, 29, 27, 28, 23, 26, 30, 32, 34, 0, 33, 25, 35, 36, 20, 31],
  "8/1": [5, 6, 8, 3, 7, 9, 1, 2, 15, 11, 10, 18, 12, 13, 20, 19, 22, 23, 0, 17, 27, 25, 28, 16, 30, 21, 33, 4, 14, 32, 35, 26, 36, 34, 31, 24, 29],
  "10000/0": [24, 9, 26, 6, 11, 12, 30, 17, 15, 21, 8, 20, 29, 22, 3, 23, 33, 19, 7, 28, 35, 5, 36, 32, 25, 1, 4, 2, 14, 27, 0, 13, 18, 16, 10, 34, 31],
  "10000/1": [26, 30, 24, 15, 29, 36, 4, 8, 9, 11, 17, 31, 22, 19, 34, 33, 20, 14, 0, 32, 25, 27, 6, 35, 5, 28, 16, 12, 1, 3, 13, 18, 10, 23, 2, 7, 21],
};

Deno.test("tutorialDataset() keeps the window order of the earlier implementation, epoch by epoch", async () => {
  // Pitches 0..39 in windows of 3: window w is labelled with pitch w + 3.
  const pitches = Array.from({ length: 40 }, (_, i) => i);
  const index = tutorialWindows([{ path: "p", notes: patternNotes(40, pitches) }], {
    sequenceLength: 3,
  });
  for (const [key, want] of Object.entries(EARLIER_ORDERS)) {
    const [buffer, epoch] = key.split("/").map(Number);
    const seen: number[] = [];
    const dataset = tutorialDataset(index, {
      batchSize: 10,
      shuffleBuffer: buffer,
      seed: 42,
      epoch,
    });
    await dataset.forEachAsync((b) => {
      const batch = b as unknown as { ys: { pitch: tf.Tensor } };
      seen.push(...Array.from(batch.ys.pitch.dataSync(), (p) => p - 3));
      tf.dispose(b);
    });
    assert.deepEqual(seen, want, `shuffleBuffer ${buffer}, epoch ${epoch}`);
  }
});
