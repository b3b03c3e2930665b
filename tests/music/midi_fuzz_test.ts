/**
 * Seeded fuzzing of the MIDI reader: real MIDI bytes, mutated (bit flips, truncation,
 * inserted and deleted bytes, corrupted chunk lengths and variable-length numbers). Every
 * mutant must either parse into sane notes or be refused with an Error naming the file.
 *
 * `MIDI_FUZZ_CORPUS_DIR=/path/to/midi MIDI_FUZZ_COUNT=5000` also fuzzes mutants of a real
 * corpus (off by default).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import tonejs from "@tonejs/midi";
import {
  listMidiFiles,
  loadMidiFolder,
  midiToNotes,
  notesToMidi,
  parseMidi,
} from "../../lib/music/midi.ts";
import { mulberry32 } from "../../lib/random/random.ts";
import { buildMidi, patternNotes, tempDir } from "../_helpers.ts";

const { Midi } = tonejs;

/** Seed files: one track, several tracks with drums, and hand-written running status. */
function seedFiles(): Uint8Array[] {
  const chords = patternNotes(30).flatMap((n) => [n, { ...n, pitch: n.pitch - 12 }]);
  return [
    notesToMidi(patternNotes(40), { bpm: 100, program: 5 }),
    notesToMidi(chords, { bpm: 72 }),
    buildMidi([patternNotes(24), [{ pitch: 36, start: 0, duration: 0.1 }], patternNotes(12)], {
      channels: [0, 9, 2],
      bpm: 140,
    }),
    // Format 0: tempo 120 then 60, running status on channels 0 and 1, a key signature.
    rawFormat0([
      ...[0, 0xff, 0x51, 3, 0x07, 0xa1, 0x20, 0, 0xff, 0x59, 2, 0, 0],
      ...[0, 0x90, 60, 90, 0, 64, 90, 48, 60, 0, 0, 64, 0, 0, 0x91, 48, 80],
      ...[48, 0xff, 0x51, 3, 0x0f, 0x42, 0x40, 0, 0x91, 48, 0, 0, 0x90, 67, 70, 96, 67, 0],
      ...[0, 0xff, 0x2f, 0],
    ]),
  ];
}

/** A format-0 file at 96 ticks per beat around the given track bytes. */
function rawFormat0(track: number[]): Uint8Array {
  const n = track.length;
  return new Uint8Array([
    ...[0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0, 96],
    ...[0x4d, 0x54, 0x72, 0x6b, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255],
    ...track,
  ]);
}

type Random = () => number;

const int = (random: Random, n: number) => Math.floor(random() * n);

/** Offsets of the chunk length fields (after each 4-byte chunk id). */
function chunkLengthOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let pos = 0; pos + 8 <= bytes.length;) {
    out.push(pos + 4);
    const next = pos + 8 + view.getUint32(pos + 4);
    if (next <= pos) break;
    pos = next;
  }
  return out;
}

/** One seeded mutation of `bytes` (a copy; the input is not changed). */
function mutate(bytes: Uint8Array, random: Random): Uint8Array {
  const kind = int(random, 8);
  const b = bytes.slice();
  const at = int(random, b.length);
  switch (kind) {
    case 0: { // flip 1..8 bits
      const flips = 1 + int(random, 8);
      for (let i = 0; i < flips; i++) b[int(random, b.length)] ^= 1 << int(random, 8);
      return b;
    }
    case 1: // truncate
      return b.slice(0, at);
    case 2: { // insert 1..16 random bytes
      const extra = Array.from({ length: 1 + int(random, 16) }, () => int(random, 256));
      return new Uint8Array([...b.subarray(0, at), ...extra, ...b.subarray(at)]);
    }
    case 3: { // delete 1..16 bytes
      const n = 1 + int(random, 16);
      return new Uint8Array([...b.subarray(0, at), ...b.subarray(at + n)]);
    }
    case 4: { // corrupt a chunk length (small, large or off by a little)
      const offsets = chunkLengthOffsets(b);
      if (offsets.length === 0) return b;
      const pos = offsets[int(random, offsets.length)];
      const view = new DataView(b.buffer);
      const old = view.getUint32(pos);
      const choices = [0, 1, 0xffffffff, 0x7fffffff, old + 1, Math.max(0, old - 1), old * 2];
      view.setUint32(pos, choices[int(random, choices.length)] >>> 0);
      return b;
    }
    case 5: { // a run of continuation bytes: an endless variable-length number
      const n = 1 + int(random, 8);
      for (let i = 0; i < n && at + i < b.length; i++) b[at + i] = 0x80 | int(random, 128);
      return b;
    }
    case 6: { // insert or delete bytes inside a track and fix its chunk length to match
      const offsets = chunkLengthOffsets(b).slice(1);
      if (offsets.length === 0) return b;
      const lengthAt = offsets[int(random, offsets.length)];
      const view = new DataView(b.buffer);
      const length = view.getUint32(lengthAt);
      if (lengthAt + 4 + length > b.length || length === 0) return b;
      const pos = lengthAt + 4 + int(random, length);
      const n = 1 + int(random, 4);
      const out = random() < 0.5
        ? new Uint8Array([
          ...b.subarray(0, pos),
          ...Array.from({ length: n }, () => int(random, 256)),
          ...b.subarray(pos),
        ])
        : new Uint8Array([
          ...b.subarray(0, pos),
          ...b.subarray(Math.min(pos + n, lengthAt + 4 + length)),
        ]);
      new DataView(out.buffer).setUint32(lengthAt, length + out.length - b.length);
      return out;
    }
    default: { // overwrite a byte with a status byte (0x80..0xff)
      b[at] = 0x80 | int(random, 128);
      return b;
    }
  }
}

interface FuzzResult {
  parsed: number;
  refused: number;
  slowestMs: number;
  reasons: Map<string, number>;
}

/** Parses each mutant, checking the result or the error; returns counts and the slowest parse. */
function fuzz(seeds: Uint8Array[], count: number, seed: number): FuzzResult {
  const random = mulberry32(seed);
  const result: FuzzResult = { parsed: 0, refused: 0, slowestMs: 0, reasons: new Map() };
  for (let i = 0; i < count; i++) {
    const source = seeds[int(random, seeds.length)];
    let bytes = mutate(source, random);
    if (random() < 0.3) bytes = mutate(bytes, random); // sometimes two mutations
    const name = `mutant-${i}.mid`;
    const t0 = performance.now();
    let midi;
    try {
      midi = parseMidi(bytes, name);
    } catch (e) {
      assert.ok(e instanceof Error, `${name}: threw ${typeof e}, not an Error`);
      assert.ok(
        e.message.startsWith(`${name}: `),
        `${name}: message does not name the file: ${e.message}`,
      );
      const reason = e.message.slice(name.length + 2).replace(/\d+/g, "N").slice(0, 60);
      result.reasons.set(reason, (result.reasons.get(reason) ?? 0) + 1);
      result.refused++;
    }
    if (midi) {
      const notes = midiToNotes(midi, { instrument: "all" });
      for (const [k, n] of notes.entries()) {
        assert.ok(
          Number.isInteger(n.pitch) && n.pitch >= 0 && n.pitch <= 127,
          `${name}: pitch ${n.pitch}`,
        );
        assert.ok(n.velocity >= 1 && n.velocity <= 127, `${name}: velocity ${n.velocity}`);
        assert.ok(Number.isFinite(n.start) && n.start >= 0, `${name}: start ${n.start}`);
        assert.ok(
          Number.isFinite(n.duration) && n.duration >= 0,
          `${name}: duration ${n.duration}`,
        );
        if (k > 0) assert.ok(n.start >= notes[k - 1].start, `${name}: notes out of order`);
      }
      result.parsed++;
    }
    result.slowestMs = Math.max(result.slowestMs, performance.now() - t0);
  }
  return result;
}

Deno.test("parseMidi() either reads or refuses, naming the file, each of 600 seeded mutants", () => {
  const result = fuzz(seedFiles(), 600, 20240611);
  // Both outcomes occur, so the mutations reach past the header checks.
  assert.ok(result.parsed >= 30, `only ${result.parsed} mutants parsed`);
  assert.ok(result.refused >= 30, `only ${result.refused} mutants refused`);
  // A generous bound that only a hang or a quadratic blow-up could break.
  assert.ok(result.slowestMs < 1000, `slowest parse took ${result.slowestMs.toFixed(0)} ms`);
});

Deno.test("parseMidi() and @tonejs/midi agree on the notes of mutants both can read", () => {
  const random = mulberry32(7);
  const seeds = seedFiles();
  let compared = 0;
  for (let i = 0; i < 600; i++) {
    const bytes = mutate(seeds[int(random, seeds.length)], random);
    let ours, theirs;
    try {
      ours = parseMidi(bytes);
      theirs = new Midi(bytes);
    } catch {
      continue;
    }
    // Known, intended differences: 120 bpm before a late first tempo, and notes held across
    // a program change (kept here, lost by @tonejs/midi).
    const lateTempo = theirs.header.tempos.length > 0 && theirs.header.tempos[0].ticks > 0;
    const programChanges = theirs.tracks.length !== new Set(theirs.tracks.map((t) =>
      t.channel
    )).size;
    if (lateTempo || programChanges) continue;
    const key = (m: typeof ours) =>
      m.tracks.map((t) => t.notes.map((n) => [n.midi, n.ticks, n.durationTicks]));
    assert.deepEqual(key(ours), key(theirs), `mutant ${i}`);
    compared++;
  }
  assert.ok(compared >= 20, `only ${compared} mutants compared`);
});

Deno.test("loadMidiFolder() over a folder of mutants returns every file as read or skipped", () => {
  const dir = tempDir();
  try {
    const random = mulberry32(99);
    const seeds = seedFiles();
    const count = 120;
    for (let i = 0; i < count; i++) {
      Deno.writeFileSync(
        join(dir, `m${String(i).padStart(3, "0")}.mid`),
        mutate(seeds[i % seeds.length], random),
      );
    }
    Deno.writeFileSync(join(dir, "zz-good.mid"), seeds[0]);
    const { files, skipped } = loadMidiFolder(dir);
    assert.equal(files.length + skipped.length, count + 1);
    assert.ok(files.some((f) => f.path.endsWith("zz-good.mid")));
    for (const s of skipped) {
      assert.ok(s.reason.length > 0 && !s.reason.includes(s.path), `${s.path}: reason ${s.reason}`);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

const fuzzDir = Deno.env.get("MIDI_FUZZ_CORPUS_DIR");
Deno.test({
  name: "parseMidi() survives mutants of a real corpus (MIDI_FUZZ_CORPUS_DIR, MIDI_FUZZ_COUNT)",
  ignore: !fuzzDir,
  fn() {
    const paths = listMidiFiles(fuzzDir!);
    const seeds = paths.map((p) => Deno.readFileSync(p));
    const count = Number(Deno.env.get("MIDI_FUZZ_COUNT") ?? 5000);
    const t0 = performance.now();
    const result = fuzz(seeds, count, 1);
    const reasons = [...result.reasons].sort((a, b) => b[1] - a[1]).slice(0, 15);
    console.log(
      `${count} mutants of ${seeds.length} files: ${result.parsed} parsed, ${result.refused} ` +
        `refused, slowest ${result.slowestMs.toFixed(1)} ms, total ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const [reason, n] of reasons) console.log(`  ${String(n).padStart(5)}  ${reason}`);
    assert.ok(result.slowestMs < 1000, `slowest parse took ${result.slowestMs.toFixed(0)} ms`);
  },
});
