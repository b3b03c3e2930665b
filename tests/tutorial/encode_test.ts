import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  decodeNote,
  encodeNotes,
  notesTensor,
  notesToFeatures,
  scalePitches,
} from "../../lib/tutorial/encode.ts";
import { patternNotes } from "../_helpers.ts";

await tf.setBackend("cpu");

const fileB = { path: "b.mid", notes: patternNotes(6) };

Deno.test("notesToFeatures() copies pitch, step and duration into a flat array", () => {
  const f = notesToFeatures(fileB.notes, "b.mid");
  assert.equal(f.count, 6);
  assert.deepEqual(Array.from(f.values.subarray(3, 6)), [
    fileB.notes[1].pitch,
    fileB.notes[1].step,
    fileB.notes[1].duration,
  ]);
});

Deno.test("encodeNotes() divides pitch by the scale and keeps step and duration", () => {
  const notes = [{ pitch: 64, step: 0.5, duration: 0.25 }, { pitch: 32, step: 0, duration: 1 }];
  assert.deepEqual(Array.from(encodeNotes(notes)), [0.5, 0.5, 0.25, 0.25, 0, 1]);
  assert.deepEqual(Array.from(encodeNotes(notes, 64)), [1, 0.5, 0.25, 0.5, 0, 1]);
  assert.equal(notes[0].pitch, 64, "the notes are not changed");
  const raw = notesToFeatures(notes.map((n, i) => ({ ...n, start: i, end: i + 1, velocity: 90 })));
  scalePitches(raw.values, 128);
  assert.deepEqual(raw.values, encodeNotes(notes), "both paths scale the same way");
  const x = notesTensor(notes);
  assert.deepEqual(x.shape, [1, 2, 3]);
  x.dispose();
});

Deno.test("decodeNote() clamps a negative step or duration to 0", () => {
  assert.deepEqual(decodeNote(60, { stepSec: -0.2, durationSec: 0.5 }), {
    pitch: 60,
    step: 0,
    duration: 0.5,
  });
  assert.deepEqual(decodeNote(61, { stepSec: 0.1, durationSec: -1 }), {
    pitch: 61,
    step: 0.1,
    duration: 0,
  });
});
