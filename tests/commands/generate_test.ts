import assert from "node:assert/strict";
import { join } from "node:path";
import { midiToNotes } from "../../lib/music/midi.ts";
import type { NoteSequence } from "../../lib/music/note_sequence.ts";
import { assertClose, tempDir } from "../_helpers.ts";
import { runScript } from "../_tiny_runs.ts";

const GENERATE = "lib/commands/generate.ts";

for (const family of ["tutorial", "classic"] as const) {
  Deno.test(`generate --note-sequence writes the ${family} piece as a NoteSequence beside the MIDI file`, async () => {
    const dir = tempDir();
    try {
      const out = join(dir, "piece.mid");
      const json = join(dir, "sub", "piece.json");
      const result = await runScript(GENERATE, [
        "--run",
        join("weights", `pretrained-${family}`),
        "--length",
        "16",
        "--seed",
        "5",
        "--backend",
        "cpu",
        "--out",
        out,
        "--note-sequence",
        json,
      ]);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split("\n");
      assert.equal(lines.at(-1), out);
      assert.equal(lines.at(-2), `NoteSequence: ${json}`);
      const ns = JSON.parse(await Deno.readTextFile(json)) as NoteSequence;
      const midi = midiToNotes(await Deno.readFile(out), { instrument: "all-merged" });
      assert.ok(ns.notes.length > 0);
      assert.equal(ns.notes.length, midi.length);
      assert.deepEqual(ns.tempos, [{ time: 0, qpm: 120 }]);
      assert.deepEqual(ns.timeSignatures, [{ time: 0, numerator: 4, denominator: 4 }]);
      // The MIDI file's notes are sorted by onset, then pitch; so are the sequence's here.
      const sorted = [...ns.notes].sort((a, b) => a.startTime - b.startTime || a.pitch - b.pitch);
      const tick = 60 / 120 / ns.ticksPerQuarter;
      sorted.forEach((n, i) => {
        assert.equal(n.pitch, midi[i].pitch, `note ${i}`);
        assert.equal(n.program, 0);
        assert.equal(n.isDrum, false);
        assertClose(n.startTime, midi[i].start, tick, `note ${i} startTime`);
        assertClose(n.endTime, midi[i].end, tick, `note ${i} endTime`);
      });
      assertClose(ns.totalTime, Math.max(...midi.map((n) => n.end)), tick, "totalTime");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("generate names an empty --note-sequence", async () => {
  const result = await runScript(GENERATE, [
    "--run",
    join("weights", "pretrained-tutorial"),
    "--note-sequence=",
  ]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--note-sequence: expected a file name/);
});
