import assert from "node:assert/strict";
import { join } from "node:path";
import { corpusStats } from "../../lib/commands/corpus_stats.ts";
import { buildMidi, tempDir } from "../_helpers.ts";

function corpus(): string {
  const dir = tempDir();
  Deno.writeFileSync(
    join(dir, "a.mid"),
    buildMidi([[
      { pitch: 60, start: 0, duration: 0.4 },
      { pitch: 64, start: 0.5, duration: 0.4 },
      { pitch: 67, start: 0.5, duration: 0.4 },
      { pitch: 60, start: 1, duration: 0.4 },
    ]]),
  );
  Deno.writeFileSync(join(dir, "b.mid"), buildMidi([[{ pitch: 72, start: 0, duration: 1 }]]));
  Deno.writeTextFileSync(join(dir, "broken.mid"), "not a midi file at all");
  return dir;
}

Deno.test("corpusStats() counts tokens, the vocabulary and skipped files for the classic family", () => {
  const dir = corpus();
  try {
    const stats = corpusStats(dir, { family: "classic" });
    assert.equal(stats.filesRead, 2);
    assert.equal(stats.filesSkipped, 1);
    assert.equal(stats.skipped[0].path, join(dir, "broken.mid"));
    assert.equal(stats.tokens, 4);
    assert.equal(stats.vocabularySize, 3);
    assert.deepEqual(stats.topTokens, [
      { token: "C4", count: 2 },
      { token: "4.7", count: 1 },
      { token: "C5", count: 1 },
    ]);
    assert.ok(stats.seconds >= 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("corpusStats() counts notes and the pitch range for the tutorial family", () => {
  const dir = corpus();
  try {
    const stats = corpusStats(dir, { top: 2 });
    assert.equal(stats.family, "tutorial");
    assert.equal(stats.notes, 5);
    assert.deepEqual(stats.pitchRange, { min: 60, max: 72, minName: "C4", maxName: "C5" });
    assert.deepEqual(stats.topPitches, [
      { pitch: 60, name: "C4", count: 2 },
      { pitch: 64, name: "E4", count: 1 },
    ]);
    assert.equal(stats.tokens, undefined);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("corpusStats() reads each family's default tracks and takes --instrument", () => {
  const dir = tempDir();
  try {
    // Right hand and left hand as two program-0 tracks, striking together twice.
    Deno.writeFileSync(
      join(dir, "two-hands.mid"),
      buildMidi([
        [{ pitch: 76, start: 0, duration: 0.4 }, { pitch: 74, start: 0.5, duration: 0.4 }],
        [{ pitch: 48, start: 0, duration: 0.9 }, { pitch: 55, start: 0.5, duration: 0.4 }],
      ]),
    );
    const classic = corpusStats(dir, { family: "classic" });
    assert.equal(classic.instrument, "first-instrument");
    assert.equal(classic.tokens, 4);
    assert.equal(classic.vocabularySize, 4);
    const merged = corpusStats(dir, { family: "classic", instrument: "all-merged" });
    assert.deepEqual([merged.tokens, merged.vocabularySize], [2, 2]);
    const tutorial = corpusStats(dir);
    assert.equal(tutorial.instrument, "first-track");
    assert.equal(tutorial.notes, 2);
    assert.equal(corpusStats(dir, { instrument: "first-instrument" }).notes, 4);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
