import assert from "node:assert/strict";
import { fastModelOptions } from "../../lib/engine/fast_parts.ts";
import * as tf from "@tensorflow/tfjs";
import { resolveTutorialConfig } from "../../lib/config/config.ts";
import { generateNotes, predictNextNote } from "../../lib/tutorial/sample.ts";
import { buildTutorialModel } from "../../lib/tutorial/model.ts";
import { mulberry32 } from "../../lib/random/random.ts";
import { patternNotes } from "../_helpers.ts";

await tf.setBackend("cpu");

const config = resolveTutorialConfig({ model: { sequenceLength: 8, lstmUnits: 16 } });
const model = buildTutorialModel(config, fastModelOptions(config.lstm));
// Push the step and duration heads negative so the clamp is exercised.
const stepBias = model.getLayer("step").getWeights()[1];
model.getLayer("step").setWeights([
  model.getLayer("step").getWeights()[0],
  tf.fill(stepBias.shape, -5),
]);

Deno.test("predictNextNote() gives a pitch in 0..127 and non-negative step and duration", () => {
  const next = predictNextNote(model, patternNotes(8), { temperature: 1, random: mulberry32(3) });
  assert.ok(Number.isInteger(next.pitch) && next.pitch >= 0 && next.pitch < 128);
  assert.equal(next.step, 0, "a negative step prediction is clamped to 0");
  assert.ok(next.duration >= 0);
  assert.throws(() => predictNextNote(model, patternNotes(8), { temperature: -1 }), /temperature/);
});

Deno.test("generateNotes() returns count notes with ordered starts, reproducibly for a seed", () => {
  const before = tf.memory().numTensors;
  const seed = patternNotes(12);
  const copy = structuredClone(seed);
  const a = generateNotes(model, seed, { length: 20, seed: 5 });
  const b = generateNotes(model, seed, { length: 20, seed: 5 });
  const c = generateNotes(model, seed, { length: 20, seed: 6, temperature: 5 });
  assert.equal(a.length, 20);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((n) => n.pitch), c.map((n) => n.pitch));
  for (let i = 1; i < a.length; i++) assert.ok(a[i].start >= a[i - 1].start);
  for (const n of a) assert.ok(n.end >= n.start);
  assert.deepEqual(seed, copy, "the seed notes are not changed");
  assert.equal(tf.memory().numTensors, before, "generation leaks tensors");
  assert.throws(
    () => generateNotes(model, patternNotes(3)),
    /seedNotes: expected at least 8 notes \(the model.s window\), got 3/,
  );
});
