/**
 * `deno task generate`: new music from a saved run, without training again. The seed window
 * is picked from the run's data folder (or `--data`); the same run, settings and seed give
 * the same MIDI bytes.
 *
 * ```
 * deno task generate --run DIR [--temperature T] [--notes N] [--seed S] [--out FILE.mid]
 *                    [--data DIR] [--family tutorial|classic] [--backend auto|wasm|cpu|tensorflow]
 * ```
 *
 * `--notes` counts notes (tutorial) or tokens (classic). Without `--out` the file goes to
 * `<run>/outputs/generated-seed<S>-t<T>-n<N>.mid`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { selectBackend } from "../engine/backend.ts";
import type { BackendRequest } from "../engine/backend.ts";
import { notesToMidi } from "../music/midi.ts";
import { fail, numberArg, parseCommandLine } from "./_format.ts";
import { generateMusic, loadRun, midiOptionsFor, readCorpus } from "../workflow/workflow.ts";

const USAGE = "usage: deno task generate --run DIR [--temperature T] [--notes N] [--seed S] " +
  "[--out FILE.mid] [--data DIR] [--family tutorial|classic] [--backend auto|wasm|cpu|tensorflow]";

const { values: args } = parseCommandLine({
  run: { type: "string" },
  temperature: { type: "string" },
  notes: { type: "string" },
  tokens: { type: "string" },
  seed: { type: "string" },
  out: { type: "string" },
  data: { type: "string" },
  family: { type: "string" },
  backend: { type: "string" },
}, USAGE);
if (!args.run) fail(`--run: expected the folder of a trained run\n${USAGE}`);

const temperature = numberArg("temperature", args.temperature, false);
const count = numberArg("notes", args.notes, true) ?? numberArg("tokens", args.tokens, true);
const seed = numberArg("seed", args.seed, true);
if (count !== undefined && count < 1) fail(`--notes: expected a positive integer, got ${count}`);
if (args.family !== undefined && args.family !== "tutorial" && args.family !== "classic") {
  fail(`--family: expected tutorial or classic, got "${args.family}"`);
}

try {
  const runDir = args.run;
  let backendRequest = args.backend as BackendRequest | undefined;
  if (!backendRequest) {
    try {
      backendRequest = JSON.parse(await Deno.readTextFile(join(runDir, "config.json"))).backend;
    } catch { /* loadRun below names the problem */ }
  }
  const backend = await selectBackend({ backend: backendRequest ?? "auto" });
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const run = await loadRun(runDir, {
    family: args.family as "tutorial" | "classic" | undefined,
  });
  const config = run.config;
  if (temperature !== undefined) {
    if (run.family === "tutorial" && !(temperature > 0)) {
      fail(
        `--temperature: expected a number above 0 for a tutorial-family run, got ${temperature}`,
      );
    }
    if (run.family === "classic" && !(temperature >= 0)) {
      fail(
        `--temperature: expected a number >= 0 (0: argmax) for a classic run, got ${temperature}`,
      );
    }
  }
  const dataConfig = args.data ? { ...config, data: { ...config.data, dir: args.data } } : config;
  const corpus = readCorpus(dataConfig);
  const used = {
    seed: seed ?? config.seed,
    temperature: temperature ?? config.generate.temperature,
    count: count ?? (config.family === "tutorial" ? config.generate.notes : config.generate.tokens),
  };
  console.log(
    `run: ${runDir} (${run.family} family); seed window from ${dataConfig.data.dir}; ` +
      `seed ${used.seed}, temperature ${used.temperature}, ${used.count} ` +
      (run.family === "tutorial" ? "notes" : "tokens"),
  );
  const music = generateMusic(run, corpus, used);
  const midi = notesToMidi(music.notes, midiOptionsFor(config));
  const out = args.out ??
    join(runDir, "outputs", `generated-seed${used.seed}-t${used.temperature}-n${used.count}.mid`);
  await Deno.mkdir(dirname(out), { recursive: true });
  await Deno.writeFile(out, midi);
  const what = music.tokens
    ? `${music.tokens.length} tokens (${music.notes.length} notes)`
    : `${music.notes.length} notes`;
  const seconds = music.notes.reduce((end, n) => Math.max(end, n.end), 0);
  console.log(`generated ${what}, ${seconds.toFixed(1)} s of music`);
  console.log(out);
} catch (e) {
  fail((e as Error).message);
}
