import assert from "node:assert/strict";
import { splitByFile, splitForWindows } from "../../lib/train/split.ts";

Deno.test("splitByFile() keeps every file on exactly one side, reproducibly for a seed", () => {
  const files = Array.from({ length: 20 }, (_, i) => `f${i}`);
  const a = splitByFile(files, { validationFraction: 0.25, seed: 3 });
  const b = splitByFile(files, { validationFraction: 0.25, seed: 3 });
  assert.deepEqual(a, b);
  assert.equal(a.validation.length, 5);
  assert.deepEqual([...a.train, ...a.validation].sort(), [...files].sort());
  assert.equal(a.train.filter((f) => a.validation.includes(f)).length, 0);
  assert.equal(splitByFile(["x", "y"], { validationFraction: 0.01 }).validation.length, 1);
  assert.equal(splitByFile(["x"], { validationFraction: 0.5 }).validation.length, 0);
  assert.throws(
    () => splitByFile(files, { validationFraction: 1 }),
    /validationFraction: expected a number in \[0, 1\), got 1/,
  );
});

Deno.test("splitForWindows() names the setting when no training file is longer than a window, and drops short held-out files", () => {
  const files = [3, 10, 4, 12, 2, 9].map((n, i) => ({ name: `f${i}`, n }));
  const options = {
    lengthOf: (f: { n: number }) => f.n,
    setting: "model.sequenceLength",
    unit: "notes",
    source: "data/x",
    validationFraction: 0.5,
    seed: 2,
  };
  const split = splitForWindows(files, { ...options, windowLength: 5 });
  assert.equal(split.train.length, 3);
  for (const f of split.validation) assert.ok(f.n > 5);
  assert.throws(
    () => splitForWindows(files, { ...options, windowLength: 20 }),
    /model\.sequenceLength: windows of 20 notes need a training file of at least 21 notes, but the longest of the 3 training file\(s\) from data\/x has \d+; lower model\.sequenceLength/,
  );
});
