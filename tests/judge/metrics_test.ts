import assert from "node:assert/strict";
import type { Note } from "../../lib/music/midi.ts";
import {
  corpusMetrics,
  corpusTokenMetrics,
  metricsTable,
  pieceMetrics,
  tokenMetrics,
} from "../../lib/judge/metrics.ts";
import { assertClose } from "../_helpers.ts";

/** A note from pitch, start and duration in seconds (step left at 0: metrics ignore it). */
function note(pitch: number, start: number, duration: number): Note {
  return { pitch, start, end: start + duration, step: 0, duration, velocity: 100 };
}

/** One note per pitch, each half a second long, back to back. */
function melody(pitches: number[], stepSec = 0.5): Note[] {
  return pitches.map((p, i) => note(p, i * stepSec, stepSec));
}

const C_MAJOR = [60, 62, 64, 65, 67, 69, 71, 72];

Deno.test("pieceMetrics() measures a C major scale: range, classes, entropy, key, density", () => {
  const m = pieceMetrics(melody(C_MAJOR));
  assert.equal(m.noteCount, 8);
  assert.equal(m.pitchMin, 60);
  assert.equal(m.pitchMax, 72);
  assert.equal(m.pitchSpan, 12);
  assert.equal(m.distinctPitches, 8);
  assert.equal(m.distinctPitchClasses, 7);
  // C twice, six other classes once: -(2/8 log2 2/8 + 6 * 1/8 log2 1/8) = 0.5 + 2.25.
  assertClose(m.pitchClassEntropyBits, 2.75, 1e-12, "entropy");
  assert.equal(m.scaleConsistency, 1);
  assert.equal(m.scale, "C major");
  assert.equal(m.polyphony, 1);
  assert.equal(m.durationSec, 4);
  assert.equal(m.notesPerSec, 2);
  assert.equal(m.emptyBeatRate, 0);
  assert.equal(m.repeatedNgramRate, 0);
  assert.equal(m.longestRepeatRun, 1);
});

Deno.test("pieceMetrics() names the relative minor when its tonic is the most frequent note", () => {
  // A natural minor scale A3..A4: same pitch classes as C major, A occurs twice.
  const m = pieceMetrics(melody([57, 59, 60, 62, 64, 65, 67, 69]));
  assert.equal(m.scaleConsistency, 1);
  assert.equal(m.scale, "A minor");
});

Deno.test("pieceMetrics() gives a chromatic scale log2(12) bits and 7/12 in the best scale", () => {
  const m = pieceMetrics(melody([60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71]));
  assertClose(m.pitchClassEntropyBits, Math.log2(12), 1e-12, "entropy");
  assert.equal(m.distinctPitchClasses, 12);
  assertClose(m.scaleConsistency, 7 / 12, 1e-12, "scale consistency");
  assert.equal(pieceMetrics(melody([60, 72, 84])).pitchClassEntropyBits, 0);
});

Deno.test("pieceMetrics() counts polyphony as notes sounding at each distinct onset", () => {
  // A triad at 0, a single note at 1: (3 + 1) / 2.
  const chords = [note(60, 0, 1), note(64, 0, 1), note(67, 0, 1), note(72, 1, 1)];
  assert.equal(pieceMetrics(chords).polyphony, 2);
  // A held bass under two melody notes: two sounding at both onsets.
  const held = [note(48, 0, 2), note(60, 0, 1), note(62, 1, 1)];
  assert.equal(pieceMetrics(held).polyphony, 2);
  // A note that ends exactly where the next begins no longer sounds there.
  assert.equal(pieceMetrics([note(60, 0, 1), note(62, 1, 1)]).polyphony, 1);
});

Deno.test("pieceMetrics() counts beats without any sounding note as empty", () => {
  // Sound in [0, 0.5) and [2, 2.5); 120 bpm gives five half-second beats, three silent.
  const gap = [note(60, 0, 0.5), note(62, 2, 0.5)];
  assertClose(pieceMetrics(gap).emptyBeatRate, 3 / 5, 1e-12, "120 bpm");
  // One-second beats: [0,1) sounds, [1,2) is silent, [2,3) sounds.
  assertClose(pieceMetrics(gap, { beatSec: 1 }).emptyBeatRate, 1 / 3, 1e-12, "beatSec 1");
  assertClose(pieceMetrics(gap, { bpm: 60 }).emptyBeatRate, 1 / 3, 1e-12, "60 bpm");
  // A long note covers every beat it spans.
  assert.equal(pieceMetrics([note(60, 0, 2), note(62, 2, 0.5)]).emptyBeatRate, 0);
});

Deno.test("pieceMetrics() measures repetition of a motif as repeated n-grams and runs", () => {
  // A 4-note motif three times: 9 four-grams, the first 4 new, the other 5 repeats.
  const motif = [60, 62, 64, 65];
  const m = pieceMetrics(melody([...motif, ...motif, ...motif]));
  assertClose(m.repeatedNgramRate, 5 / 9, 1e-12, "n=4");
  assert.equal(m.longestRepeatRun, 1);
  // Bigrams of 60 62 60 62 60: (60,62) (62,60) new, then both again.
  assert.equal(pieceMetrics(melody([60, 62, 60, 62, 60]), { n: 2 }).repeatedNgramRate, 0.5);
  assert.equal(pieceMetrics(melody([60, 60, 60, 62, 62])).longestRepeatRun, 3);
  // Fewer notes than n: no n-grams, nothing repeated.
  assert.equal(pieceMetrics(melody([60, 60, 60])).repeatedNgramRate, 0);
});

Deno.test("pieceMetrics() reads notes in time order and does not change its input", () => {
  const notes = melody(C_MAJOR).reverse();
  const copy = structuredClone(notes);
  const m = pieceMetrics(notes, { n: 2 });
  assert.deepEqual(notes, copy);
  assert.deepEqual(m, pieceMetrics(melody(C_MAJOR), { n: 2 }));
});

Deno.test("pieceMetrics() rejects an empty piece and invalid settings, naming them", () => {
  assert.throws(() => pieceMetrics([]), /notes: expected at least one note, got 0/);
  assert.throws(() => pieceMetrics(melody(C_MAJOR), { bpm: 0 }), /bpm: expected a positive/);
  assert.throws(() => pieceMetrics(melody(C_MAJOR), { beatSec: -1 }), /beatSec: expected/);
  assert.throws(() => pieceMetrics(melody(C_MAJOR), { n: 0 }), /n: expected an integer/);
});

Deno.test("tokenMetrics() measures token repetition, runs and chord share", () => {
  const tokens = ["C4", "C4", "0.4.7", "C4", "C4", "0.4.7"];
  const m = tokenMetrics(tokens, { n: 3 });
  assert.equal(m.tokenCount, 6);
  assert.equal(m.distinctTokens, 2);
  assertClose(m.chordRate, 2 / 6, 1e-12, "chord rate");
  // Trigrams: [C4 C4 047] [C4 047 C4] [047 C4 C4] [C4 C4 047]: the last repeats the first.
  assert.equal(m.repeatedNgramRate, 1 / 4);
  assert.equal(m.longestRepeatRun, 2);
  assert.deepEqual(tokenMetrics([]), {
    tokenCount: 0,
    distinctTokens: 0,
    chordRate: 0,
    repeatedNgramRate: 0,
    longestRepeatRun: 0,
  });
});

Deno.test("corpusMetrics() gives mean, std and scale counts, skipping empty pieces", () => {
  const pieces = [melody(C_MAJOR), melody([...C_MAJOR, 60, 62, 64, 65]), []];
  const c = corpusMetrics(pieces);
  assert.equal(c.pieceCount, 2);
  assert.equal(c.emptyCount, 1);
  assert.equal(c.mean.noteCount, 10);
  assert.equal(c.std.noteCount, 2);
  assert.equal(c.mean.pitchSpan, 12);
  assert.equal(c.std.pitchSpan, 0);
  assert.deepEqual(c.scaleCounts, { "C major": 2 });
  assert.equal("scale" in c.mean, false);
  assert.throws(() => corpusMetrics([[], []]), /expected at least one piece with notes/);
});

Deno.test("corpusMetrics() uses each piece's own tempo from bpmOf", () => {
  const gap = [note(60, 0, 0.5), note(62, 2, 0.5)];
  const c = corpusMetrics([gap, gap], { bpmOf: (i) => (i === 0 ? 120 : 60) });
  assertClose(c.mean.emptyBeatRate, (3 / 5 + 1 / 3) / 2, 1e-12, "mean empty-beat rate");
});

Deno.test("corpusTokenMetrics() averages token metrics over sequences", () => {
  const c = corpusTokenMetrics([["C4", "C4"], ["0.4.7", "D4", "E4", "F4"], []]);
  assert.equal(c.pieceCount, 2);
  assert.equal(c.emptyCount, 1);
  assert.equal(c.mean.tokenCount, 3);
  assert.equal(c.std.tokenCount, 1);
  assertClose(c.mean.chordRate, (0 + 0.25) / 2, 1e-12, "chord rate");
  assert.equal(c.mean.longestRepeatRun, 1.5);
});

Deno.test("metricsTable() puts corpus mean, std and the generated value side by side", () => {
  const corpus = corpusMetrics([melody(C_MAJOR), melody([...C_MAJOR, 60, 62, 64, 65])]);
  const generated = pieceMetrics(melody([57, 59, 60, 62, 64, 65, 67, 69]));
  const rows = metricsTable({ corpus, generated });
  assert.deepEqual(rows[0], { metric: "notes", corpus: 10, "corpus std": 2, generated: 8 });
  const scale = rows.find((r) => r.metric === "best scale");
  assert.deepEqual(scale, {
    metric: "best scale",
    corpus: "C major",
    "corpus std": null,
    generated: "A minor",
  });
  assert.equal(rows.some((r) => r.metric === "tokens"), false);
  assert.equal(rows.length, 15);
  const keyed = metricsTable({ corpus, generated }, { std: false, rowNames: "key" });
  assert.deepEqual(keyed[0], { metric: "noteCount", corpus: 10, generated: 8 });
});
