/**
 * `deno task export`'s work: turns a trained run into a static folder that composes in the
 * browser, offline, from `file://` or any static server:
 *
 * - `index.html` and `page.js` (the page, bundled with TensorFlow.js, Tone.js and
 *   `@tonejs/midi` from node_modules, and `lib/`'s own sampling code; no CDN);
 * - `model/model.json` + its weights: the run's model in the standard TensorFlow.js Layers
 *   format (`tf.loadLayersModel("model/model.json")` loads it), and `model/model.js`, the same
 *   files as a script for pages opened from `file://`, where browsers refuse `fetch`;
 * - `run.js`: the run's generation settings, the vocabulary (classic) or pitch scale
 *   (tutorial), and the pieces the seed windows come from, read from the run's data folder
 *   as `deno task generate` reads them, so the same seed picks the same window.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeTokens } from "../music/vocabulary.ts";
import { saveModel } from "../io/model_files.ts";
import { FusedLSTM } from "../engine/fused_lstm.ts";
import { type Corpus, loadRun, readCorpus, type Run } from "../workflow/workflow.ts";
import { browserScript } from "./bundle.ts";
import { encodeFloat32, WEB_RUN_FORMAT, type WebRun } from "./run_data.ts";
import { runPaths } from "../io/run_folder.ts";
import { type Family, FAMILY_UNITS } from "../config/config.ts";
import type { MidiFolder } from "../music/midi.ts";
import type { TokenFolder } from "../music/tokens.ts";

/** Options for {@linkcode exportRun}. */
export interface ExportRunOptions {
  /**
   * The folder to write (created; an earlier export there is replaced).
   * @default {<runDir>/outputs/web}
   */
  outDir?: string;
  /**
   * The folder of MIDI files the seed windows come from.
   * @default {the run config's data.dir}
   */
  dataDir?: string;
  /**
   * Hears each step as a short sentence (the command prints them).
   * @default {undefined}
   */
  onStep?: (message: string) => void;
}

/** What {@linkcode exportRun} wrote. */
export interface ExportedRun {
  /** The folder written. */
  outDir: string;
  /** The run's family. */
  family: Run["family"];
  /** Pieces the page can start from. */
  pieces: number;
  /** Each file written (relative to `outDir`) and its size in bytes. */
  files: Array<{ path: string; bytes: number }>;
}

const PAGE_HTML = join(dirname(fileURLToPath(import.meta.url)), "index.html");

/** Files an export writes at its top level; a folder holding anything else is not replaced. */
const EXPORT_FILES = new Set(["index.html", "page.js", "run.js", "model"]);

async function checkRunFolder(runDir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(runDir);
  } catch {
    throw new Error(`run ${runDir}: expected the folder of a trained run, but it does not exist`);
  }
  if (!info.isDirectory) throw new Error(`run ${runDir}: expected a run folder, got a file`);
  try {
    await Deno.stat(runPaths(runDir).config);
  } catch {
    throw new Error(
      `run ${runDir}: not a run folder (no config.json; expected a folder written by ` +
        `deno task train or notebook 04, such as weights/<run>)`,
    );
  }
}

async function prepareOutDir(outDir: string): Promise<void> {
  const stray: string[] = [];
  try {
    for await (const e of Deno.readDir(outDir)) if (!EXPORT_FILES.has(e.name)) stray.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new Error(`out ${outDir}: cannot read the folder (${(e as Error).message})`);
    }
  }
  if (stray.length > 0) {
    throw new Error(
      `out ${outDir}: expected an empty folder or an earlier export, but it holds ` +
        `${stray.slice(0, 3).join(", ")}${stray.length > 3 ? ", …" : ""}`,
    );
  }
  await Deno.remove(join(outDir, "model"), { recursive: true }).catch(() => {});
  await Deno.mkdir(join(outDir, "model"), { recursive: true });
}

/**
 * What the page of `run` needs (`run.js`): its settings, and the pieces of `corpus` long
 * enough for a seed window, in corpus order, so that a seed picks the same window as
 * `deno task generate` does. Named after the run folder.
 *
 * @param corpus the run's data, as `readCorpus` reads it
 * @throws {Error} naming the setting when the corpus is of the other family, or when a
 *   classic run plays with learned timing but has no `timing.json`
 */
export function webRunData(run: Run, corpus: Corpus): WebRun {
  if (run.family !== corpus.family) {
    throw new Error(`family: the run is ${run.family}, the corpus ${corpus.family}`);
  }
  const common: WebRunCommon = {
    format: WEB_RUN_FORMAT,
    name: basename(resolve(run.runDir)),
    sequenceLength: run.config.model.sequenceLength,
    defaults: {
      seed: run.config.seed,
      temperature: run.config.generate.temperature,
      length: run.config.generate.length,
    },
    topK: run.config.generate.topK,
    midi: { bpm: run.config.generate.bpm, program: run.config.generate.program },
    memory: run.config.generate.memory,
  };
  return WEB_RUN_DATA[run.family](run, corpus, common);
}

/** What an exported run holds whatever its family. */
type WebRunCommon = Omit<
  WebRun,
  "family" | "pieces" | "pitchScale" | "vocabulary" | "stepBeats" | "timing"
>;

/** Each family's part of the page data: its settings and its pieces, by `run.family`. */
const WEB_RUN_DATA: Readonly<
  Record<Family, (run: Run, corpus: Corpus, common: WebRunCommon) => WebRun>
> = {
  tutorial: (run, corpus, common) => {
    const { config } = run as Extract<Run, { family: "tutorial" }>;
    const length = common.sequenceLength;
    const files = (corpus.folder as MidiFolder).files;
    return {
      ...common,
      family: "tutorial",
      pitchScale: config.dataset.pitchScale,
      pieces: files.filter((f) => f.notes.length >= length).map((f) => ({
        name: basename(f.path),
        pitch: f.notes.map((n) => n.pitch),
        stepF32: encodeFloat32(f.notes.map((n) => n.step)),
        durationF32: encodeFloat32(f.notes.map((n) => n.duration)),
      })),
    };
  },
  classic: (run, corpus, common) => {
    const classic = run as Extract<Run, { family: "classic" }>;
    const { vocabulary, config } = classic;
    if (config.generate.timing === "learned" && !classic.timing) {
      throw new Error(
        `generate.timing: "learned" needs ${runPaths(run.runDir).timing}, which this run ` +
          'lacks (retrain it, or set generate.timing to "fixed")',
      );
    }
    return {
      ...common,
      family: "classic",
      vocabulary: vocabulary.intToNote,
      stepBeats: config.generate.stepBeats,
      timing: config.generate.timing === "learned" ? classic.timing ?? null : null,
      pieces: (corpus.folder as TokenFolder).files.map((f) => ({
        name: basename(f.path),
        ids: encodeTokens(vocabulary, f.tokens.filter((t) => vocabulary.noteToInt.has(t))),
      })).filter((p) => p.ids.length >= common.sequenceLength),
    };
  },
};

/** Layer class names in a Layers `modelTopology`, nested models included. */
function layerClasses(topology: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    if (typeof record.class_name === "string") out.push(record.class_name);
    Object.values(record).forEach(walk);
  };
  walk(topology);
  return out;
}

/** Writes the model files and `model/model.js`; returns the paths written (relative). */
async function writeModel(run: Run, outDir: string): Promise<string[]> {
  const modelDir = join(outDir, "model");
  await saveModel(run.model, modelDir);
  const modelJson = JSON.parse(await Deno.readTextFile(join(modelDir, "model.json")));
  const custom = layerClasses(modelJson.modelTopology).filter((c) => c === FusedLSTM.className);
  if (custom.length > 0) {
    throw new Error(
      `run ${run.runDir}: its model saves with the layer class ${custom[0]}, which plain ` +
        `TensorFlow.js cannot load; expected a standard Layers model (class LSTM)`,
    );
  }
  const manifest = modelJson.weightsManifest as Array<
    { paths: string[]; weights: unknown[] }
  >;
  const paths = manifest.flatMap((g) => g.paths);
  const parts = await Promise.all(paths.map((p) => Deno.readFile(join(modelDir, p))));
  const weightDataBase64 = Buffer.concat(parts).toString("base64");
  const embedded = {
    modelTopology: modelJson.modelTopology,
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightDataBase64,
  };
  await Deno.writeTextFile(
    join(modelDir, "model.js"),
    `globalThis.midiLstmModel = ${JSON.stringify(embedded)};\n`,
  );
  const written = [];
  for await (const e of Deno.readDir(modelDir)) written.push(`model/${e.name}`);
  return written.sort();
}

/** JSON that may sit inside a `<script>` (no `</script>` or line separators break out). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/**
 * Exports a trained run as a static web page (see the module notes).
 *
 * @param runDir a run folder (`weights/<run>`)
 * @throws {Error} naming the folder when `runDir` is not a run, when its model or config
 *   cannot be read or is of the wrong family or format, when the data folder gives no seed
 *   window, when `outDir` holds other files, or when bundling the page fails
 */
export async function exportRun(
  runDir: string,
  options: ExportRunOptions = {},
): Promise<ExportedRun> {
  await checkRunFolder(runDir);
  const outDir = options.outDir ?? join(runPaths(runDir).outputs, "web");
  options.onStep?.(`loading the run in ${runDir}`);
  const run = await loadRun(runDir);
  try {
    const config = options.dataDir
      ? { ...run.config, data: { ...run.config.data, dir: options.dataDir } }
      : run.config;
    options.onStep?.(`reading seed windows from ${config.data.dir}`);
    const data = webRunData(run, readCorpus(config));
    if (data.pieces.length === 0) {
      throw new Error(
        `data ${config.data.dir}: no piece has the ${data.sequenceLength} ` +
          `${FAMILY_UNITS[data.family].units} of a seed window ` +
          `(model.sequenceLength)`,
      );
    }
    if (data.memory === "carried") {
      options.onStep?.(
        'note: this run generates with generate.memory "carried"; the page re-reads the ' +
          "window for every note, as the sources do, so its notes differ from deno task generate's",
      );
    }
    await prepareOutDir(outDir);
    options.onStep?.(`writing the model (standard TensorFlow.js Layers files) to ${outDir}/model`);
    const files = await writeModel(run, outDir);
    await Deno.writeTextFile(
      join(outDir, "run.js"),
      `globalThis.midiLstmRun = ${scriptJson(data)};\n`,
    );
    await Deno.copyFile(PAGE_HTML, join(outDir, "index.html"));
    options.onStep?.("bundling the page (TensorFlow.js, Tone.js, @tonejs/midi, lib/ sampling)");
    await Deno.writeTextFile(join(outDir, "page.js"), await browserScript("page"));
    files.push("run.js", "index.html", "page.js");
    const sizes = await Promise.all(
      files.map(async (path) => ({ path, bytes: (await Deno.stat(join(outDir, path))).size })),
    );
    return { outDir, family: run.family, pieces: data.pieces.length, files: sizes };
  } finally {
    run.model.dispose();
  }
}
