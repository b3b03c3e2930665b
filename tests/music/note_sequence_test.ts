import assert from "node:assert/strict";
import tonejs from "@tonejs/midi";
import { notesToMidi } from "../../lib/music/midi.ts";
import { toNoteSequence } from "../../lib/music/note_sequence.ts";
import { assertClose, patternNotes } from "../_helpers.ts";

const { Midi } = tonejs;

/**
 * Field names of magenta-js's `NoteSequence` and `NoteSequence.Note` (its protobuf typings,
 * `music/src/protobuf/proto.d.ts`, `INoteSequence` and `INote`; tempo and time signature
 * fields are `time`, `qpm`, `numerator`, `denominator`).
 */
const MAGENTA_SEQUENCE_FIELDS = [
  "id",
  "filename",
  "referenceNumber",
  "collectionName",
  "ticksPerQuarter",
  "timeSignatures",
  "keySignatures",
  "tempos",
  "notes",
  "totalTime",
  "totalQuantizedSteps",
  "pitchBends",
  "controlChanges",
  "partInfos",
  "sourceInfo",
  "textAnnotations",
  "sectionAnnotations",
  "sectionGroups",
  "quantizationInfo",
  "subsequenceInfo",
  "sequenceMetadata",
];
const MAGENTA_NOTE_FIELDS = [
  "pitch",
  "pitchName",
  "velocity",
  "startTime",
  "quantizedStartStep",
  "endTime",
  "quantizedEndStep",
  "numerator",
  "denominator",
  "instrument",
  "program",
  "isDrum",
  "part",
  "voice",
];

Deno.test("toNoteSequence() writes magenta-js's field names, camelCase, and the fields mm.NoteSequence needs", () => {
  const ns = JSON.parse(JSON.stringify(toNoteSequence(patternNotes(3))));
  for (const key of Object.keys(ns)) assert.ok(MAGENTA_SEQUENCE_FIELDS.includes(key), key);
  for (const key of ["notes", "totalTime", "tempos", "timeSignatures", "ticksPerQuarter"]) {
    assert.ok(key in ns, `missing ${key}`);
  }
  assert.deepEqual(Object.keys(ns.notes[0]).sort(), [
    "endTime",
    "instrument",
    "isDrum",
    "pitch",
    "program",
    "startTime",
    "velocity",
  ]);
  for (const key of Object.keys(ns.notes[0])) assert.ok(MAGENTA_NOTE_FIELDS.includes(key), key);
  assert.deepEqual(Object.keys(ns.tempos[0]).sort(), ["qpm", "time"]);
  assert.deepEqual(Object.keys(ns.timeSignatures[0]).sort(), ["denominator", "numerator", "time"]);
});

Deno.test("toNoteSequence() keeps the notes' numbers through JSON: seconds, pitch, velocity, tempo", () => {
  const notes = patternNotes(9).map((n, i) => ({ ...n, velocity: 60 + i }));
  const ns = toNoteSequence(notes, {
    bpm: 96,
    program: 40,
    timeSignature: { numerator: 3, denominator: 4 },
  });
  const back = JSON.parse(JSON.stringify(ns));
  assert.deepEqual(back, ns);
  assert.equal(back.notes.length, notes.length);
  back.notes.forEach((n, i) => {
    assert.deepEqual(n, {
      pitch: notes[i].pitch,
      velocity: 60 + i,
      startTime: notes[i].start,
      endTime: notes[i].end,
      instrument: 0,
      program: 40,
      isDrum: false,
    });
  });
  assert.equal(back.totalTime, Math.max(...notes.map((n) => n.end)));
  assert.deepEqual(back.tempos, [{ time: 0, qpm: 96 }]);
  assert.deepEqual(back.timeSignatures, [{ time: 0, numerator: 3, denominator: 4 }]);
  assert.equal(back.ticksPerQuarter, 480);
});

Deno.test("toNoteSequence() reads onsets from step where start is missing, and clamps as notesToMidi does", () => {
  const ns = toNoteSequence([
    { pitch: 59.6, step: 0.25, duration: 0.5 },
    { pitch: 200, step: 0.5, duration: -1, velocity: 300 },
    { pitch: -3, start: 2, duration: 0.25, velocity: 0 },
    { pitch: 64, step: 0, duration: 0.75 },
  ], { velocity: 70 });
  assert.deepEqual(ns.notes.map((n) => [n.pitch, n.startTime, n.endTime, n.velocity]), [
    [60, 0.25, 0.75, 70],
    [127, 0.75, 0.75, 127],
    [0, 2, 2.25, 1],
    [64, 2, 2.75, 70],
  ]);
  assert.equal(ns.totalTime, 2.75);
  const empty = toNoteSequence([]);
  assert.deepEqual([empty.notes, empty.totalTime], [[], 0]);
});

Deno.test("toNoteSequence() equals what magenta-js reads from notesToMidi()'s file of the same notes", () => {
  const notes = patternNotes(16).map((n, i) => ({ ...n, velocity: 50 + 4 * i }));
  const options = { bpm: 132, program: 24 };
  const ns = toNoteSequence(notes, options);
  // magenta-js's midiToSequenceProto (music/src/core/midi_io.ts), on @tonejs/midi as it uses:
  const midi = new Midi(notesToMidi(notes, options));
  const track = midi.tracks.find((t) => t.notes.length > 0)!;
  const read = track.notes.map((n) => ({
    pitch: n.midi,
    startTime: n.time,
    endTime: n.time + n.duration,
    velocity: Math.floor(n.velocity * 128),
    program: track.instrument.number,
    isDrum: track.instrument.percussion,
  }));
  assert.equal(ns.ticksPerQuarter, midi.header.ppq);
  // The file stores microseconds per quarter, a whole number: 132.000132 bpm.
  assert.equal(ns.tempos.length, midi.header.tempos.length);
  assertClose(ns.tempos[0].qpm, midi.header.tempos[0].bpm, 1e-3, "qpm");
  assert.equal(ns.tempos[0].time, midi.header.tempos[0].time);
  // No time signature in the file: magenta-js assumes 4/4, as the sequence says.
  assert.equal(midi.header.timeSignatures.length, 0);
  assert.deepEqual(ns.timeSignatures, [{ time: 0, numerator: 4, denominator: 4 }]);
  assert.equal(read.length, ns.notes.length);
  const tick = 60 / options.bpm / midi.header.ppq;
  ns.notes.forEach((n, i) => {
    assert.equal(n.pitch, read[i].pitch, `note ${i} pitch`);
    assert.equal(n.program, read[i].program, `note ${i} program`);
    assert.equal(n.isDrum, read[i].isDrum, `note ${i} isDrum`);
    assertClose(n.startTime, read[i].startTime, tick, `note ${i} startTime`);
    assertClose(n.endTime, read[i].endTime, tick, `note ${i} endTime`);
    assertClose(n.velocity, read[i].velocity, 1, `note ${i} velocity`);
  });
  assertClose(ns.totalTime, Math.max(...read.map((n) => n.endTime)), tick, "totalTime");
});

Deno.test("toNoteSequence() names a note that is not a number and a setting out of range", () => {
  assert.throws(
    () => toNoteSequence([{ pitch: 60, duration: 1 }, { pitch: NaN, duration: 1 }]),
    /note 1: expected a finite pitch, got NaN/,
  );
  assert.throws(
    () => toNoteSequence([{ pitch: 60, start: Infinity, duration: 1 }]),
    /note 0: expected a finite start, got Infinity/,
  );
  assert.throws(() => toNoteSequence([], { bpm: 0 }), /bpm: expected a number above 0, got 0/);
  assert.throws(
    () => toNoteSequence([], { timeSignature: { numerator: 3, denominator: 0 } }),
    /timeSignature\.denominator: expected a positive integer, got 0/,
  );
});
