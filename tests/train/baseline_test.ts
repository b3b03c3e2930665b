import assert from "node:assert/strict";
import { unigramCrossEntropy } from "../../lib/train/baseline.ts";

Deno.test("unigramCrossEntropy() scores held-out labels by the training labels' smoothed frequencies", () => {
  // Counts 3, 1, 0 plus one each: p = 4/7, 2/7, 1/7.
  const labels = { train: [0, 0, 0, 1], heldOut: [0, 1, 2] };
  const want = -(Math.log(4 / 7) + Math.log(2 / 7) + Math.log(1 / 7)) / 3;
  assert.ok(Math.abs(unigramCrossEntropy(labels, { classes: 3 }) - want) < 1e-12);
  // Without smoothing, frequencies alone; uniform labels give ln(classes).
  const even = { train: [0, 1, 2, 3], heldOut: [3, 2, 1, 0] };
  assert.ok(
    Math.abs(unigramCrossEntropy(even, { classes: 4, smoothing: 0 }) - Math.log(4)) < 1e-12,
  );
});

Deno.test("unigramCrossEntropy() names the set and position of a bad label, and bad settings", () => {
  assert.throws(
    () => unigramCrossEntropy({ train: [0, 5], heldOut: [0] }, { classes: 3 }),
    /train\[1\]: expected a class id in 0\.\.2, got 5/,
  );
  assert.throws(
    () => unigramCrossEntropy({ train: [0], heldOut: [0, 1.5] }, { classes: 3 }),
    /heldOut\[1\]: expected a class id in 0\.\.2, got 1\.5/,
  );
  assert.throws(
    () => unigramCrossEntropy({ train: [0], heldOut: [] }, { classes: 3 }),
    /expected held-out labels, got none/,
  );
  assert.throws(
    () => unigramCrossEntropy({ train: [0], heldOut: [0] }, { classes: 0 }),
    /classes: expected a positive integer, got 0/,
  );
});
