import assert from "node:assert/strict";
import { join } from "node:path";
import type { Note } from "../../lib/music/midi.ts";
import {
  buildCopyIndex,
  copyCheck,
  type CopySource,
  type CopySymbol,
  noteCopySequence,
} from "../../lib/judge/copy_check.ts";
import { buildMidi, tempDir } from "../_helpers.ts";

/** Deterministic pseudo-random integers in 0..k-1 (a small LCG). */
function randomInts(count: number, k: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push((s >>> 8) % k);
  }
  return out;
}

/** Where `needle` first occurs in `pieces` (piece order, then position), or undefined. */
function firstOccurrence(
  pieces: CopySource[],
  needle: CopySymbol[],
): { piece: number; start: number; count: number } | undefined {
  let first: { piece: number; start: number } | undefined;
  let count = 0;
  pieces.forEach((p, k) => {
    for (let s = 0; s + needle.length <= p.sequence.length; s++) {
      if (needle.every((x, j) => p.sequence[s + j] === x)) {
        first ??= { piece: k, start: s };
        count++;
      }
    }
  });
  return first && { ...first, count };
}

Deno.test("copyCheck() flags a slice of a training piece with its exact source and positions", () => {
  const pieces: CopySource[] = [
    { name: "a.mid", sequence: randomInts(60, 40, 1) },
    { name: "b.mid", sequence: randomInts(80, 40, 2) },
    { name: "c.mid", sequence: randomInts(60, 40, 3) },
  ];
  const index = buildCopyIndex(pieces);
  // 3 symbols the corpus never saw, then b.mid[17..47), then 2 more unseen symbols.
  const generated = ["x", "y", "z", ...pieces[1].sequence.slice(17, 47), "u", "v"];
  const r = copyCheck(index, generated, { flagSpan: 16 });
  assert.deepEqual(r.longest, {
    length: 30,
    generatedStart: 3,
    source: "b.mid",
    sourceIndex: 1,
    sourceStart: 17,
    occurrences: 1,
  });
  assert.equal(r.flagged, true);
  assert.deepEqual(r.spans, [r.longest]);
  // 16-grams: 20 of them, the 15 inside the copied slice are found.
  assert.equal(r.ngramCounts[16], 20);
  assert.equal(r.ngramOverlap[16], 15 / 20);
  assert.equal(copyCheck(index, generated, { flagSpan: 31 }).flagged, false);
});

Deno.test("copyCheck() finds a whole training piece as copied from position 0", () => {
  const pieces: CopySource[] = [
    { name: "one", sequence: ["C4", "E4", "G4", "0.4.7", "C5", "B4", "A4", "G4"] },
    { name: "two", sequence: ["D4", "F#4", "A4", "2.6.9", "D5", "C#5", "B4", "A4"] },
  ];
  const r = copyCheck(buildCopyIndex(pieces), pieces[1].sequence, { flagSpan: 8 });
  assert.equal(r.longest.length, 8);
  assert.equal(r.longest.source, "two");
  assert.equal(r.longest.sourceStart, 0);
  assert.equal(r.longest.generatedStart, 0);
  assert.equal(r.flagged, true);
  assert.deepEqual(r.ngramOverlap, { 4: 1, 8: 1, 16: 0 });
  assert.deepEqual(r.ngramCounts, { 4: 5, 8: 1, 16: 0 });
});

Deno.test("copyCheck() gives 0 overlap and no source when nothing is shared", () => {
  const index = buildCopyIndex([{ name: "a", sequence: [60, 62, 64, 65, 67] }]);
  const r = copyCheck(index, [70, 71, 73, 75, 77, 78, 80, 82], { ns: [1, 4] });
  assert.deepEqual(r.ngramOverlap, { 1: 0, 4: 0 });
  assert.deepEqual(r.longest, {
    length: 0,
    generatedStart: 0,
    source: null,
    sourceIndex: -1,
    sourceStart: -1,
    occurrences: 0,
  });
  assert.equal(r.flagged, false);
  assert.deepEqual(r.spans, []);
  assert.equal(copyCheck(index, []).longest.length, 0);
});

Deno.test("copyCheck() matches a hand-computed n-gram overlap on a tiny example", () => {
  const index = buildCopyIndex([{ name: "t", sequence: ["a", "b", "c", "d", "e"] }]);
  const r = copyCheck(index, ["a", "b", "c", "d", "x", "b", "c", "d", "e"], {
    ns: [2, 4, 8],
    flagSpan: 4,
  });
  // 4-grams: abcd (found), bcdx, cdxb, dxbc, xbcd, bcde (found): 2 of 6.
  assert.equal(r.ngramOverlap[4], 2 / 6);
  // Bigrams: ab bc cd (found), dx xb, bc cd de (found): 6 of 8.
  assert.equal(r.ngramOverlap[2], 6 / 8);
  assert.equal(r.ngramOverlap[8], 0);
  assert.equal(r.ngramCounts[8], 2);
  // Two copied spans of length 4; the first one is the longest.
  assert.equal(r.longest.length, 4);
  assert.equal(r.longest.generatedStart, 0);
  assert.equal(r.longest.sourceStart, 0);
  assert.deepEqual(
    r.spans.map((s) => [s.generatedStart, s.sourceStart, s.length]),
    [[0, 0, 4], [5, 1, 4]],
  );
});

Deno.test("copyCheck() never matches across the boundary between two training pieces", () => {
  const index = buildCopyIndex([
    { name: "p", sequence: ["a", "b"] },
    { name: "q", sequence: ["c", "d"] },
  ]);
  const r = copyCheck(index, ["a", "b", "c", "d"], { ns: [2, 3] });
  assert.equal(r.longest.length, 2);
  assert.deepEqual(r.ngramOverlap, { 2: 2 / 3, 3: 0 });
});

Deno.test("copyCheck() reports the first source in index order and counts occurrences", () => {
  const motif = [1, 2, 3, 4, 5];
  const index = buildCopyIndex([
    { name: "first", sequence: [9, 9, ...motif] },
    { name: "second", sequence: [...motif, 7, ...motif] },
  ]);
  const r = copyCheck(index, [8, ...motif, 8]);
  assert.equal(r.longest.source, "first");
  assert.equal(r.longest.sourceStart, 2);
  assert.equal(r.longest.generatedStart, 1);
  assert.equal(r.longest.occurrences, 3);
});

Deno.test("copyCheck() tells numbers from strings with the same text", () => {
  const index = buildCopyIndex([{ name: "n", sequence: [60, 62, 64, 65] }]);
  assert.equal(copyCheck(index, ["60", "62", "64", "65"]).longest.length, 0);
  assert.equal(copyCheck(index, [60, 62, 64, 65]).longest.length, 4);
});

Deno.test("copyCheck() agrees with a brute-force search on random sequences", () => {
  for (let trial = 0; trial < 20; trial++) {
    const pieces: CopySource[] = [0, 1, 2].map((k) => ({
      name: `p${k}`,
      sequence: randomInts(15 + 5 * k, 3, 100 * trial + k),
    }));
    const generated = randomInts(25, 4, 7 + trial); // symbol 3 never occurs in the corpus
    const r = copyCheck(buildCopyIndex(pieces), generated, { ns: [2, 3, 5], flagSpan: 4 });
    // Longest match ending at each position, by brute force.
    const match = generated.map((_, i) => {
      let l = 0;
      while (l <= i && firstOccurrence(pieces, generated.slice(i - l, i + 1))) l++;
      return l;
    });
    for (const n of [2, 3, 5]) {
      const total = generated.length - n + 1;
      const found = match.filter((l, i) => i >= n - 1 && l >= n).length;
      assert.equal(r.ngramOverlap[n], found / total, `trial ${trial}, n ${n}`);
    }
    const best = Math.max(...match);
    const end = match.indexOf(best);
    const span = generated.slice(end - best + 1, end + 1);
    const where = firstOccurrence(pieces, span)!;
    assert.deepEqual(r.longest, {
      length: best,
      generatedStart: end - best + 1,
      source: `p${where.piece}`,
      sourceIndex: where.piece,
      sourceStart: where.start,
      occurrences: where.count,
    }, `trial ${trial}`);
    assert.equal(r.flagged, best >= 4);
  }
});

Deno.test("copyCheck() and buildCopyIndex() reject invalid settings and symbols", () => {
  const index = buildCopyIndex([{ name: "a", sequence: [1, 2, 3] }]);
  assert.throws(() => copyCheck(index, [1], { ns: [0] }), /ns: expected an integer >= 1, got 0/);
  assert.throws(() => copyCheck(index, [1], { flagSpan: 2.5 }), /flagSpan: expected/);
  assert.throws(
    () => buildCopyIndex([{ name: "bad.mid", sequence: [1, NaN] }]),
    /piece 0 \(bad\.mid\): position 1: expected a string or finite number, got NaN/,
  );
});

Deno.test("buildCopyIndex() reports progress per piece and sizes", () => {
  const seen: number[] = [];
  const index = buildCopyIndex(
    [{ name: "a", sequence: [1, 2] }, { name: "b", sequence: [3] }],
    { onProgress: (done, total) => seen.push(done / total) },
  );
  assert.deepEqual(seen, [0.5, 1]);
  assert.deepEqual(index.names, ["a", "b"]);
  assert.deepEqual(index.lengths, [2, 1]);
  assert.equal(index.symbolCount, 3);
});

Deno.test("noteCopySequence() gives pitches in time order, or pitch@step on a grid", () => {
  const note = (pitch: number, start: number): Note => ({
    pitch,
    start,
    end: start + 0.5,
    step: 0,
    duration: 0.5,
    velocity: 100,
  });
  const notes = [note(64, 0.5), note(60, 0), note(67, 0), note(62, 1.26)];
  assert.deepEqual(noteCopySequence(notes), [60, 67, 64, 62]);
  assert.deepEqual(noteCopySequence(notes, { withStep: true }), ["60@0", "67@0", "64@4", "62@6"]);
  assert.deepEqual(
    noteCopySequence(notes, { withStep: true, stepGridSec: 0.5 }),
    ["60@0", "67@0", "64@1", "62@2"],
  );
  assert.throws(() => noteCopySequence(notes, { withStep: true, stepGridSec: 0 }), /stepGridSec/);
});

// ---------------------------------------------------------------------------------------
// The evaluate command (lib/commands/evaluate.ts), run as a subprocess on tiny MIDI files.

const REPO_ROOT = new URL("../..", import.meta.url).pathname;

/** Runs the evaluate command; returns its exit code, parsed JSON (if any) and stderr. */
async function runEvaluate(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "lib/commands/evaluate.ts", ...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  return {
    code: out.code,
    json: out.code === 0 ? JSON.parse(stdout) : undefined,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** A melody of eighth notes at 120 bpm (0.25 s apart) with these pitches. */
function melodyMidi(pitches: number[]): Uint8Array {
  return buildMidi([pitches.map((pitch, i) => ({ pitch, start: i * 0.25, duration: 0.25 }))]);
}

Deno.test("evaluate CLI reports metrics, corpus metrics and the copied span with its source file", async () => {
  const dir = tempDir();
  try {
    const train = join(dir, "train");
    Deno.mkdirSync(train);
    const melodies = [1, 2, 3].map((k) => randomInts(30, 24, 40 + k).map((p) => 60 + p));
    melodies.forEach((m, k) => Deno.writeFileSync(join(train, `${"abc"[k]}.mid`), melodyMidi(m)));
    // Two pitches the corpus never uses, b.mid's notes 5..25, then one more unused pitch.
    const generated = join(dir, "gen.mid");
    Deno.writeFileSync(generated, melodyMidi([40, 41, ...melodies[1].slice(5, 25), 42]));

    const r = await runEvaluate([generated, "--against", train, "--n", "4,8", "--flag-span", "8"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.family, "tutorial");
    assert.equal(r.json.metrics.noteCount, 23);
    assert.equal(r.json.corpus.files, 3);
    assert.equal(r.json.corpus.fileInCorpus, false);
    assert.equal(r.json.corpus.metrics.mean.noteCount, 30);
    const check = r.json.copyCheck;
    assert.equal(check.flagged, true);
    assert.equal(check.longest.length, 20);
    assert.equal(check.longest.generatedStart, 2);
    assert.equal(check.longest.source, join(train, "b.mid"));
    assert.equal(check.longest.sourceStart, 5);
    assert.deepEqual(Object.keys(check.ngramOverlap), ["4", "8"]);
    assert.equal(check.ngramOverlap["8"], 13 / 16);
    const notesRow = r.json.comparison.find((row: { metric: string }) => row.metric === "notes");
    assert.deepEqual(notesRow, { metric: "notes", corpus: 30, "corpus std": 0, generated: 23 });

    // A training file checked against its own folder as tokens: the whole piece is copied.
    const self = join(train, "c.mid");
    const c = await runEvaluate([self, "--against", train, "--family", "classic"]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.json.corpus.fileInCorpus, true);
    assert.equal(c.json.tokenMetrics.tokenCount, 30);
    assert.deepEqual(
      [c.json.copyCheck.longest.source, c.json.copyCheck.longest.sourceStart],
      [self, 0],
    );
    assert.equal(c.json.copyCheck.longest.length, 30);
    assert.equal(c.json.copyCheck.ngramOverlap["16"], 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("evaluate CLI prints metrics alone without --against and rejects bad options", async () => {
  const dir = tempDir();
  try {
    const file = join(dir, "scale.mid");
    Deno.writeFileSync(file, melodyMidi([60, 62, 64, 65, 67, 69, 71, 72]));
    const r = await runEvaluate([file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.metrics.scale, "C major");
    assert.equal(r.json.metrics.scaleConsistency, 1);
    assert.equal("copyCheck" in r.json, false);
    const bad = await runEvaluate([file, "--family", "jazz"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--family: expected "tutorial" or "classic", got "jazz"/);
    const missing = await runEvaluate([join(dir, "nope.mid")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.mid/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
