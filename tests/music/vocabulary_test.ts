import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertVocabularyMatches,
  buildVocabulary,
  compareCodePoints,
  decodeIds,
  encodeTokens,
  loadVocabulary,
  saveVocabulary,
  vocabularyFingerprint,
  vocabularyFromJson,
  vocabularyToJson,
} from "../../lib/music/vocabulary.ts";
import { tempDir } from "../_helpers.ts";

Deno.test("buildVocabulary() sorts distinct tokens the way Python's sorted() does", () => {
  const vocab = buildVocabulary(["C4", "4.9", "0.4.7", "11.2.6", "B-3", "C#4", "0", "C4", "4.9"]);
  // Python: sorted({...}) == ['0', '0.4.7', '11.2.6', '4.9', 'B-3', 'C#4', 'C4']
  assert.deepEqual(vocab.tokens, ["0", "0.4.7", "11.2.6", "4.9", "B-3", "C#4", "C4"]);
  assert.equal(vocab.size, 7);
  assert.equal(vocab.noteToInt.get("4.9"), 3);
  assert.equal(vocab.intToNote[6], "C4");
});

Deno.test("buildVocabulary() takes one token list per file and merges them", () => {
  const vocab = buildVocabulary([["E4", "A4"], ["A4", "4.9"], []]);
  assert.deepEqual(vocab.tokens, ["4.9", "A4", "E4"]);
  assert.throws(() => buildVocabulary([]), /tokens: expected at least one token, got none/);
  assert.throws(() => buildVocabulary(["C4", ""]), /tokens: expected non-empty strings, got ""/);
});

Deno.test("compareCodePoints() orders by code point, also beyond the 16-bit range", () => {
  assert.ok(compareCodePoints("a", "b") < 0);
  assert.ok(compareCodePoints("ab", "a") > 0);
  assert.equal(compareCodePoints("x", "x"), 0);
  // U+FF5E (one UTF-16 unit) sorts before U+1F600 (two units starting 0xD83D) in Python.
  assert.ok(compareCodePoints("\uff5e", "\u{1f600}") < 0);
});

Deno.test("encodeTokens() and decodeIds() map tokens to ids and back", () => {
  const vocab = buildVocabulary(["E4", "0.4.7", "A4"]);
  const ids = encodeTokens(vocab, ["A4", "E4", "0.4.7", "A4"]);
  assert.deepEqual(ids, [1, 2, 0, 1]);
  assert.deepEqual(decodeIds(vocab, ids), ["A4", "E4", "0.4.7", "A4"]);
  assert.deepEqual(decodeIds(vocab, Int32Array.from([2])), ["E4"]);
  assert.throws(() => encodeTokens(vocab, ["E4", "G9"]), /token 1 "G9" is not in the vocabulary/);
  assert.throws(() => decodeIds(vocab, [0, 3]), /id 1: expected an integer in 0\.\.2, got 3/);
});

Deno.test("vocabularyFingerprint() changes with the tokens and with their order", () => {
  const a = vocabularyFingerprint(["A4", "B4"]);
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(vocabularyFingerprint(["A4", "B4"]), a);
  assert.notEqual(vocabularyFingerprint(["B4", "A4"]), a);
  assert.notEqual(vocabularyFingerprint(["A4", "B4", "C4"]), a);
  assert.equal(buildVocabulary(["B4", "A4"]).fingerprint, a);
});

Deno.test("saveVocabulary() and loadVocabulary() round-trip the tokens and fingerprint", () => {
  const dir = tempDir();
  try {
    const vocab = buildVocabulary(["C#5", "0.4.7", "B-2", "11.2.6"]);
    const path = join(dir, "vocabulary.json");
    saveVocabulary(path, vocab);
    const loaded = loadVocabulary(path);
    assert.deepEqual(loaded.tokens, vocab.tokens);
    assert.equal(loaded.fingerprint, vocab.fingerprint);
    assert.equal(loaded.noteToInt.get("B-2"), vocab.noteToInt.get("B-2"));
    const json = JSON.parse(Deno.readTextFileSync(path));
    assert.equal(json.format, "midi-lstm-vocabulary");
    assert.equal(json.size, 4);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("vocabularyFromJson() refuses a file whose tokens were changed", () => {
  const json = vocabularyToJson(buildVocabulary(["A4", "B4", "C4"]));
  assert.equal(vocabularyFromJson(json).size, 3);
  assert.throws(
    () => vocabularyFromJson({ ...json, tokens: ["A4", "C4", "B4"] }, "v.json"),
    /v\.json: tokens must be distinct and sorted, but "C4" comes before "B4"/,
  );
  assert.throws(
    () => vocabularyFromJson({ ...json, tokens: ["A4", "B4", "D4"] }, "v.json"),
    /v\.json: fingerprint [0-9a-f]+ does not match its tokens/,
  );
  assert.throws(
    () => vocabularyFromJson({ ...json, size: 4 }, "v.json"),
    /"size" says 4 but there are 3 tokens/,
  );
  assert.throws(() => vocabularyFromJson({ tokens: [] }, "v.json"), /expected a vocabulary file/);
});

Deno.test("loadVocabulary() names the file when it is missing or not JSON", () => {
  const dir = tempDir();
  try {
    assert.throws(
      () => loadVocabulary(join(dir, "none.json")),
      /vocabulary file .*none\.json: cannot read/,
    );
    Deno.writeTextFileSync(join(dir, "bad.json"), "{ nope");
    assert.throws(() => loadVocabulary(join(dir, "bad.json")), /bad\.json: not JSON/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("assertVocabularyMatches() rejects a vocabulary that does not belong to the weights", () => {
  const vocab = buildVocabulary(["A4", "B4", "C4"]);
  assertVocabularyMatches(vocab, 3);
  assertVocabularyMatches(vocab, 3, { expectedFingerprint: vocab.fingerprint });
  assert.throws(
    () => assertVocabularyMatches(vocab, 358, { modelName: "weights/run1" }),
    /vocabulary mismatch: weights\/run1 predicts 358 tokens but the vocabulary has 3/,
  );
  const other = buildVocabulary(["A4", "B4", "D4"]);
  assert.throws(
    () => assertVocabularyMatches(other, 3, { expectedFingerprint: vocab.fingerprint }),
    new RegExp(
      `trained with vocabulary ${vocab.fingerprint} but this one is ${other.fingerprint}`,
    ),
  );
});
