/// <reference lib="dom" />
/**
 * `deno task export` end to end, in a real browser: tiny runs of both families are trained
 * and exported, and headless Chromium (see `tests/_browser.ts`) loads each page from
 * localhost, generates with a fixed seed, and is checked against `deno task generate` on the
 * same run: the notes, the piano roll, the audio context, the `.mid` download. A screenshot
 * of each page goes to `out/export/`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import tonejs from "@tonejs/midi";
import type { Page } from "playwright-core";
import { selectBackend } from "../../lib/engine/backend.ts";
import { generateMusic, loadRun, readCorpus } from "../../lib/workflow/workflow.ts";
import { tempDir } from "../_helpers.ts";
import {
  ROOT,
  runScript,
  tinyClassic,
  tinyTutorial,
  writeJson,
  writeTinyCorpus,
} from "../_tiny_runs.ts";
import { chromiumPath, launchBrowser, serveFolder } from "../_browser.ts";

const { Midi } = tonejs;
const TRAIN = "lib/commands/train.ts";
const EXPORT = "lib/commands/export.ts";
const GENERATE = "lib/commands/generate.ts";
const SHOTS = join(ROOT, "out", "export");
const noBrowser = chromiumPath() === undefined;

const dir = tempDir();
const data = writeTinyCorpus(join(dir, "data"));

/** The settings each page is driven with, and `deno task generate` too. */
const SETTINGS = {
  tutorial: { seed: 5, temperature: "1.3", length: 30 },
  classic: { seed: 7, temperature: "0.8", length: 40 },
} as const;

async function trainTiny(family: "tutorial" | "classic"): Promise<string> {
  const runDir = join(dir, `${family}-run`);
  const config = family === "tutorial" ? tinyTutorial(data) : tinyClassic(data);
  const result = await runScript(TRAIN, [
    "--config",
    writeJson(dir, `${family}.json`, config),
    "--run-dir",
    runDir,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return runDir;
}

async function waitForState(page: Page, states: string[], timeoutMs = 60_000): Promise<string> {
  await page.waitForFunction(
    (wanted) => wanted.includes(document.body.dataset.state ?? ""),
    states,
    { timeout: timeoutMs },
  );
  return (await page.getAttribute("body", "data-state")) ?? "";
}

interface PageNote {
  pitch: number;
  step: number;
  duration: number;
  start: number;
}

/** Fills the form, presses Generate and returns what the page generated. */
async function generateOnPage(
  page: Page,
  settings: { seed: number; temperature: string; length: number },
): Promise<{ notes: PageNote[]; tokens?: string[] }> {
  await page.fill("#seed", String(settings.seed));
  await page.fill("#temperature", settings.temperature);
  await page.fill("#length", String(settings.length));
  await page.click("#generate");
  const state = await waitForState(page, ["done", "error"]);
  assert.equal(state, "done", `the page says: ${await page.textContent("#status")}`);
  return await page.evaluate(() =>
    (globalThis as unknown as { midiLstmPage: { music: { notes: PageNote[]; tokens?: string[] } } })
      .midiLstmPage.music
  );
}

/** Pixels of the piano roll that are note-coloured (blue), counted in the page. */
function notePixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>("canvas.midi-lstm-roll")!;
    const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 2] > 180 && pixels[i] < 120) n++;
    }
    return n;
  });
}

for (const family of ["tutorial", "classic"] as const) {
  Deno.test({
    name: `export: the ${family} page generates the notes deno task generate gives, draws, ` +
      `plays and downloads them`,
    ignore: noBrowser,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const runDir = await trainTiny(family);
      const outDir = join(dir, `${family}-web`);
      const exported = await runScript(EXPORT, ["--run", runDir, "--out", outDir]);
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stdout, new RegExp(`exported the ${family} run: 4 piece`));
      for (
        const file of ["index.html", "page.js", "run.js", "model/model.json", "model/model.js"]
      ) {
        assert.ok((await Deno.stat(join(outDir, file))).isFile, `the export lacks ${file}`);
      }
      const page = await Deno.readTextFile(join(outDir, "page.js"));
      assert.doesNotMatch(page, /https?:\/\/(cdn|unpkg|esm\.sh)/, "page.js loads from a CDN");

      const settings = SETTINGS[family];
      const midiPath = join(dir, `${family}-generated.mid`);
      const generated = await runScript(GENERATE, [
        "--run",
        runDir,
        "--seed",
        String(settings.seed),
        "--temperature",
        settings.temperature,
        "--length",
        String(settings.length),
        "--out",
        midiPath,
      ]);
      assert.equal(generated.code, 0, generated.stderr);
      // What deno task generate computed, before its MIDI file rounds times to ticks.
      await selectBackend({ backend: "cpu" });
      const run = await loadRun(runDir);
      const expected = generateMusic(run, readCorpus(run.config), {
        seed: settings.seed,
        temperature: Number(settings.temperature),
        length: settings.length,
      });
      const expectedArgmax = generateMusic(run, readCorpus(run.config), {
        seed: settings.seed,
        temperature: "argmax",
        length: settings.length,
      });
      run.model.dispose();

      const server = serveFolder(outDir);
      const browser = await launchBrowser();
      try {
        const { page } = browser;
        await page.goto(`${server.url}index.html`);
        assert.equal(
          await waitForState(page, ["ready", "error"]),
          "ready",
          await page.textContent("#status") ?? "",
        );
        assert.equal(await page.textContent("#engine"), "TensorFlow.js 4.22.0, cpu backend");
        const sameNotes = (music: { notes: PageNote[]; tokens?: string[] }, backend: string) => {
          assert.equal(music.notes.length, expected.notes.length);
          music.notes.forEach((n, i) => {
            const e = expected.notes[i];
            const at = `${backend} backend, note ${i}`;
            assert.equal(n.pitch, e.pitch, `${at}: pitch`);
            assert.ok(Math.abs(n.step - e.step) <= 1e-4, `${at}: step ${n.step} vs ${e.step}`);
            assert.ok(
              Math.abs(n.duration - e.duration) <= 1e-4,
              `${at}: duration ${n.duration} vs ${e.duration}`,
            );
          });
          if (family === "classic") assert.deepEqual(music.tokens, expected.tokens);
        };
        // The GPU backend first (SwiftShader here), then the default cpu one.
        await page.selectOption("#backend", "webgl");
        sameNotes(await generateOnPage(page, settings), "webgl");
        assert.equal(await page.textContent("#engine"), "TensorFlow.js 4.22.0, webgl backend");
        await page.selectOption("#backend", "cpu");
        const music = await generateOnPage(page, settings);
        sameNotes(music, "cpu");
        assert.equal(await page.getAttribute("progress", "value"), String(settings.length));
        if (family === "classic") {
          // A bad setting is a message on the page; argmax is a temperature.
          await page.fill("#temperature", "hot");
          await page.click("#generate");
          assert.equal(await waitForState(page, ["done", "error"]), "error");
          assert.equal(
            await page.textContent("#status"),
            'temperature: expected a number above 0 or "argmax", got "hot"',
          );
          const argmax = await generateOnPage(page, { ...settings, temperature: "argmax" });
          assert.deepEqual(argmax.tokens, expectedArgmax.tokens);
          await generateOnPage(page, settings);
        }
        if (family === "tutorial") {
          // A window chosen on the page: the second piece from its third note.
          await page.selectOption("#window", "1");
          await page.fill("#offset", "2");
          const chosen = await generateOnPage(page, { ...settings, length: 5 });
          assert.equal(chosen.notes.length, 5);
          assert.match(await page.textContent("#status") ?? "", /from tune-1\.mid at note 2\./);
          await page.selectOption("#window", "seed");
          await generateOnPage(page, settings);
        }

        const drawn = await page.getAttribute("canvas.midi-lstm-roll", "data-notes-drawn");
        assert.equal(drawn, String(music.notes.length));
        assert.ok(await notePixels(page) > 50, "the piano roll shows no note bars");

        const audioState = () =>
          page.evaluate(() =>
            (globalThis as unknown as { midiLstmPage: { audioState(): string } }).midiLstmPage
              .audioState()
          );
        await page.click(".midi-lstm-play");
        await page.waitForFunction(() =>
          (globalThis as unknown as { midiLstmPage: { audioState(): string } }).midiLstmPage
            .audioState() === "running"
        );
        await page.waitForFunction(() =>
          !document.querySelector(".midi-lstm-time")!.textContent!.startsWith("0.0 /")
        );
        assert.equal(await audioState(), "running");
        await Deno.mkdir(SHOTS, { recursive: true });
        await page.screenshot({ path: join(SHOTS, `${family}.png`) });
        await page.click(".midi-lstm-stop");
        assert.ok(await page.isEnabled(".midi-lstm-play"), "Stop did not stop");

        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.click(".midi-lstm-download"),
        ]);
        assert.equal(
          download.suggestedFilename(),
          `generated-seed${settings.seed}-t${settings.temperature}-n${settings.length}.mid`,
        );
        const fromPage = new Midi(await Deno.readFile(await download.path()));
        const fromCommand = new Midi(await Deno.readFile(midiPath));
        const pageNotes = fromPage.tracks.flatMap((t) => t.notes);
        const commandNotes = fromCommand.tracks.flatMap((t) => t.notes);
        assert.equal(pageNotes.length, commandNotes.length);
        pageNotes.forEach((n, i) => {
          assert.equal(n.midi, commandNotes[i].midi, `MIDI note ${i}: pitch`);
          assert.ok(Math.abs(n.ticks - commandNotes[i].ticks) <= 1, `MIDI note ${i}: onset`);
        });
        assert.deepEqual(browser.errors, [], "the page reported errors");
      } finally {
        await browser.close();
        await server.close();
      }
    },
  });
}

Deno.test({
  name: "export: the page works from file:// (model/model.js) and says when the model is missing",
  ignore: noBrowser,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const outDir = join(dir, "tutorial-web");
    // Made by the tutorial test above; export again when this test runs alone.
    try {
      await Deno.stat(join(outDir, "index.html"));
    } catch {
      const runDir = await trainTiny("tutorial");
      assert.equal((await runScript(EXPORT, ["--run", runDir, "--out", outDir])).code, 0);
    }
    const browser = await launchBrowser();
    try {
      const { page } = browser;
      await page.goto(`file://${outDir}/index.html`);
      assert.equal(
        await waitForState(page, ["ready", "error"]),
        "ready",
        await page.textContent("#status") ?? "",
      );
      const music = await generateOnPage(page, SETTINGS.tutorial);
      assert.equal(music.notes.length, SETTINGS.tutorial.length);
      assert.deepEqual(browser.errors, []);

      const broken = join(dir, "no-model-web");
      await Deno.mkdir(join(broken, "model"), { recursive: true });
      for (const file of ["index.html", "page.js", "run.js"]) {
        await Deno.copyFile(join(outDir, file), join(broken, file));
      }
      const server = serveFolder(broken);
      try {
        await page.goto(`${server.url}index.html`);
        assert.equal(await waitForState(page, ["ready", "error"]), "error");
        const message = await page.textContent("#status") ?? "";
        assert.match(message, /The model files are missing or unreadable: model\/model\.json/);
        assert.match(message, /deno task export --run/);
        assert.ok(await page.isDisabled("#generate"));
      } finally {
        await server.close();
      }
      await page.goto(`file://${broken}/index.html`);
      assert.equal(await waitForState(page, ["ready", "error"]), "error");
      assert.match(await page.textContent("#status") ?? "", /model\/model\.js could not be loaded/);
    } finally {
      await browser.close();
    }
  },
});

Deno.test("export: a folder that is not a run, or a run of the wrong format, is an error naming it", async () => {
  const notRun = join(dir, "not-a-run");
  await Deno.mkdir(notRun, { recursive: true });
  let result = await runScript(EXPORT, ["--run", notRun]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: run .*not-a-run: not a run folder \(no config\.json/m);

  result = await runScript(EXPORT, ["--run", join(dir, "missing")]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: run .*missing: expected the folder of a trained run/m);

  // A tutorial model under a classic config.
  const tutorialRun = join(dir, "tutorial-run");
  try {
    await Deno.stat(join(tutorialRun, "config.json"));
  } catch {
    await trainTiny("tutorial");
  }
  const mixed = join(dir, "mixed-run");
  await Deno.mkdir(join(mixed, "model"), { recursive: true });
  for await (const e of Deno.readDir(join(tutorialRun, "model"))) {
    await Deno.copyFile(join(tutorialRun, "model", e.name), join(mixed, "model", e.name));
  }
  await Deno.writeTextFile(join(mixed, "config.json"), JSON.stringify(tinyClassic(data)));
  result = await runScript(EXPORT, ["--run", mixed, "--out", join(dir, "mixed-web")]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: run .*mixed-run: .*tutorial-family model/m);
  // A config of no known family.
  await Deno.writeTextFile(join(mixed, "config.json"), JSON.stringify({ family: "jazz" }));
  result = await runScript(EXPORT, ["--run", mixed, "--out", join(dir, "mixed-web")]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: run .*mixed-run: .*family jazz/m);

  result = await runScript(EXPORT, []);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--run: expected the folder of a trained run/);

  // An --out folder that holds other files is left alone.
  const busy = join(dir, "busy");
  await Deno.mkdir(busy, { recursive: true });
  await Deno.writeTextFile(join(busy, "notes.txt"), "mine");
  result = await runScript(EXPORT, ["--run", tutorialRun, "--out", busy]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /^error: out .*busy: expected an empty folder or an earlier export, but it holds notes\.txt$/m,
  );
  assert.equal(await Deno.readTextFile(join(busy, "notes.txt")), "mine");

  // Without --out the page goes beside the run's generated files, and a second export
  // replaces the first.
  for (let i = 0; i < 2; i++) {
    result = await runScript(EXPORT, ["--run", tutorialRun]);
    assert.equal(result.code, 0, result.stderr);
  }
  assert.ok((await Deno.stat(join(tutorialRun, "outputs", "web", "index.html"))).isFile);
});
