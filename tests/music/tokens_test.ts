import assert from "node:assert/strict";
import { join } from "node:path";
import tonejs from "@tonejs/midi";
import { notesToMidi } from "../../lib/music/midi.ts";
import {
  chordToken,
  isChordToken,
  loadTokenFolder,
  midiToTokenEvents,
  midiToTokens,
  normalOrder,
  onsetToken,
  parsePitchName,
  pitchName,
  quantizeBeats,
  tokenPitches,
  tokensToNotes,
} from "../../lib/music/tokens.ts";
import { assertClose, buildMidi, tempDir } from "../_helpers.ts";
import { rawMidi } from "./_raw_midi.ts";

const { Midi } = tonejs;

/** A note placed in ticks: [pitch, onset ticks, length ticks]. */
type TickNote = [number, number, number];

/** Builds a MIDI file from notes placed in ticks (one track per list). */
function midiFromTicks(
  tracks: TickNote[][],
  options: { ppq?: number; channels?: number[]; programs?: number[] } = {},
): Uint8Array {
  const midi = new Midi();
  midi.header.fromJSON({ ...midi.header.toJSON(), ppq: options.ppq ?? 480 });
  midi.header.setTempo(120);
  tracks.forEach((notes, i) => {
    const track = midi.addTrack();
    track.channel = options.channels?.[i] ?? i;
    track.instrument.number = options.programs?.[i] ?? 0;
    for (const [pitch, ticks, durationTicks] of notes) {
      track.addNote({ midi: pitch, ticks, durationTicks, velocity: 0.8 });
    }
  });
  return midi.toArray();
}

const join_ = (pcs: number[]) => pcs.join(".");

Deno.test("pitchName() spells MIDI pitches as music21 does (sharps on C F G, flats on E B)", () => {
  assert.equal(pitchName(60), "C4");
  const octave4 = Array.from({ length: 12 }, (_, i) => pitchName(60 + i));
  assert.deepEqual(octave4, [
    "C4",
    "C#4",
    "D4",
    "E-4",
    "E4",
    "F4",
    "F#4",
    "G4",
    "G#4",
    "A4",
    "B-4",
    "B4",
  ]);
  assert.equal(pitchName(54), "F#3");
  assert.equal(pitchName(80), "G#5");
  assert.equal(pitchName(46), "B-2");
  assert.equal(pitchName(21), "A0");
  assert.equal(pitchName(127), "G9");
  assert.equal(pitchName(0), "C-1");
  assert.throws(
    () => pitchName(128),
    /pitch: expected an integer MIDI number in 0\.\.127, got 128/,
  );
  assert.throws(() => pitchName(60.5), /got 60\.5/);
});

Deno.test("parsePitchName() reads every name pitchName() writes from MIDI 12 up, and other spellings", () => {
  for (let midi = 12; midi <= 127; midi++) assert.equal(parsePitchName(pitchName(midi)), midi);
  assert.equal(parsePitchName("D#4"), 63);
  assert.equal(parsePitchName("E-4"), 63);
  assert.equal(parsePitchName("C-4"), 59);
  assert.equal(parsePitchName("F##4"), 67);
  assert.throws(() => parsePitchName("H4"), /pitch name: expected a letter A-G/);
  assert.throws(() => parsePitchName("C"), /got "C"/);
  assert.throws(() => parsePitchName("G10"), /outside 0\.\.127/);
});

Deno.test("normalOrder() gives the most compact rotation for hand-worked chords", () => {
  // C major in root position and first inversion (E G C): both 0.4.7.
  assert.equal(join_(normalOrder([0, 4, 7])), "0.4.7");
  assert.equal(join_(normalOrder([4, 7, 0])), "0.4.7");
  // A minor: {0,4,9}; rotations span 9 (0 4 9), 8 (4 9 0) and 7 (9 0 4).
  assert.equal(join_(normalOrder([9, 0, 4])), "9.0.4");
  // B minor: {2,6,11}; 11 2 6 spans 7, the others 8 and 9.
  assert.equal(join_(normalOrder([11, 2, 6])), "11.2.6");
  // G dominant seventh G B D F: 11 2 5 7 spans 8 (7 11 2 5 spans 10).
  assert.equal(join_(normalOrder([7, 11, 2, 5])), "11.2.5.7");
  // The notebooks' own examples: A+E and E+B dyads.
  assert.equal(join_(normalOrder([64, 69])), "4.9");
  assert.equal(join_(normalOrder([71, 76])), "11.4");
});

Deno.test("normalOrder() starts a symmetric chord on its lowest pitch class", () => {
  // Diminished seventh: every rotation spans 9 with the same intervals.
  assert.equal(join_(normalOrder([11, 2, 5, 8])), "2.5.8.11");
  // {0,1,6,7}: 0 1 6 7 and 6 7 0 1 both span 7 with intervals 1, 6.
  assert.equal(join_(normalOrder([6, 7, 0, 1])), "0.1.6.7");
  // Augmented triad and the whole-tone scale.
  assert.equal(join_(normalOrder([8, 0, 4])), "0.4.8");
  assert.equal(join_(normalOrder([1, 5, 9])), "1.5.9");
  assert.equal(join_(normalOrder([10, 8, 6, 4, 2, 0])), "0.2.4.6.8.10");
});

Deno.test("normalOrder() collapses duplicates and octaves; one pitch class gives one element", () => {
  assert.equal(join_(normalOrder([48, 60, 64, 76])), "0.4");
  assert.deepEqual(normalOrder([48, 60]), [0]);
  assert.deepEqual(normalOrder([62, 62]), [2]);
  assert.deepEqual(normalOrder([]), []);
  assert.deepEqual(normalOrder([-1, 11]), [11]);
});

Deno.test("normalOrder() matches the examples in music21's documentation", () => {
  assert.equal(join_(normalOrder([0, 3, 7])), "0.3.7"); // C E- G
  assert.equal(join_(normalOrder([2, 6, 9])), "2.6.9"); // D F# A
  assert.equal(join_(normalOrder([70, 74, 77])), "10.2.5"); // B-4 D5 F5
  assert.equal(join_(normalOrder([44, 45, 50, 55])), "7.8.9.2"); // G#2 A2 D3 G3
  assert.equal(join_(normalOrder([55, 62, 68, 69, 72, 76])), "7.8.9.0.2.4");
  assert.equal(join_(normalOrder([53, 57, 61])), "1.5.9"); // E#3 A3 C#4
  assert.equal(join_(normalOrder([83, 67, 74, 75, 86])), "11.2.3.7"); // B5 G4 D5 E-5 D6
});

Deno.test("normalOrder() breaks ties by Forte's rule by default, or by Rahn's", () => {
  // 5-20: rotations 0 1 3 7 8 and 7 8 0 1 3 both span 8.
  assert.equal(join_(normalOrder([0, 1, 3, 7, 8])), "0.1.3.7.8");
  assert.equal(join_(normalOrder([0, 1, 3, 7, 8], { convention: "forte" })), "0.1.3.7.8");
  assert.equal(join_(normalOrder([0, 1, 3, 7, 8], { convention: "rahn" })), "7.8.0.1.3");
  // 6-31: Forte packs left (0 1 3 ...), Rahn from the right (... 3 5).
  assert.equal(join_(normalOrder([0, 1, 3, 5, 8, 9])), "0.1.3.5.8.9");
  assert.equal(join_(normalOrder([0, 1, 3, 5, 8, 9], { convention: "rahn" })), "8.9.0.1.3.5");
});

Deno.test("normalOrder() with 'music21-legacy' gives old music21's mirrored forms of inverted chords", () => {
  // 4-19B (C E G A-flat): Forte's rule gives 4 7 8 0, old music21 its table form 0 4 7 8.
  assert.equal(join_(normalOrder([0, 4, 7, 8])), "4.7.8.0");
  assert.equal(join_(normalOrder([0, 4, 7, 8], { convention: "music21-legacy" })), "0.4.7.8");
  assert.equal(join_(normalOrder([2, 3, 7, 11], { convention: "music21-legacy" })), "7.11.2.3");
  // 5-13B: old table form 0 4 6 7 8.
  assert.equal(join_(normalOrder([0, 4, 6, 7, 8], { convention: "music21-legacy" })), "0.4.6.7.8");
  assert.equal(join_(normalOrder([0, 4, 6, 7, 8])), "4.6.7.8.0");
  // Chords in their prime orientation, and all trichords, are the same as Forte's.
  assert.equal(join_(normalOrder([0, 1, 4, 8], { convention: "music21-legacy" })), "0.1.4.8");
  assert.equal(join_(normalOrder([9, 0, 4], { convention: "music21-legacy" })), "9.0.4");
  assert.equal(join_(normalOrder([7, 11, 2, 5], { convention: "music21-legacy" })), "11.2.5.7");
});

Deno.test("normalOrder() returns a permutation of the distinct pitch classes for every set", () => {
  for (let mask = 1; mask < 4096; mask++) {
    const pcs = Array.from({ length: 12 }, (_, i) => i).filter((i) => mask & (1 << i));
    for (const convention of ["forte", "rahn", "music21-legacy"] as const) {
      const order = normalOrder(pcs, { convention });
      assert.deepEqual([...order].sort((a, b) => a - b), pcs, `${convention} ${pcs}`);
    }
  }
});

Deno.test("normalOrder() rejects non-integers and unknown conventions, naming them", () => {
  assert.throws(() => normalOrder([0, 4.5]), /pitch classes: expected integers, got 4\.5/);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => normalOrder([0, 4], { convention: "straus" as any }),
    /convention: expected "forte", "rahn" or "music21-legacy", got "straus"/,
  );
});

Deno.test("onsetToken() names a lone note and joins a chord's normal order with dots", () => {
  assert.equal(onsetToken([61]), "C#4");
  assert.equal(onsetToken([64, 60, 67]), "0.4.7");
  assert.equal(onsetToken([48, 60]), "0");
  assert.equal(chordToken([57, 60, 64]), "9.0.4");
  assert.throws(() => chordToken([]), /chord: expected at least one pitch/);
  assert.ok(isChordToken("0") && isChordToken("11.2.6"));
  assert.ok(!isChordToken("C4") && !isChordToken("E-4") && !isChordToken("0."));
});

Deno.test("tokenPitches() places chord pitch classes in octave 4 and reads note names", () => {
  assert.deepEqual(tokenPitches("0.4.7"), [60, 64, 67]);
  assert.deepEqual(tokenPitches("11.2.6"), [71, 62, 66]);
  assert.deepEqual(tokenPitches("4.9", 3), [52, 57]);
  assert.deepEqual(tokenPitches("B-2"), [46]);
  assert.throws(() => tokenPitches("0.13"), /pitch class 13 is outside 0\.\.11/);
  assert.throws(() => tokenPitches("X9"), /token "X9": expected a note name/);
});

Deno.test("quantizeBeats() snaps to the nearer of the sixteenth and triplet grids", () => {
  assert.equal(quantizeBeats(0.26), 0.25);
  assert.equal(quantizeBeats(0.3), 1 / 3);
  assert.equal(quantizeBeats(1.02), 1);
  assert.equal(quantizeBeats(2.64), 2 + 2 / 3);
  // 0.125 is 0.125 from both 0 (triplets) and 0.25 (sixteenths): the finer grid wins.
  assert.equal(quantizeBeats(0.125), 0.25);
  // An exact half-way point on one grid rounds up, as music21 does.
  assert.equal(quantizeBeats(0.375, [4]), 0.5);
  assert.equal(quantizeBeats(0.3, []), 0.3);
  assert.throws(
    () => quantizeBeats(1, [4, 0]),
    /quarterLengthDivisors: expected positive integers/,
  );
});

Deno.test("midiToTokens() turns single notes into names and simultaneous notes into chords", () => {
  const bytes = midiFromTicks([[
    [64, 0, 480],
    [60, 480, 480],
    [64, 480, 480],
    [67, 480, 480],
    [61, 960, 240],
    [70, 1200, 240],
    [63, 1440, 480],
    [48, 1920, 480],
    [60, 1920, 480],
  ]]);
  assert.deepEqual(midiToTokens(bytes), ["E4", "0.4.7", "C#4", "B-4", "E-4", "0"]);
});

Deno.test("midiToTokens() gives one chord token for every voicing of a chord", () => {
  const bytes = midiFromTicks([[
    [60, 0, 480],
    [64, 0, 480],
    [67, 0, 480],
    [52, 480, 480],
    [67, 480, 480],
    [72, 480, 480],
    [43, 960, 480],
    [64, 960, 480],
    [84, 960, 480],
  ]]);
  assert.deepEqual(midiToTokens(bytes), ["0.4.7", "0.4.7", "0.4.7"]);
});

Deno.test("midiToTokens() groups slightly-off onsets after quantising, and not without a grid", () => {
  // 470 and 490 ticks are 0.979 and 1.021 quarter notes: both snap to 1.
  const bytes = midiFromTicks([[
    [69, 0, 240],
    [57, 470, 480],
    [60, 490, 480],
    [64, 480, 480],
    [71, 960 + 5, 240],
  ]]);
  assert.deepEqual(midiToTokens(bytes), ["A4", "9.0.4", "B4"]);
  assert.deepEqual(midiToTokens(bytes, { quarterLengthDivisors: [] }), [
    "A4",
    "A3",
    "E4",
    "C4",
    "B4",
  ]);
});

Deno.test("midiToTokenEvents() reports quantised onsets and lengths in quarter notes", () => {
  // ppq 96: a triplet eighth is 32 ticks; 31 and 65 ticks snap to 1/3 and 2/3.
  const bytes = midiFromTicks([[[60, 0, 31], [62, 31, 33], [64, 65, 31], [65, 96, 200]]], {
    ppq: 96,
  });
  const events = midiToTokenEvents(bytes);
  assert.deepEqual(events.map((e) => e.token), ["C4", "D4", "E4", "F4"]);
  [0, 1 / 3, 2 / 3, 1].forEach((o, i) =>
    assertClose(events[i].offsetBeats, o, 1e-12, `onset ${i}`)
  );
  [1 / 3, 1 / 3, 1 / 3, 2].forEach((d, i) =>
    assertClose(events[i].durationBeats, d, 1e-12, `length ${i}`)
  );
  assert.deepEqual(events[3].pitches, [65]);
});

Deno.test("midiToTokenEvents() never rounds a note's length to zero", () => {
  const bytes = midiFromTicks([[[60, 0, 10], [62, 480, 480]]]);
  const events = midiToTokenEvents(bytes);
  assert.equal(events[0].durationBeats, 0.25);
});

Deno.test("midiToTokens() reads tracks by index, first track or all merged, never drums by name", () => {
  const bytes = midiFromTicks([
    [[36, 0, 240]],
    [[72, 0, 480], [74, 480, 480]],
    [[48, 0, 960]],
  ], { channels: [9, 0, 1] });
  assert.deepEqual(midiToTokens(bytes, { instrument: "first-track" }), ["C5", "D5"]);
  assert.deepEqual(midiToTokens(bytes, { instrument: "all-merged" }), ["0", "D5"]);
  assert.deepEqual(midiToTokens(bytes, { instrument: 2 }), ["C3"]);
  assert.deepEqual(midiToTokens(bytes, { instrument: 0 }), ["C2"]);
  // The older names keep their meaning.
  assert.deepEqual(midiToTokens(bytes, { instrument: "first" }), ["C5", "D5"]);
  assert.deepEqual(midiToTokens(bytes, { instrument: "all" }), ["0", "D5"]);
  assert.throws(
    () => midiToTokens(bytes, { instrument: 5 }),
    /instrument: expected a track index in 0\.\.2/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => midiToTokens(bytes, { instrument: "second" as any }),
    /instrument: expected "first-instrument", "first-track", "all-merged" or a track index, got "second"/,
  );
});

// Two hands of a piano piece, as two program-0 tracks: the right hand strikes E5+G5, D5,
// then C5+E5; the left hand C3+G3 with the first and G2 with the third.
const RIGHT_HAND: TickNote[] = [[76, 0, 240], [79, 0, 240], [74, 240, 240], [72, 480, 480], [
  76,
  480,
  480,
]];
const LEFT_HAND: TickNote[] = [[48, 0, 480], [55, 0, 480], [43, 480, 480]];

Deno.test("midiToTokens() reads both hands of a two-track piano file by default, each hand's chords apart", () => {
  const bytes = midiFromTicks([RIGHT_HAND, LEFT_HAND], { channels: [0, 1] });
  const events = midiToTokenEvents(bytes);
  // Interleaved by onset; at a shared onset the right hand (first track) comes first.
  assert.deepEqual(events.map((e) => e.token), ["4.7", "7.0", "D5", "0.4", "G2"]);
  assert.deepEqual(events.map((e) => e.offsetBeats), [0, 0, 0.5, 1, 1]);
  assert.deepEqual(events.map((e) => e.pitches), [[76, 79], [48, 55], [74], [72, 76], [43]]);
  assert.deepEqual(
    midiToTokens(bytes, { instrument: "first-instrument" }),
    events.map((e) => e.token),
  );
  // Ties follow the order of the tracks in the file.
  assert.deepEqual(midiToTokens(midiFromTicks([LEFT_HAND, RIGHT_HAND])), [
    "7.0",
    "4.7",
    "D5",
    "G2",
    "0.4",
  ]);
  // The other choices: the right hand alone, or one chord per onset over both hands.
  assert.deepEqual(midiToTokens(bytes, { instrument: "first-track" }), ["4.7", "D5", "0.4"]);
  assert.deepEqual(midiToTokens(bytes, { instrument: "all-merged" }), ["0.4.7", "D5", "0.4.7"]);
});

Deno.test("midiToTokens() leaves out a second instrument, and the first instrument is the first track's", () => {
  const violin: TickNote[] = [[81, 0, 960], [83, 960, 960]];
  const pianoFirst = midiFromTicks([RIGHT_HAND, violin, LEFT_HAND], { programs: [0, 40, 0] });
  assert.deepEqual(midiToTokens(pianoFirst), ["4.7", "7.0", "D5", "0.4", "G2"]);
  const violinFirst = midiFromTicks([violin, RIGHT_HAND, LEFT_HAND], { programs: [40, 0, 0] });
  assert.deepEqual(midiToTokens(violinFirst), ["A5", "B5"]);
  assert.deepEqual(midiToTokens(violinFirst, { instrument: "all-merged" }), [
    "4.7.9.0",
    "D5",
    "0.4.7",
    "B5",
  ]);
});

Deno.test("midiToTokens() reads every track of a file without program changes, as music21 falls back to all notes", () => {
  const none = rawMidi([
    { channel: 0, notes: RIGHT_HAND },
    { channel: 1, notes: LEFT_HAND },
  ]);
  assert.deepEqual(midiToTokens(none), ["4.7", "7.0", "D5", "0.4", "G2"]);
  assert.deepEqual(midiToTokens(none, { instrument: "first-track" }), ["4.7", "D5", "0.4"]);
  // Where some tracks have a program change, a track without one belongs to no instrument.
  const mixed = rawMidi([
    { channel: 0, notes: RIGHT_HAND },
    { channel: 1, program: 0, notes: LEFT_HAND },
  ]);
  assert.deepEqual(midiToTokens(mixed), ["7.0", "G2"]);
});

Deno.test("midiToTokens() never reads a drum track by default, even one of the piano's program", () => {
  const drums: TickNote[] = [[36, 0, 120], [42, 240, 120], [38, 480, 120]];
  const bytes = midiFromTicks([drums, RIGHT_HAND, LEFT_HAND], { channels: [9, 0, 1] });
  assert.deepEqual(midiToTokens(bytes), ["4.7", "7.0", "D5", "0.4", "G2"]);
  const raw = rawMidi([
    { channel: 9, notes: drums },
    { channel: 0, notes: RIGHT_HAND },
    { channel: 1, notes: LEFT_HAND },
  ]);
  assert.deepEqual(midiToTokens(raw), ["4.7", "7.0", "D5", "0.4", "G2"]);
  assert.deepEqual(midiToTokens(raw, { instrument: "all-merged" }), ["0.4.7", "D5", "0.4.7"]);
});

Deno.test("loadTokenFolder() reads both hands by default", () => {
  const dir = tempDir();
  try {
    Deno.writeFileSync(join(dir, "a.mid"), midiFromTicks([RIGHT_HAND, LEFT_HAND]));
    assert.deepEqual(loadTokenFolder(dir).files[0].tokens, ["4.7", "7.0", "D5", "0.4", "G2"]);
    assert.deepEqual(loadTokenFolder(dir, { instrument: "first-track" }).files[0].tokens, [
      "4.7",
      "D5",
      "0.4",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("midiToTokens() measures in beats, so the tempo of the file does not change the tokens", () => {
  const notes = [
    { pitch: 60, start: 0, duration: 0.2 },
    { pitch: 64, start: 0.25, duration: 0.2 },
    { pitch: 67, start: 0.25, duration: 0.2 },
  ];
  const slow = buildMidi([notes], { bpm: 60 });
  const fast = buildMidi([notes.map((n) => ({ ...n, start: n.start / 2, duration: 0.1 }))], {
    bpm: 120,
  });
  assert.deepEqual(midiToTokens(slow), ["C4", "4.7"]);
  assert.deepEqual(midiToTokens(fast), midiToTokens(slow));
});

Deno.test("tokensToNotes() spaces tokens 0.5 quarter notes apart and sounds chords in octave 4", () => {
  const notes = tokensToNotes(["C#5", "0.4.7", "B-2"], { bpm: 120 });
  assert.deepEqual(notes.map((n) => n.pitch), [73, 60, 64, 67, 46]);
  // 0.5 quarter notes at 120 bpm is 0.25 s; notes last a quarter note (0.5 s).
  assert.deepEqual(notes.map((n) => n.start), [0, 0.25, 0.25, 0.25, 0.5]);
  assert.deepEqual(notes.map((n) => n.step), [0, 0.25, 0, 0, 0.25]);
  for (const n of notes) {
    assert.equal(n.duration, 0.5);
    assert.equal(n.end, n.start + 0.5);
    assert.equal(n.velocity, 100);
  }
  const slower = tokensToNotes(["C4", "D4"], { bpm: 60, stepBeats: 1, durationBeats: 0.5 });
  assert.deepEqual(slower.map((n) => [n.start, n.duration]), [[0, 0.5], [1, 0.5]]);
});

Deno.test("tokensToNotes() uses per-token timing when given, such as the timing read from a file", () => {
  const bytes = midiFromTicks([[[60, 0, 240], [64, 240, 720], [67, 240, 720], [62, 960, 480]]]);
  const events = midiToTokenEvents(bytes);
  const notes = tokensToNotes(events.map((e) => e.token), { timing: events, bpm: 120 });
  assert.deepEqual(notes.map((n) => [n.pitch, n.start, n.duration]), [
    [60, 0, 0.25],
    [64, 0.25, 0.75],
    [67, 0.25, 0.75],
    [62, 1, 0.5],
  ]);
  assert.throws(
    () => tokensToNotes(["C4", "D4"], { timing: events }),
    /timing: expected one entry per token \(2\), got 3/,
  );
});

Deno.test("tokensToNotes() -> notesToMidi() -> midiToTokens() gives the tokens back", () => {
  // A one-pitch-class chord token such as "0" comes back as a lone note ("C4"), so none here.
  const tokens = ["C4", "0.4.7", "B-3", "E-5", "11.2.6", "F#4", "9.0.4", "G#2", "2.5.8.11"];
  const notes = tokensToNotes(tokens, { bpm: 100, durationBeats: 0.5 });
  assert.deepEqual(midiToTokens(notesToMidi(notes, { bpm: 100 })), tokens);
});

Deno.test("tokensToNotes() names the position of a token it cannot read", () => {
  assert.throws(() => tokensToNotes(["C4", "Q7"]), /token 1: token "Q7": expected a note name/);
  assert.throws(() => tokensToNotes(["C4"], { bpm: 0 }), /bpm: expected a positive number/);
});

Deno.test("loadTokenFolder() reads every file and lists the ones it skips with reasons", () => {
  const dir = tempDir();
  try {
    Deno.mkdirSync(join(dir, "sub"));
    Deno.writeFileSync(join(dir, "a.mid"), midiFromTicks([[[60, 0, 480], [64, 480, 480]]]));
    Deno.writeFileSync(join(dir, "sub", "b.midi"), midiFromTicks([[[62, 0, 480]]]));
    Deno.writeTextFileSync(join(dir, "broken.mid"), "not a midi file");
    Deno.writeFileSync(join(dir, "silent.mid"), midiFromTicks([[]]));
    Deno.writeTextFileSync(join(dir, "notes.txt"), "ignored");
    const progress: number[] = [];
    const folder = loadTokenFolder(dir, { onProgress: (done) => progress.push(done) });
    assert.deepEqual(folder.files.map((f) => [f.path, f.tokens]), [
      [join(dir, "a.mid"), ["C4", "E4"]],
      [join(dir, "sub", "b.midi"), ["D4"]],
    ]);
    assert.deepEqual(folder.skipped.map((s) => s.path), [
      join(dir, "broken.mid"),
      join(dir, "silent.mid"),
    ]);
    assert.match(folder.skipped[0].reason, /not a MIDI file/);
    assert.equal(folder.skipped[1].reason, "0 tokens, expected at least 1");
    assert.deepEqual(progress, [1, 2, 3, 4]);
    const strict = loadTokenFolder(dir, { minTokens: 2 });
    assert.deepEqual(strict.files.map((f) => f.path), [join(dir, "a.mid")]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("loadTokenFolder() names the folder when it is missing or gives no tokens", () => {
  assert.throws(
    () => loadTokenFolder("/no/such/folder"),
    /data folder \/no\/such\/folder: not found/,
  );
  const dir = tempDir();
  try {
    Deno.writeTextFileSync(join(dir, "broken.mid"), "nope");
    assert.throws(() => loadTokenFolder(dir), /none of 1 MIDI files gave tokens/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
