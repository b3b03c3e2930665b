import assert from "node:assert/strict";
import { mulberry32 } from "../../lib/random/random.ts";
import { checkTemperature, pickSeedWindow, sampleLogits } from "../../lib/random/sampling.ts";

Deno.test("sampleLogits() follows the softmax of logits / temperature", () => {
  const random = mulberry32(1);
  const counts = [0, 0];
  for (let i = 0; i < 4000; i++) counts[sampleLogits([0, Math.log(3)], { random })]++;
  assert.ok(Math.abs(counts[1] / 4000 - 0.75) < 0.03, `expected about 75% class 1, got ${counts}`);
  // Temperature 2 halves the logits: probabilities 1 : sqrt(3).
  const warm = [0, 0];
  for (let i = 0; i < 4000; i++) {
    warm[sampleLogits([0, Math.log(3)], { temperature: 2, random })]++;
  }
  const expected = Math.sqrt(3) / (1 + Math.sqrt(3));
  assert.ok(Math.abs(warm[1] / 4000 - expected) < 0.03, `expected ${expected}, got ${warm}`);
  for (let i = 0; i < 100; i++) {
    assert.equal(sampleLogits([0, 1, 0.5], { temperature: 0.01, random }), 1);
  }
});

Deno.test("sampleLogits() with argmax takes the largest logit, the first on a tie, drawing nothing", () => {
  let draws = 0;
  const random = () => (draws++, 0.5);
  assert.equal(sampleLogits([0.1, 2, 2, -1], { temperature: "argmax", random }), 1);
  assert.equal(draws, 0);
});

Deno.test("sampleLogits() keeps to the top k and never draws a -Infinity logit", () => {
  const random = mulberry32(4);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) {
    seen.add(sampleLogits([1, 3, 2, 0, -Infinity], { topK: 2, random }));
  }
  assert.deepEqual([...seen].sort(), [1, 2]);
  const all = new Set<number>();
  for (let i = 0; i < 500; i++) all.add(sampleLogits([0, 0, -Infinity], { random }));
  assert.deepEqual([...all].sort(), [0, 1]);
});

Deno.test("sampleLogits() names a bad temperature, topK or logits", () => {
  assert.throws(
    () => sampleLogits([0, 1], { temperature: 0 }),
    /temperature: expected a number above 0 or "argmax", got 0/,
  );
  assert.throws(() => sampleLogits([0, 1], { topK: -1 }), /topK: expected an integer >= 0, got -1/);
  assert.throws(() => sampleLogits([]), /logits: expected at least one class/);
  assert.throws(() => sampleLogits([-Infinity]), /logits: expected at least one finite logit/);
  assert.throws(
    () => checkTemperature("hot", "generate.temperature"),
    /generate\.temperature: expected a number above 0 or "argmax", got "hot"/,
  );
});

Deno.test("pickSeedWindow() picks a seeded window of consecutive ids from one file", () => {
  const files = [[1, 2, 3], [10, 11, 12, 13, 14, 15], [20, 21, 22, 23]];
  const a = pickSeedWindow(files, { sequenceLength: 4, seed: 5 });
  assert.deepEqual(pickSeedWindow(files, { sequenceLength: 4, seed: 5 }), a);
  assert.equal(a.window.length, 4);
  assert.deepEqual(a.window, files[a.file].slice(a.offset, a.offset + 4));
  const seen = new Set<string>();
  for (let seed = 0; seed < 200; seed++) {
    const w = pickSeedWindow(files, { sequenceLength: 4, seed });
    assert.notEqual(w.file, 0);
    seen.add(`${w.file}:${w.offset}`);
  }
  // Files 1 and 2 hold 3 + 1 possible windows; every one is reachable.
  assert.deepEqual([...seen].sort(), ["1:0", "1:1", "1:2", "2:0"]);
  assert.throws(
    () => pickSeedWindow(files, { sequenceLength: 7 }),
    /sequenceLength: a seed window needs a piece of at least 7 items, but the longest of the 3 piece\(s\) has 6/,
  );
});
