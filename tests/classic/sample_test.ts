import assert from "node:assert/strict";
import { buildClassicModel } from "../../lib/classic/model.ts";
import { fastModelOptions } from "../../lib/engine/fast_parts.ts";
import * as tf from "@tensorflow/tfjs";
import { classicPresetConfig } from "../../lib/config/classic_presets.ts";
import { defaultClassicConfig } from "../../lib/config/config.ts";
import { generateTokens, sampleToken } from "../../lib/classic/sample.ts";
import { buildVocabulary, decodeIds } from "../../lib/music/vocabulary.ts";
import { tokensToNotes } from "../../lib/music/tokens.ts";
import { mulberry32 } from "../../lib/random/random.ts";

await tf.setBackend("cpu");

Deno.test("sampleToken() with argmax takes the most likely token, the first on a tie", () => {
  assert.equal(sampleToken([0.1, 0.6, 0.3], { temperature: "argmax" }), 1);
  assert.equal(sampleToken([0.4, 0.2, 0.4], { temperature: "argmax" }), 0);
  assert.equal(sampleToken(new Float32Array([0, 0, 1]), { temperature: "argmax" }), 2);
  // topK 1 is also argmax, whatever the temperature.
  assert.equal(sampleToken([0.1, 0.6, 0.3], { topK: 1, random: () => 0.99 }), 1);
});

Deno.test("sampleToken() follows the probabilities at temperature 1 and never picks a zero", () => {
  const probs = [0.5, 0.3, 0, 0.2];
  const random = mulberry32(5);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[sampleToken(probs, { temperature: 1, random })]++;
  assert.equal(counts[2], 0);
  probs.forEach((p, i) =>
    assert.ok(Math.abs(counts[i] / 4000 - p) < 0.03, `token ${i}: ${counts}`)
  );
});

Deno.test("sampleToken() sharpens with a low temperature and keeps to the top k", () => {
  const probs = [0.4, 0.35, 0.25];
  const random = mulberry32(9);
  const cold = [0, 0, 0];
  for (let i = 0; i < 1000; i++) cold[sampleToken(probs, { temperature: 0.1, random })]++;
  assert.ok(cold[0] > 750, `at temperature 0.1 the top token should dominate: ${cold}`);
  const top2 = [0, 0, 0];
  for (let i = 0; i < 1000; i++) top2[sampleToken(probs, { temperature: 1, topK: 2, random })]++;
  assert.equal(top2[2], 0);
  assert.ok(top2[1] > 300, `the second token stays possible: ${top2}`);
});

Deno.test("sampleToken() gives the same draws for the same seed", () => {
  const probs = [0.2, 0.2, 0.2, 0.2, 0.2];
  const draw = (seed: number) => {
    const random = mulberry32(seed);
    return Array.from({ length: 20 }, () => sampleToken(probs, { random }));
  };
  assert.deepEqual(draw(1), draw(1));
  assert.notDeepEqual(draw(1), draw(2));
});

Deno.test("sampleToken() names a bad setting", () => {
  assert.throws(
    () => sampleToken([1], { temperature: 0 }),
    /temperature: expected a number above 0 or "argmax", got 0/,
  );
  assert.throws(() => sampleToken([1], { topK: 1.5 }), /topK: expected an integer >= 0, got 1\.5/);
  assert.throws(() => sampleToken([]), /probs: expected at least one probability/);
  assert.throws(() => sampleToken([0, 0]), /probs: expected at least one positive probability/);
});

/** classic-small with a short window, so generation tests run quickly. */
function smallModel(vocabSize: number, seed = 0) {
  const model = { ...classicPresetConfig("classic-small"), sequenceLength: 8 };
  return buildClassicModel({ ...defaultClassicConfig(), seed, lstm: "layers", model }, {
    vocabSize,
    ...fastModelOptions("layers"),
  });
}

const seedIds = [0, 3, 5, 1, 7, 2, 9, 4, 6, 8, 10, 11];

Deno.test("generateTokens() with argmax is deterministic and frees its tensors", () => {
  const model = smallModel(12);
  try {
    const before = tf.memory().numTensors;
    const a = generateTokens(model, seedIds, { length: 15, temperature: "argmax" });
    const b = generateTokens(model, seedIds, { length: 15, temperature: "argmax" });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(a.length, 15);
    assert.deepEqual(a, b);
    assert.ok(a.every((id) => Number.isInteger(id) && id >= 0 && id < 12));
    // Only the last 8 ids of the seed (the model's window) matter.
    assert.deepEqual(
      generateTokens(model, seedIds.slice(-8), { length: 15, temperature: "argmax" }),
      a,
    );
  } finally {
    model.dispose();
  }
});

Deno.test("generateTokens() with sampling gives the same tokens for the same seed", () => {
  const model = smallModel(12, 1);
  try {
    const run = (seed: number) =>
      generateTokens(model, seedIds, { length: 20, temperature: 1, seed });
    assert.deepEqual(run(3), run(3));
    assert.notDeepEqual(run(3), run(4));
    const seen: Array<[number, number]> = [];
    const out = generateTokens(model, seedIds, {
      length: 3,
      onProgress: (done, total) => seen.push([done, total]),
    });
    assert.equal(out.length, 3);
    assert.deepEqual(seen, [[1, 3], [2, 3], [3, 3]]);
  } finally {
    model.dispose();
  }
});

Deno.test("generateTokens() output decodes to tokens and notes", () => {
  const vocab = buildVocabulary(["0.4.7", "11.2.6", "4.9", "A4", "B-3", "C#5"]);
  const model = smallModel(vocab.size);
  try {
    const ids = generateTokens(model, [0, 1, 2, 3, 4, 5, 0, 1], {
      length: 10,
      vocabulary: vocab,
      seed: 2,
    });
    const tokens = decodeIds(vocab, ids);
    const notes = tokensToNotes(tokens);
    assert.ok(notes.length >= 10);
  } finally {
    model.dispose();
  }
});

Deno.test("generateTokens() refuses a vocabulary that does not match the model", () => {
  const model = smallModel(12);
  try {
    const vocab = buildVocabulary(["A4", "B4", "C4"]);
    assert.throws(
      () => generateTokens(model, seedIds, { length: 1, vocabulary: vocab }),
      /vocabulary mismatch: the model predicts 12 tokens but the vocabulary has 3/,
    );
    assert.throws(
      () => generateTokens(model, [1, 2, 3], { length: 1 }),
      /seed: expected at least 8 token ids \(the model's window\), got 3/,
    );
    assert.throws(
      () => generateTokens(model, [0, 1, 2, 3, 4, 5, 6, 12], { length: 1 }),
      /seed id 7: expected an integer in 0\.\.11, got 12/,
    );
  } finally {
    model.dispose();
  }
});
