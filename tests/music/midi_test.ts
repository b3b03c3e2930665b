import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkInstrumentChoice,
  instrumentTracks,
  loadMidiFolder,
  midiToNotes,
  notesToMidi,
  parseMidi,
  trackProgram,
} from "../../lib/music/midi.ts";
import { assertClose, buildMidi, patternNotes, tempDir } from "../_helpers.ts";
import { rawMidi } from "./_raw_midi.ts";

Deno.test("midiToNotes() sorts notes by start time, then pitch", () => {
  const bytes = buildMidi([[
    { pitch: 67, start: 1, duration: 0.5 },
    { pitch: 64, start: 0, duration: 0.5 },
    { pitch: 60, start: 0, duration: 1 },
  ]]);
  const notes = midiToNotes(bytes);
  assert.deepEqual(notes.map((n) => n.pitch), [60, 64, 67]);
  assert.deepEqual(notes.map((n) => n.start), [0, 0, 1]);
});

Deno.test("midiToNotes() fills step as time since the previous onset and duration as end - start", () => {
  const notes = midiToNotes(buildMidi([[
    { pitch: 60, start: 0, duration: 0.5 },
    { pitch: 62, start: 0.5, duration: 0.25 },
    { pitch: 64, start: 1.5, duration: 1 },
  ]]));
  const steps = notes.map((n) => n.step);
  [0, 0.5, 1].forEach((s, i) => assertClose(steps[i], s, 1e-3, `step ${i}`));
  [0.5, 0.25, 1].forEach((d, i) => assertClose(notes[i].duration, d, 1e-3, `duration ${i}`));
  for (const n of notes) assertClose(n.end - n.start, n.duration, 1e-9, "end - start");
});

Deno.test("midiToNotes() reads the first non-drum track by default and merges with 'all'", () => {
  const bytes = buildMidi([
    [{ pitch: 36, start: 0, duration: 0.1 }],
    [{ pitch: 72, start: 0, duration: 1 }],
    [{ pitch: 48, start: 0.5, duration: 1 }],
  ], { channels: [9, 0, 1] });
  assert.deepEqual(midiToNotes(bytes).map((n) => n.pitch), [72]);
  assert.deepEqual(midiToNotes(bytes, { instrument: "all" }).map((n) => n.pitch), [72, 48]);
  assert.deepEqual(midiToNotes(bytes, { instrument: 0 }).map((n) => n.pitch), [36]);
  assert.throws(
    () => midiToNotes(bytes, { instrument: 7 }),
    /instrument: expected a track index in 0\.\.2/,
  );
});

Deno.test("trackProgram() tells a track without a program change from one set to program 0", () => {
  const midi = parseMidi(rawMidi([
    { channel: 0, program: 0, notes: [[60, 0, 480]] },
    { channel: 1, notes: [[48, 0, 480]] },
    { channel: 2, program: 40, notes: [[72, 0, 480]] },
  ]));
  assert.deepEqual(midi.tracks.map(trackProgram), [0, null, 40]);
  // @tonejs/midi itself reports program 0 for the track without one.
  assert.equal(midi.tracks[1].instrument.number, 0);
});

Deno.test("midiToNotes() reads the first instrument's tracks merged, leaving out the others", () => {
  const bytes = rawMidi([
    { channel: 0, program: 0, notes: [[72, 0, 480], [74, 480, 480]] },
    { channel: 1, program: 40, notes: [[81, 0, 960]] },
    { channel: 2, program: 0, notes: [[48, 240, 480]] },
  ]);
  const pitches = (instrument: Parameters<typeof midiToNotes>[1]) =>
    midiToNotes(bytes, instrument).map((n) => n.pitch);
  assert.deepEqual(pitches({ instrument: "first-instrument" }), [72, 48, 74]);
  assert.deepEqual(pitches({}), [72, 74]);
  assert.deepEqual(pitches({ instrument: "all-merged" }), [72, 81, 48, 74]);
  const midi = parseMidi(bytes);
  assert.deepEqual(instrumentTracks(midi, "first-instrument"), [midi.tracks[0], midi.tracks[2]]);
});

Deno.test("checkInstrumentChoice() accepts the named choices, the older names and track indexes", () => {
  for (const ok of ["first-instrument", "first-track", "all-merged", "first", "all", 0, 3]) {
    checkInstrumentChoice(ok);
  }
  for (const bad of ["second", -1, 1.5, null]) {
    assert.throws(
      () => checkInstrumentChoice(bad, "data.instrument"),
      /data\.instrument: expected "first-instrument", "first-track", "all-merged" or a track index/,
    );
  }
});

Deno.test("notesToMidi() then midiToNotes() gives the notes back within tick precision", () => {
  const original = patternNotes(40);
  const back = midiToNotes(notesToMidi(original, { bpm: 96, program: 5 }));
  assert.equal(back.length, original.length);
  // One tick at 96 bpm and 480 ppq is 1.3 ms.
  const tick = 60 / 96 / 480;
  back.forEach((n, i) => {
    assert.equal(n.pitch, original[i].pitch);
    assertClose(n.start, original[i].start, tick, `start ${i}`);
    assertClose(n.duration, original[i].duration, tick, `duration ${i}`);
    assert.equal(n.velocity, 100);
  });
});

Deno.test("notesToMidi() writes tempo and program", () => {
  const midi = parseMidi(notesToMidi(patternNotes(3), { bpm: 90, program: 40 }));
  assertClose(midi.header.tempos[0].bpm, 90, 1e-3, "bpm");
  assert.equal(midi.tracks[0].instrument.number, 40);
});

Deno.test("notesToMidi() places notes from steps when start is missing, without changing the input", () => {
  const input = [{ pitch: 60, step: 0, duration: 0.5 }, { pitch: 62, step: 0.5, duration: 0.5 }];
  const copy = structuredClone(input);
  const back = midiToNotes(notesToMidi(input));
  assertClose(back[1].start, 0.5, 1e-3, "second start");
  assert.deepEqual(input, copy);
});

Deno.test("parseMidi() names the file when the bytes are not MIDI", () => {
  assert.throws(() => parseMidi(new Uint8Array(0), "empty.mid"), /empty\.mid: not a MIDI file/);
  assert.throws(
    () => parseMidi(new TextEncoder().encode("hello, this is not a midi file"), "text.mid"),
    /text\.mid: not a MIDI file \(expected header "MThd"/,
  );
  const good = notesToMidi(patternNotes(20));
  assert.throws(() => parseMidi(good.subarray(0, 30), "cut.mid"), /cut\.mid: could not parse MIDI/);
});

Deno.test("loadMidiFolder() reports a corrupt file instead of throwing, and recurses", () => {
  const dir = tempDir();
  try {
    Deno.mkdirSync(join(dir, "sub"));
    Deno.writeFileSync(join(dir, "a.mid"), notesToMidi(patternNotes(10)));
    Deno.writeFileSync(join(dir, "sub", "b.MIDI"), notesToMidi(patternNotes(5)));
    Deno.writeFileSync(join(dir, "broken.mid"), new TextEncoder().encode("MThd garbage"));
    Deno.writeFileSync(join(dir, "empty.mid"), buildMidi([[]]));
    Deno.writeFileSync(join(dir, "notes.txt"), new TextEncoder().encode("ignored"));
    const { files, skipped } = loadMidiFolder(dir);
    assert.deepEqual(files.map((f) => f.path), [join(dir, "a.mid"), join(dir, "sub", "b.MIDI")]);
    assert.deepEqual(skipped.map((s) => s.path), [join(dir, "broken.mid"), join(dir, "empty.mid")]);
    assert.match(skipped[0].reason, /parse|MIDI/);
    assert.match(skipped[1].reason, /0 notes, expected at least 1/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("loadMidiFolder() names the folder when it is missing, empty, or has no usable file", () => {
  const dir = tempDir();
  try {
    assert.throws(() => loadMidiFolder(join(dir, "nope")), /data folder .*nope: not found/);
    assert.throws(() => loadMidiFolder(dir), /no \.mid or \.midi files found/);
    Deno.writeFileSync(join(dir, "bad.mid"), new Uint8Array([1, 2, 3]));
    assert.throws(
      () => loadMidiFolder(dir),
      /none of 1 MIDI files gave notes \(first problem: .*bad\.mid/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

// Real data, only when a corpus folder is given (CI points it at the Nottingham set).
const corpusDir = Deno.env.get("MIDI_CORPUS_DIR");
Deno.test({
  name: "loadMidiFolder() reads a real corpus (MIDI_CORPUS_DIR), reporting every skipped file",
  ignore: !corpusDir,
  fn() {
    const { files, skipped } = loadMidiFolder(corpusDir!);
    const total = files.length + skipped.length;
    assert.ok(files.length >= 0.9 * total, `only ${files.length} of ${total} files loaded`);
    for (const s of skipped) assert.ok(s.reason.length > 0, `${s.path} skipped without a reason`);
    for (const f of files) {
      for (let i = 1; i < f.notes.length; i++) {
        assert.ok(f.notes[i].start >= f.notes[i - 1].start, `${f.path}: notes out of order`);
      }
    }
  },
});
