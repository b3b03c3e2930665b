import assert from "node:assert/strict";
import { join } from "node:path";
import { selectBackend } from "../../lib/engine/backend.ts";
import { generateMusic, loadRun, readCorpus, type Run } from "../../lib/workflow/workflow.ts";
import { generateInPage } from "../../lib/web/generate_in_page.ts";
import { webRunData } from "../../lib/web/export_run.ts";
import { decodeFloat32, pieceLength, type WebRun } from "../../lib/web/run_data.ts";
import { tempDir } from "../_helpers.ts";
import { runScript, tinyClassic, tinyTutorial, writeJson, writeTinyCorpus } from "../_tiny_runs.ts";

await selectBackend({ backend: "cpu" });
const dir = tempDir();
const data = writeTinyCorpus(join(dir, "data"));
const loaded = new Map<string, { run: Run; web: WebRun }>();

/**
 * A tiny trained run of `family` and its page data (trained once per file);
 * `"classic-learned"` is a classic run that plays with the rhythm it learnt.
 */
async function tiny(
  family: "tutorial" | "classic" | "classic-learned",
): Promise<{ run: Run; web: WebRun }> {
  const known = loaded.get(family);
  if (known) return known;
  const runDir = join(dir, `${family}-run`);
  const config = family === "tutorial"
    ? tinyTutorial(data)
    : tinyClassic(data, family === "classic" ? {} : { generate: { timing: "learned" } });
  const result = await runScript("lib/commands/train.ts", [
    "--config",
    writeJson(dir, `${family}.json`, config),
    "--run-dir",
    runDir,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const run = await loadRun(runDir);
  const made = { run, web: webRunData(run, readCorpus(run.config)) };
  loaded.set(family, made);
  return made;
}

for (const family of ["tutorial", "classic", "classic-learned"] as const) {
  Deno.test(`generateInPage (${family}) gives generateMusic's notes, whatever the chunk`, async () => {
    const { run, web } = await tiny(family);
    if (family === "classic-learned") {
      assert.ok(web.family === "classic" && web.timing, "the export lacks the learnt rhythm");
    }
    const settings = { seed: 3, temperature: 0.9, length: 17 };
    const expected = generateMusic(run, readCorpus(run.config), settings);
    const progress: number[] = [];
    const one = await generateInPage(run.model, web, {
      ...settings,
      onProgress: (done) => void progress.push(done),
    });
    assert.deepEqual(progress, Array.from({ length: 17 }, (_, i) => i + 1));
    const chunked = await generateInPage(run.model, web, { ...settings, chunk: 5 });
    assert.deepEqual(chunked.notes, one.notes, "chunks of 5 changed the notes");
    assert.equal(one.notes.length, expected.notes.length);
    one.notes.forEach((n, i) => {
      const e = expected.notes[i];
      assert.equal(n.pitch, e.pitch, `note ${i}: pitch`);
      for (const key of ["step", "duration", "start", "end"] as const) {
        assert.ok(Math.abs(n[key] - e[key]) <= 1e-5, `note ${i}: ${key} ${n[key]} vs ${e[key]}`);
      }
    });
    assert.deepEqual(one.tokens, expected.tokens);
  });
}

Deno.test("generateInPage: the run's defaults, argmax, and a chosen window", async () => {
  const { run, web } = await tiny("classic");
  const byDefault = await generateInPage(run.model, web);
  const expected = generateMusic(run, readCorpus(run.config));
  assert.deepEqual(byDefault.tokens, expected.tokens);
  assert.equal(byDefault.tokens!.length, run.config.generate.length);

  const a = await generateInPage(run.model, web, { seed: 1, temperature: "argmax", length: 6 });
  const b = await generateInPage(run.model, web, { seed: 99, temperature: "argmax", length: 6 });
  assert.deepEqual(
    await generateInPage(run.model, web, { seed: 1, temperature: "argmax", length: 6 }),
    a,
  );
  assert.notDeepEqual(a.window, b.window, "the seed did not change the window");

  const window = { piece: 1, offset: 3 };
  const chosen = await generateInPage(run.model, web, { window, length: 4 });
  assert.deepEqual(chosen.window, window);
});

Deno.test("generateInPage names the setting that is out of range", async () => {
  const { run, web } = await tiny("tutorial");
  const last = pieceLength(web.pieces[0]) - web.sequenceLength;
  await assert.rejects(
    generateInPage(run.model, web, { window: { piece: 0, offset: last + 1 } }),
    new RegExp(
      `seed window: a window of 8 in tune-0\\.mid \\(80 notes\\) starts at 0\\.\\.${last}`,
    ),
  );
  await assert.rejects(
    generateInPage(run.model, web, { window: { piece: 9, offset: 0 } }),
    /seed window: expected a piece 0\.\.3, got 9/,
  );
  await assert.rejects(
    generateInPage(run.model, web, { length: 0 }),
    /length: expected a positive/,
  );
  await assert.rejects(generateInPage(run.model, web, { temperature: 0 }), /temperature/);
});

Deno.test("webRunData keeps the pieces long enough for a window, as float32", async () => {
  const { run, web } = await tiny("tutorial");
  assert.equal(web.family, "tutorial");
  assert.equal(web.name, "tutorial-run");
  assert.equal(web.sequenceLength, 8);
  assert.deepEqual(web.defaults, { seed: 11, temperature: 1, length: 24 });
  assert.deepEqual(web.pieces.map((p) => p.name), [
    "tune-0.mid",
    "tune-1.mid",
    "tune-2.mid",
    "tune-3.mid",
  ]);
  const corpus = readCorpus(run.config);
  assert.equal(corpus.family, "tutorial");
  if (corpus.family === "tutorial" && web.family === "tutorial") {
    const notes = corpus.folder.files[2].notes;
    assert.deepEqual(web.pieces[2].pitch, notes.map((n) => n.pitch));
    assert.deepEqual(
      decodeFloat32(web.pieces[2].stepF32),
      Float32Array.from(notes.map((n) => n.step)),
    );
    assert.deepEqual(
      decodeFloat32(web.pieces[2].durationF32),
      Float32Array.from(notes.map((n) => n.duration)),
    );
  }
  const { web: classic } = await tiny("classic");
  assert.equal(classic.family, "classic");
  if (classic.family === "classic") {
    assert.equal(classic.vocabulary.length, (await tiny("classic")).run.model.outputs[0].shape[1]);
    assert.ok(classic.pieces.every((p) => p.ids.every((id) => id < classic.vocabulary.length)));
  }
});
