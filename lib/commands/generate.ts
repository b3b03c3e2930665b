/**
 * `deno task generate`: new music from a saved run, without training again. The seed window
 * is picked from the run's data folder (or `--data`); the same run, settings and seed give
 * the same MIDI bytes.
 *
 * ```
 * deno task generate --run DIR [--temperature T|argmax] [--length N] [--seed S] [--out FILE.mid]
 *                    [--note-sequence FILE.json] [--data DIR] [--family tutorial|classic]
 *                    [--backend auto|wasm|cpu|tensorflow]
 * ```
 *
 * `--length` counts notes (tutorial) or tokens (classic); `--notes` and `--tokens` are other
 * names for it. `--temperature` is a number above 0 (logits divided by it) or `argmax`.
 * Without `--out` the file goes to `<run>/outputs/generated-seed<S>-t<T>-n<N>.mid`.
 * `--note-sequence FILE.json` also writes the piece as a Magenta `NoteSequence` (JSON, for
 * magenta-js tools; `music/note_sequence.ts`), with the tempo and program of the MIDI file.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { selectBackend } from "../engine/backend.ts";
import type { BackendRequest } from "../engine/backend.ts";
import { notesToMidi } from "../music/midi.ts";
import { toNoteSequence } from "../music/note_sequence.ts";
import type { Temperature } from "../random/sampling.ts";
import { fail, numberArg, parseCommandLine } from "./_format.ts";
import { generateMusic, loadRun, midiOptionsFor, readCorpus } from "../workflow/workflow.ts";
import { runPaths } from "../io/run_folder.ts";
import { FAMILY_UNITS } from "../config/config.ts";

const USAGE =
  "usage: deno task generate --run DIR [--temperature T|argmax] [--length N] [--seed S] " +
  "[--out FILE.mid] [--note-sequence FILE.json] [--data DIR] [--family tutorial|classic] " +
  "[--backend auto|wasm|cpu|tensorflow]";

const { values: args } = parseCommandLine({
  run: { type: "string" },
  temperature: { type: "string" },
  length: { type: "string" },
  notes: { type: "string" },
  tokens: { type: "string" },
  seed: { type: "string" },
  out: { type: "string" },
  "note-sequence": { type: "string" },
  data: { type: "string" },
  family: { type: "string" },
  backend: { type: "string" },
}, USAGE);
if (!args.run) fail(`--run: expected the folder of a trained run\n${USAGE}`);

const temperature: Temperature | undefined = args.temperature === "argmax"
  ? "argmax"
  : numberArg("temperature", args.temperature, false);
if (temperature !== undefined && temperature !== "argmax" && !(temperature > 0)) {
  fail(`--temperature: expected a number above 0 or argmax, got ${args.temperature}`);
}
const length = numberArg("length", args.length, true) ?? numberArg("notes", args.notes, true) ??
  numberArg("tokens", args.tokens, true);
const seed = numberArg("seed", args.seed, true);
if (length !== undefined && length < 1) {
  fail(`--length: expected a positive integer, got ${length}`);
}
if (args["note-sequence"] === "") {
  fail(`--note-sequence: expected a file name (FILE.json), got ""\n${USAGE}`);
}
if (args.family !== undefined && args.family !== "tutorial" && args.family !== "classic") {
  fail(`--family: expected tutorial or classic, got "${args.family}"`);
}

try {
  const runDir = args.run;
  let backendRequest = args.backend as BackendRequest | undefined;
  if (!backendRequest) {
    try {
      backendRequest = JSON.parse(await Deno.readTextFile(runPaths(runDir).config)).backend;
    } catch { /* loadRun below names the problem */ }
  }
  const backend = await selectBackend({ backend: backendRequest ?? "auto" });
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const run = await loadRun(runDir, {
    family: args.family as "tutorial" | "classic" | undefined,
    onRenamed: (note) => console.log(note),
  });
  const config = run.config;
  const dataConfig = args.data ? { ...config, data: { ...config.data, dir: args.data } } : config;
  const corpus = readCorpus(dataConfig);
  const used = {
    seed: seed ?? config.seed,
    temperature: temperature ?? config.generate.temperature,
    length: length ?? config.generate.length,
  };
  console.log(
    `run: ${runDir} (${run.family} family); seed window from ${dataConfig.data.dir}; ` +
      `seed ${used.seed}, temperature ${used.temperature}, ${used.length} ` +
      FAMILY_UNITS[run.family].units,
  );
  const music = generateMusic(run, corpus, used);
  const midiOptions = midiOptionsFor(config);
  const midi = notesToMidi(music.notes, midiOptions);
  const out = args.out ??
    join(
      runPaths(runDir).outputs,
      `generated-seed${used.seed}-t${used.temperature}-n${used.length}.mid`,
    );
  await Deno.mkdir(dirname(out), { recursive: true });
  await Deno.writeFile(out, midi);
  const noteSequencePath = args["note-sequence"];
  if (noteSequencePath) {
    const noteSequence = toNoteSequence(music.notes, midiOptions);
    await Deno.mkdir(dirname(noteSequencePath), { recursive: true });
    await Deno.writeTextFile(noteSequencePath, JSON.stringify(noteSequence, null, 2) + "\n");
  }
  const what = music.tokens
    ? `${music.tokens.length} tokens (${music.notes.length} notes)`
    : `${music.notes.length} notes`;
  const seconds = music.notes.reduce((end, n) => Math.max(end, n.end), 0);
  console.log(`generated ${what}, ${seconds.toFixed(1)} s of music`);
  if (noteSequencePath) console.log(`NoteSequence: ${noteSequencePath}`);
  console.log(out);
} catch (e) {
  fail((e as Error).message);
}
