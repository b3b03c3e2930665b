/**
 * Hostile and odd MIDI input: each case is either read correctly or refused with a message
 * that names the file and the reason. Files are built byte by byte (running status, format 0
 * with several channels, zero-length and overlapping notes are beyond @tonejs/midi's writer).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import tonejs from "@tonejs/midi";
import { loadMidiFolder, midiToNotes, notesToMidi, parseMidi } from "../../lib/music/midi.ts";
import { assertClose, buildMidi, patternNotes, tempDir } from "../_helpers.ts";

const { Midi } = tonejs;

// ---- a tiny Standard MIDI File writer ------------------------------------------------------

/** One event: delta time in ticks, then its bytes exactly as written (status optional). */
type Ev = [delta: number, ...bytes: number[]];

function vlq(n: number): number[] {
  const out = [n & 0x7f];
  for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) out.unshift((n & 0x7f) | 0x80);
  return out;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

function chunk(id: string, data: number[]): number[] {
  return [...[...id].map((c) => c.charCodeAt(0)), ...u32(data.length), ...data];
}

/** Track data (no chunk header); an end-of-track event is appended unless `eot` is false. */
function trackData(events: Ev[], eot = true): number[] {
  const all: Ev[] = eot ? [...events, [0, 0xff, 0x2f, 0]] : events;
  return all.flatMap(([delta, ...bytes]) => [...vlq(delta), ...bytes]);
}

interface SmfOptions {
  format?: number;
  division?: number;
  /** Number of tracks written in the header (default: the number given). */
  declared?: number;
}

function smf(tracks: Ev[][], options: SmfOptions = {}): Uint8Array {
  const { format = 1, division = 480, declared = tracks.length } = options;
  const header = chunk("MThd", [
    0,
    format,
    declared >> 8,
    declared & 255,
    division >> 8,
    division & 255,
  ]);
  return new Uint8Array([...header, ...tracks.flatMap((t) => chunk("MTrk", trackData(t)))]);
}

const on = (ch: number, pitch: number, velocity = 100) => [0x90 | ch, pitch, velocity];
const off = (ch: number, pitch: number) => [0x80 | ch, pitch, 0];
const tempo = (bpm: number) => {
  const us = Math.round(60_000_000 / bpm);
  return [0xff, 0x51, 3, (us >> 16) & 255, (us >> 8) & 255, us & 255];
};
const program = (ch: number, p: number) => [0xc0 | ch, p];

/** Notes as [pitch, startSec, durationSec], rounded to the microsecond. */
function table(notes: ReturnType<typeof midiToNotes>): number[][] {
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  return notes.map((n) => [n.pitch, r(n.start), r(n.duration)]);
}

/** A comparable summary of everything midiToNotes and the tests use from a parsed file. */
function summary(m: InstanceType<typeof Midi>): string {
  return JSON.stringify({
    ppq: m.header.ppq,
    tempos: m.header.tempos.map((t) => [t.ticks, t.bpm]),
    tracks: m.tracks.map((t) => ({
      name: t.name,
      channel: t.channel,
      program: t.instrument.number,
      end: t.endOfTrackTicks,
      notes: t.notes.map((n) => [n.midi, n.ticks, n.durationTicks, n.velocity, n.noteOffVelocity]),
    })),
  });
}

// ---- refused input ---------------------------------------------------------------------

Deno.test("parseMidi() refuses empty, non-MIDI and truncated files, naming the file", () => {
  assert.throws(
    () => parseMidi(new Uint8Array(0), "zero.mid"),
    /^Error: zero\.mid: not a MIDI file \(the file is empty\)$/,
  );
  const png = new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...new Array(20).fill(0),
  ]);
  assert.throws(
    () => parseMidi(png, "pic.mid"),
    /pic\.mid: not a MIDI file \(expected header "MThd"/,
  );
  const good = smf([[[0, ...on(0, 60)], [480, ...off(0, 60)]]]);
  assert.throws(() => parseMidi(good.subarray(0, 10), "short.mid"), /short\.mid: not a MIDI file/);
  assert.throws(
    () => parseMidi(good.subarray(0, good.length - 3), "cut.mid"),
    /cut\.mid: could not parse MIDI \(truncated: chunk "MTrk" at byte 14 declares \d+ bytes but \d+ remain\)/,
  );
  assert.throws(
    () => parseMidi(good.subarray(0, 14), "header-only.mid"),
    /header-only\.mid: could not parse MIDI \(truncated: header declares 1 tracks, found 0/,
  );
});

Deno.test("parseMidi() refuses corrupt structure, saying what is wrong and where", () => {
  const note: Ev[] = [[0, ...on(0, 60)], [480, ...off(0, 60)]];
  const header = (format: number, tracks: number, division: number, length = 6) =>
    chunk("MThd", [0, format, 0, tracks, division >> 8, division & 255]).map((b, i) =>
      i === 7 ? length : b
    );
  const withTrack = (head: number[], data: number[]) =>
    new Uint8Array([...head, ...chunk("MTrk", data)]);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    [
      "short header",
      withTrack(header(1, 1, 480, 2), trackData(note)),
      /header chunk is 2 bytes, expected at least 6/,
    ],
    ["format 3", smf([note], { format: 3 }), /unknown format 3, expected 0, 1 or 2/],
    ["no tracks", smf([], { declared: 0 }), /header declares 0 tracks/],
    ["SMPTE", smf([note], { division: 0xe728 }), /SMPTE time division .* not supported/],
    ["division 0", smf([note], { division: 0 }), /time division is 0 ticks per beat/],
    [
      "5-byte delta",
      withTrack(header(0, 1, 480), [0x81, 0x80, 0x80, 0x80, 0x00, ...on(0, 60)]),
      /track 1, byte 22: delta time is longer than 4 bytes/,
    ],
    [
      "pitch 200",
      smf([[[0, 0x90, 200, 100]]]),
      /track 1, byte 24: expected a data byte \(0\.\.127\), got 0xc8/,
    ],
    [
      "running status first",
      smf([[[0, 60, 100]]]),
      /track 1, byte 22: running status before any status byte/,
    ],
    ["status 0xF4", smf([[[0, 0xf4, 1]]]), /unknown status byte 0xf4/],
    [
      "meta past end",
      withTrack(header(0, 1, 480), [0, 0xff, 0x01, 0x7f, 65, 66]),
      /meta event 0x01 of 127 bytes runs past the end of the track/,
    ],
    // midi-file reads a 5-byte length as a negative number and steps backwards forever.
    [
      "5-byte sysex length",
      withTrack(header(0, 1, 480), [0, 0xf0, 0x8f, 0xff, 0xff, 0xff, 0x7f, 1, 2]),
      /track 1, byte 24: system-exclusive length is longer than 4 bytes/,
    ],
    [
      "sysex past end",
      withTrack(header(0, 1, 480), [0, 0xf0, 0x10, 1, 2]),
      /system-exclusive event of 16 bytes runs past the end/,
    ],
    [
      "cut-off note",
      withTrack(header(0, 1, 480), [0, 0x90, 60]),
      /channel event cut off at the end of the track/,
    ],
    [
      "delta at end",
      withTrack(header(0, 1, 480), [0, ...on(0, 60, 1), 0x83]),
      /delta time runs past the end of the track/,
    ],
    ["tempo 0", smf([[[0, 0xff, 0x51, 3, 0, 0, 0], ...note]]), /tempo of 0 µs per beat/],
    [
      "tempo length 2",
      smf([[[0, 0xff, 0x51, 2, 7, 0xa1], ...note]]),
      /tempo event of 2 bytes, expected 3/,
    ],
    ["empty tracks", withTrack(header(0, 1, 480), []), /no events: every track chunk is empty/],
    [
      "huge chunk length",
      new Uint8Array([...header(0, 1, 480), 0x4d, 0x54, 0x72, 0x6b, 0xff, 0xff, 0xff, 0xff, 0]),
      /chunk "MTrk" at byte 14 declares 4294967295 bytes but 1 remain/,
    ],
  ];
  for (const [what, bytes, pattern] of cases) {
    assert.throws(() => parseMidi(bytes, `${what}.mid`), (e: Error) => {
      assert.ok(e instanceof Error, `${what}: threw a non-Error`);
      assert.ok(
        e.message.startsWith(`${what}.mid: could not parse MIDI (`),
        `${what}: ${e.message}`,
      );
      assert.match(e.message, pattern, what);
      return true;
    });
  }
});

Deno.test("parseMidi() refuses a file over 16 MiB", () => {
  const big = new Uint8Array(16 * 1024 * 1024 + 1);
  big.set(smf([[[0, ...on(0, 60)], [480, ...off(0, 60)]]]));
  assert.throws(
    () => parseMidi(big, "big.mid"),
    /big\.mid: could not parse MIDI \(file too large: 16777217 bytes/,
  );
});

// ---- odd but readable input ---------------------------------------------------------------

Deno.test("parseMidi() skips unknown chunks, trailing bytes and malformed non-tempo meta events", () => {
  const notes: Ev[] = [[0, ...on(0, 60)], [480, ...off(0, 60)], [0, ...on(0, 64)], [
    480,
    ...off(0, 64),
  ]];
  const expected = [[60, 0, 0.5], [64, 0.5, 0.5]];
  const alien = new Uint8Array([
    ...chunk("MThd", [0, 1, 0, 2, 1, 0xe0]),
    ...chunk("XFIH", [1, 2, 3, 4, 5]),
    ...chunk("MTrk", trackData([[0, ...tempo(120)]])),
    ...chunk("MTrk", trackData(notes)),
    ...[0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff, 1],
  ]);
  assert.deepEqual(table(midiToNotes(alien)), expected);
  // A key signature of 3 bytes and a sequence number of 0 bytes: midi-file would throw.
  const oddMeta = smf([[[0, 0xff, 0x59, 3, 0, 0, 0], [0, 0xff, 0x00, 0], ...notes]]);
  assert.deepEqual(table(midiToNotes(oddMeta)), expected);
  // A longer header chunk (allowed by the standard) is read up to its declared length.
  const longHeader = new Uint8Array([
    ...chunk("MThd", [0, 0, 0, 1, 1, 0xe0, 9, 9]),
    ...chunk("MTrk", trackData(notes)),
  ]);
  assert.deepEqual(table(midiToNotes(longHeader)), expected);
});

Deno.test("parseMidi() unwraps a RIFF RMID file", () => {
  const inner = smf([[[0, ...on(0, 67)], [960, ...off(0, 67)]]]);
  const le = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
  const data = [..."data"].map((c) => c.charCodeAt(0));
  const body = [..."RMID"].map((c) => c.charCodeAt(0)).concat(data, le(inner.length), [...inner]);
  const riff = new Uint8Array(
    [..."RIFF"].map((c) => c.charCodeAt(0)).concat(le(body.length), body),
  );
  assert.deepEqual(table(midiToNotes(parseMidi(riff, "song.rmi"))), [[67, 0, 1]]);
});

Deno.test("midiToNotes() reads running status and a note-on of velocity 0 as a note-off", () => {
  // 90 3C 64, then running status: 3E 64 (on), 3C 00 (off), 3E 00 (off).
  const bytes = smf([[[0, 0x90, 60, 100], [0, 62, 100], [480, 60, 0], [240, 62, 0]]]);
  assert.deepEqual(table(midiToNotes(bytes)), [[60, 0, 0.5], [62, 0, 0.75]]);
});

Deno.test("midiToNotes() splits a format-0 file by channel: 'first' is the first channel to appear, 'all' merges all but drums", () => {
  const bytes = smf([[
    [0, ...tempo(120)],
    [0, ...program(1, 32)], // bass appears first
    [0, ...program(0, 0)],
    [0, ...on(9, 36)],
    [0, ...on(1, 40)],
    [0, ...on(0, 64)],
    [240, ...off(9, 36)],
    [240, ...off(0, 64)],
    [0, ...on(0, 67)],
    [480, ...off(0, 67)],
    [0, ...off(1, 40)],
  ]], { format: 0 });
  const midi = parseMidi(bytes, "format0.mid");
  // One track per channel: meta events ride with the first channel (bass), then piano, drums.
  assert.deepEqual(midi.tracks.map((t) => [t.channel, t.instrument.number, t.notes.length]), [
    [1, 32, 1],
    [0, 0, 2],
    [9, 0, 1],
  ]);
  assert.deepEqual(table(midiToNotes(midi)), [[40, 0, 1]]);
  assert.deepEqual(table(midiToNotes(midi, { instrument: "all" })), [[40, 0, 1], [64, 0, 0.5], [
    67,
    0.5,
    0.5,
  ]]);
  assert.deepEqual(table(midiToNotes(midi, { instrument: 2 })), [[36, 0, 0.25]]);
});

Deno.test("midiToNotes() follows the tempo map: 120 bpm then 60 bpm from beat 2", () => {
  const bytes = smf([[
    [0, ...tempo(120)],
    [0, ...on(0, 60)], // 0 s, one beat at 120 = 0.5 s
    [480, ...off(0, 60)],
    [0, ...on(0, 62)], // 0.5 s, across the change: 0.5 s + 1 s
    [480, ...tempo(60)],
    [0, ...on(0, 64)], // 1 s, one beat at 60 = 1 s
    [480, ...off(0, 62)],
    [0, ...off(0, 64)],
    [0, ...on(0, 65)], // 2 s
    [240, ...off(0, 65)],
  ]], { format: 0 });
  assert.deepEqual(table(midiToNotes(bytes)), [[60, 0, 0.5], [62, 0.5, 1.5], [64, 1, 1], [
    65,
    2,
    0.5,
  ]]);
});

Deno.test("midiToNotes() follows many tempo changes and uses 120 bpm before the first one", () => {
  // No tempo at tick 0: the standard's 120 bpm holds until the 240 bpm event at beat 2.
  const late = smf([[
    [0, ...on(0, 60)],
    [480, ...off(0, 60)],
    [0, ...on(0, 62)],
    [480, ...off(0, 62)],
    [0, ...tempo(240)],
    [0, ...on(0, 64)],
    [480, ...off(0, 64)],
  ]]);
  assert.deepEqual(table(midiToNotes(late)), [[60, 0, 0.5], [62, 0.5, 0.5], [64, 1, 0.25]]);
  // A tempo change on every beat, alternating 60 and 120 bpm (1 s and 0.5 s per beat), in a
  // separate tempo track as format 1 files keep them.
  const beats = 16;
  const conductor: Ev[] = Array.from(
    { length: beats },
    (_, i) => [i === 0 ? 0 : 480, ...tempo(i % 2 ? 120 : 60)],
  );
  const melody: Ev[] = Array.from(
    { length: beats },
    (_, i) => [[0, ...on(0, 60 + i)], [480, ...off(0, 60 + i)]] as Ev[],
  ).flat();
  const notes = midiToNotes(smf([conductor, melody]));
  let t = 0;
  notes.forEach((n, i) => {
    const beatSec = i % 2 ? 0.5 : 1;
    assertClose(n.start, t, 1e-9, `start ${i}`);
    assertClose(n.duration, beatSec, 1e-9, `duration ${i}`);
    t += beatSec;
  });
  assert.equal(notes.length, beats);
});

Deno.test("midiToNotes() pairs overlapping same-pitch notes first in, first out, and drops unreleased ones", () => {
  const bytes = smf([[
    [0, ...on(0, 60)],
    [240, ...on(0, 60)], // second C while the first still sounds
    [240, ...off(0, 60)], // releases the first (0 - 0.5 s)
    [480, ...off(0, 60)], // releases the second (0.25 - 1 s)
    [0, ...off(0, 60)], // a stray note-off: ignored
    [0, ...on(0, 72)], // never released: dropped
  ]]);
  assert.deepEqual(table(midiToNotes(bytes)), [[60, 0, 0.5], [60, 0.25, 0.75]]);
});

Deno.test("midiToNotes() keeps zero-length notes with duration 0, and pitches 0 and 127", () => {
  const bytes = smf([[
    [0, ...on(0, 0, 1)],
    [0, ...off(0, 0)], // zero length
    [0, ...on(0, 127, 127)],
    [480, ...off(0, 127)],
  ]]);
  const notes = midiToNotes(bytes);
  assert.deepEqual(table(notes), [[0, 0, 0], [127, 0, 0.5]]);
  assert.deepEqual(notes.map((n) => n.velocity), [1, 127]);
  assert.deepEqual(notes.map((n) => n.step), [0, 0]);
});

Deno.test("midiToNotes() keeps a note held across a program change on its channel", () => {
  const bytes = smf([[
    [0, ...program(0, 0)],
    [0, ...on(0, 60)],
    [240, ...program(0, 40)],
    [240, ...off(0, 60)],
    [0, ...on(0, 62)],
    [480, ...off(0, 62)],
  ]]);
  const midi = parseMidi(bytes, "program.mid");
  // Two tracks (one per program), the held note stays with the program it started under.
  assert.deepEqual(midi.tracks.map((t) => [t.instrument.number, t.notes.map((n) => n.midi)]), [[0, [
    60,
  ]], [40, [62]]]);
  assert.deepEqual(table(midiToNotes(midi, { instrument: "all" })), [[60, 0, 0.5], [62, 0.5, 0.5]]);
});

Deno.test("parseMidi() ignores thousands of stray note-offs and keeps the real notes", () => {
  const strays: Ev[] = Array.from({ length: 5000 }, () => [0, ...off(0, 61)]);
  const bytes = smf([[...strays, [0, ...on(0, 60)], [480, ...off(0, 60)]]]);
  assert.deepEqual(table(midiToNotes(bytes)), [[60, 0, 0.5]]);
});

Deno.test("parseMidi() gives what @tonejs/midi gives for well-formed files", () => {
  const files = [
    notesToMidi(patternNotes(50), { bpm: 93, program: 5, name: "lead" }),
    buildMidi([patternNotes(20), [{ pitch: 36, start: 0, duration: 0.1 }], patternNotes(9)], {
      channels: [0, 9, 3],
    }),
    smf([[
      [0, ...tempo(100)],
      [0, ...on(0, 60)],
      [0, ...on(1, 48)],
      [0, ...on(0, 60)],
      [10, ...off(0, 60)],
      [5, ...off(1, 48)],
      [0, 0xb0, 64, 127],
      [5, ...off(0, 60)],
      [0, ...on(0, 50)],
      [0, ...off(0, 50)],
    ]], { format: 0 }),
    smf([[[0, ...tempo(90)], [0, 0xff, 0x03, 4, 84, 101, 115, 116]], [
      [0, ...program(2, 19)],
      [0, 0x92, 60, 90],
      [100, 62, 90],
      [100, 60, 0],
      [0, 62, 0],
      [0, 0xe2, 0, 64],
    ]]),
  ];
  files.forEach((bytes, i) =>
    assert.equal(summary(parseMidi(bytes)), summary(new Midi(bytes)), `file ${i}`)
  );
});

// ---- a folder of everything -----------------------------------------------------------------

Deno.test("loadMidiFolder() reads the good files of a hostile folder and names every skipped one with its reason", () => {
  const dir = tempDir();
  try {
    const note: Ev[] = [[0, ...on(0, 60)], [480, ...off(0, 60)]];
    const write = (name: string, bytes: Uint8Array | number[]) =>
      Deno.writeFileSync(join(dir, name), new Uint8Array(bytes));
    write("a-good.mid", notesToMidi(patternNotes(8)));
    write("b-zero.mid", []);
    write("c-text.mid", [...new TextEncoder().encode("<html>not found</html>")]);
    write("d-truncated.mid", notesToMidi(patternNotes(8)).subarray(0, 40));
    write("e-corrupt.mid", smf([[[0, 0x90, 200, 100]]]));
    write("f-no-notes.mid", smf([[[0, ...tempo(100)]]]));
    write("g-drums.mid", smf([[[0, ...on(9, 36)], [240, ...off(9, 36)]]]));
    write(
      "h-format0.mid",
      smf([[[0, ...on(3, 50)], [0, ...on(9, 38)], [480, ...off(3, 50)], [0, ...off(9, 38)]]], {
        format: 0,
      }),
    );
    write("i-zero-length.mid", smf([[[0, ...on(0, 60)], [0, ...off(0, 60)], ...note]]));
    write(
      "j-extremes.mid",
      smf([[[0, ...on(0, 0)], [0, ...on(0, 127)], [480, ...off(0, 0)], [0, ...off(0, 127)]]]),
    );
    write("k-smpte.mid", smf([note], { division: 0xe728 }));
    const { files, skipped } = loadMidiFolder(dir);
    assert.deepEqual(files.map((f) => f.path.slice(dir.length + 1)), [
      "a-good.mid",
      "h-format0.mid",
      "i-zero-length.mid",
      "j-extremes.mid",
    ]);
    assert.deepEqual(table(files[1].notes), [[50, 0, 0.5]]);
    assert.deepEqual(table(files[2].notes), [[60, 0, 0], [60, 0, 0.5]]);
    assert.deepEqual(files[3].notes.map((n) => n.pitch), [0, 127]);
    const reasons = Object.fromEntries(
      skipped.map((s) => [s.path.slice(dir.length + 1), s.reason]),
    );
    assert.deepEqual(Object.keys(reasons), [
      "b-zero.mid",
      "c-text.mid",
      "d-truncated.mid",
      "e-corrupt.mid",
      "f-no-notes.mid",
      "g-drums.mid",
      "k-smpte.mid",
    ]);
    assert.equal(reasons["b-zero.mid"], "not a MIDI file (the file is empty)");
    assert.match(reasons["c-text.mid"], /^not a MIDI file \(expected header "MThd", got "<htm"\)$/);
    assert.match(reasons["d-truncated.mid"], /^could not parse MIDI \(truncated: /);
    assert.match(
      reasons["e-corrupt.mid"],
      /^could not parse MIDI \(track 1, byte 24: expected a data byte/,
    );
    assert.equal(reasons["f-no-notes.mid"], "0 notes, expected at least 1 (the file has no notes)");
    assert.equal(
      reasons["g-drums.mid"],
      "0 notes, expected at least 1 (only drum notes, MIDI channel 10)",
    );
    assert.match(reasons["k-smpte.mid"], /SMPTE time division/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
