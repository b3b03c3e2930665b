import assert from "node:assert/strict";
import { evaluateMusic, evaluationOptions } from "../../lib/judge/evaluation.ts";
import { resolveClassicConfig } from "../../lib/config/config.ts";
import { patternNotes } from "../_helpers.ts";

const pieceA = patternNotes(40, [60, 62, 64, 65, 67, 69, 71, 72, 74, 76]);
const pieceB = patternNotes(30, [50, 53, 57, 50, 55, 59]);

Deno.test("evaluateMusic() flags a slice of a training piece with its source and position", () => {
  const slice = pieceA.slice(5, 30).map((n) => ({ ...n, start: n.start - pieceA[5].start }));
  const corpus = {
    family: "tutorial" as const,
    folder: {
      files: [{ path: "b.mid", notes: pieceB }, { path: "a.mid", notes: pieceA }],
      skipped: [],
    },
  };
  const result = evaluateMusic({ notes: slice }, corpus, { flagSpan: 16 });
  assert.equal(result.flagged, true);
  assert.equal(result.copy.longest.source, "a.mid");
  // The pattern repeats every 10 notes, so the slice also matches earlier: the first
  // occurrence of the 25-note span in a.mid starts at 5.
  assert.equal(result.copy.longest.length, 25);
  assert.equal(result.copy.longest.sourceStart, 5);
  assert.match(result.summary, /25 notes .* from a\.mid at 5 — FLAGGED/);
  const metrics = result.table.map((r) => r.metric);
  assert.ok(metrics.some((m) => /pitch/i.test(m)), "the table lists pitch metrics");
  for (const row of result.table) assert.ok("corpus" in row && "generated" in row);
});

Deno.test("evaluateMusic() does not flag a piece that shares nothing with the corpus", () => {
  const corpus = {
    family: "tutorial" as const,
    folder: { files: [{ path: "a.mid", notes: pieceA }], skipped: [] },
  };
  const other = patternNotes(20, [30, 31, 33, 36, 40]);
  const result = evaluateMusic({ notes: other }, corpus);
  assert.equal(result.flagged, false);
  assert.equal(result.copy.longest.length, 0);
  assert.equal(result.copy.ngramOverlap[4], 0);
  assert.match(result.summary, /nothing copied/);
});

Deno.test("evaluateMusic() checks classic pieces by token", () => {
  const tokens = ["C4", "E4", "0.4.7", "G4", "2.7", "A4", "B4", "C5", "0.4.7", "E4"];
  const corpus = {
    family: "classic" as const,
    folder: { files: [{ path: "t.mid", tokens }], skipped: [] },
  };
  const generatedTokens = ["F4", ...tokens.slice(2, 8)];
  const notes = patternNotes(7);
  const result = evaluateMusic({ notes, tokens: generatedTokens }, corpus, {
    ...evaluationOptions(resolveClassicConfig()),
    flagSpan: 6,
  });
  assert.equal(result.copy.longest.length, 6);
  assert.equal(result.copy.longest.generatedStart, 1);
  assert.equal(result.copy.longest.sourceStart, 2);
  assert.equal(result.flagged, true);
});
