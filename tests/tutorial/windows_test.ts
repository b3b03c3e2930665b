import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  gatherBatch,
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
});

Deno.test("gatherBatch() labels each window with the note that follows it and scales pitch", () => {
  const index = tutorialWindows([fileA, fileB], { sequenceLength: 4 });
  const batch = gatherBatch(index, [1, 7]);
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

Deno.test("gatherBatch() with input embedding gives raw pitch ids and timing as two inputs", () => {
  const index = tutorialWindows([fileA, fileB], { sequenceLength: 4, input: "embedding" });
  const batch = gatherBatch(index, [1, 7]);
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

Deno.test("tutorialLabels() gives each window's next pitch, the same labels gatherBatch() does", () => {
  const index = tutorialWindows([fileA, fileB], { sequenceLength: 4 });
  const all = Array.from({ length: index.count }, (_, i) => i);
  const batch = gatherBatch(index, all);
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
