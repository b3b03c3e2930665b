import assert from "node:assert/strict";
import { decodeFloat32, encodeFloat32, pieceLength } from "../../lib/web/run_data.ts";

Deno.test("encodeFloat32 / decodeFloat32 round-trip values as float32, little-endian", () => {
  const values = [0, 0.1, -2.5, 1e-7, 3.4e38, 0.30000001192092896, 123456.789];
  const back = decodeFloat32(encodeFloat32(values));
  assert.equal(back.length, values.length);
  values.forEach((v, i) => assert.equal(back[i], Math.fround(v)));
  // 1.0 as little-endian float32 is 00 00 80 3f.
  assert.equal(encodeFloat32([1]), btoa(String.fromCharCode(0, 0, 0x80, 0x3f)));
  assert.deepEqual(decodeFloat32(encodeFloat32([])), new Float32Array(0));
});

Deno.test("encodeFloat32 handles more values than one String.fromCharCode call takes", () => {
  const values = Float32Array.from({ length: 50_000 }, (_, i) => i / 7);
  assert.deepEqual(decodeFloat32(encodeFloat32(values)), values);
});

Deno.test("decodeFloat32 refuses bytes that are not whole float32 values", () => {
  assert.throws(() => decodeFloat32(btoa("abcde")), /expected a multiple of 4 bytes, got 5/);
});

Deno.test("pieceLength counts notes or token ids", () => {
  assert.equal(pieceLength({ name: "a", pitch: [60, 62, 64], stepF32: "", durationF32: "" }), 3);
  assert.equal(pieceLength({ name: "b", ids: [1, 2] }), 2);
});
