import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { checkClose, checkEqual } from "../../lib/notebook/check.ts";

Deno.test("checkEqual() passes equal plain data and returns a line naming the label", () => {
  const line = checkEqual(
    { ids: Int32Array.from([3, 1]), label: "E4" },
    { ids: [3, 1], label: "E4" },
    { label: "window" },
  );
  assert.equal(line, '✓ window: {"ids":[3,1],"label":"E4"}');
  assert.match(checkEqual(new Map([["a", 1]]), [["a", 1]]), /^✓ value: /);
});

Deno.test("checkEqual() throws naming the label, where the values differ, and both values", () => {
  assert.throws(
    () =>
      checkEqual([{ pitch: 60 }, { pitch: 62 }], [{ pitch: 60 }, { pitch: 64 }], {
        label: "notes",
      }),
    /^Error: notes: expected what lib gives, \[\{"pitch":60\},\{"pitch":64\}\], got \[\{"pitch":60\},\{"pitch":62\}\] \(they differ at \[1\]\.pitch\)$/,
  );
  assert.throws(() => checkEqual([1, 2], [1, 2, 3]), /differ at value \(length 2 vs 3\)/);
  assert.throws(() => checkEqual({ a: 1 }, { a: 1, b: 2 }), /differ at b/);
  assert.throws(() => checkEqual("4.9", 4.9), /differ at value/);
});

Deno.test("checkClose() accepts differences within the tolerance, for numbers, arrays and tensors", () => {
  assert.equal(
    checkClose(1.1225, 1.12250001, { label: "loss", tolerance: 1e-6 }),
    "✓ loss: 1.1225 (lib: 1.1225)",
  );
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  const b = tf.tensor1d([5]);
  try {
    assert.match(
      checkClose([a, b], [1, 2, 3, 4 + 1e-7, 5], { label: "weights" }),
      /^✓ weights: 5 numbers agree with lib \(largest difference 1\.0e-7\)$/,
    );
    assert.ok(!a.isDisposed, "the tensors are read, not disposed");
    assert.match(checkClose(Float32Array.from([0.5]), 0.5), /^✓ value: 0\.5/);
  } finally {
    tf.dispose([a, b]);
  }
});

Deno.test("checkClose() throws on a difference over the tolerance, a count mismatch or NaN", () => {
  assert.throws(
    () => checkClose([1, 2, 3.5], [1, 2, 3], { label: "probs", tolerance: 0.1 }),
    /^Error: probs: expected 3 at 2, as lib gives, got 3\.5 \(difference 0\.5, tolerance 0\.1\)$/,
  );
  assert.throws(() => checkClose([1, 2], [1]), /expected 1 number\(s\), as lib gives, got 2/);
  assert.throws(() => checkClose(NaN, 1, { label: "loss" }), /^Error: loss: expected 1/);
  assert.throws(() => checkClose(1, Infinity), /expected Infinity/);
  assert.match(checkClose(Infinity, Infinity), /^✓/);
});
