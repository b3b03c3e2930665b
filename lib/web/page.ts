/// <reference lib="dom" />
/**
 * The exported page (bundled into `page.js` by `deno task export`): loads the run
 * (`run.js`) and its model, lets the visitor pick a seed window, a seed, a temperature and a
 * length, generates in the browser with TensorFlow.js ({@linkcode generateInPage}), and shows
 * the player (piano roll, playhead, Play / Stop, `.mid` download).
 *
 * On `file://` the model comes from `model/model.js` (browsers refuse `fetch` there), else
 * from the standard `model/model.json`. The TensorFlow.js backend is `cpu` unless the visitor
 * picks `webgl` (or the address asks for it with `?backend=webgl`). What the page did is
 * readable through `window.midiLstmPage` (for tests).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { notesToMidi } from "../music/midi.ts";
import { checkTemperature, type Temperature } from "../random/sampling.ts";
import { generateInPage, type PageMusic, type WindowChoice } from "./generate_in_page.ts";
import { type MountedPlayer, mountPlayer } from "./player_widget.ts";
import { audioState } from "./player.ts";
import { pieceLength, WEB_RUN_FORMAT, type WebClassicRun, type WebRun } from "./run_data.ts";
import { type Family, FAMILY_UNITS } from "../config/config.ts";

/** What `model/model.js` sets `globalThis.midiLstmModel` to. */
interface ModelInScript {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightDataBase64: string;
}

/** What the page exposes as `window.midiLstmPage`. */
interface PageState {
  /** Also the `data-state` of `<body>`. */
  state: "loading" | "ready" | "generating" | "done" | "error";
  /** The last error shown. */
  error?: string;
  /** The TensorFlow.js backend in use. */
  backend?: string;
  /** The last music generated. */
  music?: PageMusic;
  /** The Web Audio context's state. */
  audioState(): string;
}

const pageState: PageState = { state: "loading", audioState };
(globalThis as unknown as { midiLstmPage: PageState }).midiLstmPage = pageState;

const REEXPORT = "export the run again with: deno task export --run DIR";

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no element #${id}`);
  return el as T;
}

function setState(state: PageState["state"], message: string): void {
  pageState.state = state;
  document.body.dataset.state = state;
  const status = byId("status");
  status.textContent = message;
  status.className = state === "error" ? "error" : "";
  if (state === "error") pageState.error = message;
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`${src} could not be loaded`));
    document.head.append(s);
  });
}

function base64Bytes(text: string): ArrayBuffer {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes.buffer;
}

async function loadModel(): Promise<tf.LayersModel> {
  if (location.protocol === "file:") {
    try {
      await loadScript("model/model.js");
    } catch {
      throw new Error(
        `The model files are missing: model/model.js could not be loaded (${REEXPORT}).`,
      );
    }
    const m = (globalThis as unknown as { midiLstmModel?: ModelInScript }).midiLstmModel;
    if (!m) throw new Error(`model/model.js did not define the model (${REEXPORT}).`);
    return await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: m.modelTopology,
      weightSpecs: m.weightSpecs,
      weightData: base64Bytes(m.weightDataBase64),
    }));
  }
  try {
    return await tf.loadLayersModel("model/model.json");
  } catch (e) {
    throw new Error(
      `The model files are missing or unreadable: model/model.json and its weights ` +
        `(${REEXPORT}). TensorFlow.js said: ${(e as Error).message}`,
    );
  }
}

function readRun(): WebRun {
  const run = (globalThis as unknown as { midiLstmRun?: WebRun }).midiLstmRun;
  if (!run) {
    throw new Error(`run.js is missing or did not load, so there is no run to play (${REEXPORT}).`);
  }
  if (run.format !== WEB_RUN_FORMAT) {
    throw new Error(
      `run.js: expected format ${WEB_RUN_FORMAT}, got ${JSON.stringify(run.format)} (${REEXPORT})`,
    );
  }
  return run;
}

function unitOf(run: WebRun): string {
  return FAMILY_UNITS[run.family].units;
}

/** Where each family's generated rhythm comes from, for the page's notes. */
const RHYTHM: Readonly<Record<Family, (run: WebRun) => string>> = {
  tutorial: () => "Step and duration come from the model's regression heads.",
  classic: (run) =>
    "Tokens are notes or chords, one every " + (run as WebClassicRun).stepBeats +
    " beats unless the run learnt its rhythm.",
};

function fillForm(run: WebRun): void {
  document.title = `${run.name}: compose in the browser`;
  byId("title").textContent = `${run.name} (${run.family} family)`;
  byId("length-label").textContent = `How many ${unitOf(run)}`;
  byId<HTMLInputElement>("seed").value = String(run.defaults.seed);
  byId<HTMLInputElement>("temperature").value = String(run.defaults.temperature);
  byId<HTMLInputElement>("length").value = String(run.defaults.length);
  const select = byId<HTMLSelectElement>("window");
  select.append(new Option("picked by the seed, as deno task generate does", "seed"));
  run.pieces.forEach((p, i) => {
    select.append(new Option(`${p.name} (${pieceLength(p)} ${unitOf(run)})`, String(i)));
  });
  const offset = byId<HTMLInputElement>("offset");
  const sync = () => {
    const fixed = select.value !== "seed";
    offset.disabled = !fixed;
    if (fixed) {
      const last = pieceLength(run.pieces[Number(select.value)]) - run.sequenceLength;
      offset.max = String(last);
      if (!(Number(offset.value) <= last)) offset.value = "0";
    }
  };
  select.addEventListener("change", sync);
  sync();
  byId("about").textContent = `A window of ${run.sequenceLength} ${unitOf(run)} from the ` +
    `training pieces starts the model; each new ${
      FAMILY_UNITS[run.family].unit
    } joins the window and the oldest leaves. Temperature divides the logits before the ` +
    `softmax (below 1: safer, above 1: wilder); "argmax" always takes the likeliest. ` +
    RHYTHM[run.family](run) +
    (run.memory === "carried"
      ? " (This run's own generation carries the LSTM state across the piece; the page " +
        "re-reads the window, so its notes differ from deno task generate's.)"
      : "");
}

function readInteger(id: string): number {
  const value = byId<HTMLInputElement>(id).value.trim();
  const n = Number(value);
  if (value === "" || !Number.isInteger(n)) {
    throw new Error(`${id}: expected a whole number, got "${value}"`);
  }
  return n;
}

function readTemperature(): Temperature {
  const value = byId<HTMLInputElement>("temperature").value.trim();
  const n = Number(value);
  return checkTemperature(value !== "" && Number.isFinite(n) ? n : value);
}

function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

async function start(): Promise<{ run: WebRun; model: tf.LayersModel }> {
  const run = readRun();
  fillForm(run);
  setState("loading", "loading the model…");
  const select = byId<HTMLSelectElement>("backend");
  const wanted = new URLSearchParams(location.search).get("backend");
  if (wanted) select.value = wanted;
  await useBackend(select.value);
  return { run, model: await loadModel() };
}

/**
 * Switches TensorFlow.js to `name` ("cpu": plain JavaScript float32, the same arithmetic as
 * Deno's cpu backend; "webgl": the GPU, faster for large models, less exact on some GPUs).
 */
async function useBackend(name: string): Promise<void> {
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) {
    throw new Error(`backend ${name}: this browser cannot start that TensorFlow.js backend`);
  }
  await tf.ready();
  pageState.backend = tf.getBackend();
  byId("engine").textContent = `TensorFlow.js ${tf.version.tfjs}, ${pageState.backend} backend`;
}

async function main(): Promise<void> {
  let run: WebRun;
  let model: tf.LayersModel;
  try {
    ({ run, model } = await start());
  } catch (e) {
    setState("error", (e as Error).message);
    return;
  }
  setState("ready", "Ready: press Generate.");
  const button = byId<HTMLButtonElement>("generate");
  const progress = byId<HTMLProgressElement>("progress");
  let mounted: MountedPlayer | undefined;
  button.disabled = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const seed = readInteger("seed");
      const temperature = readTemperature();
      const length = readInteger("length");
      const select = byId<HTMLSelectElement>("window");
      const window: WindowChoice | undefined = select.value === "seed"
        ? undefined
        : { piece: Number(select.value), offset: readInteger("offset") };
      await useBackend(byId<HTMLSelectElement>("backend").value);
      setState("generating", "generating…");
      progress.max = Math.max(1, length);
      progress.value = 0;
      let last = performance.now();
      const music = await generateInPage(model, run, {
        seed,
        temperature,
        length,
        window,
        async onProgress(done, total) {
          progress.value = done;
          byId("status").textContent = `generating… ${done} of ${total} ${unitOf(run)}`;
          if (performance.now() - last > 40) {
            await nextFrame();
            last = performance.now();
          }
        },
      });
      pageState.music = music;
      mounted?.dispose();
      mounted = mountPlayer(byId("player"), music.notes, {
        midi: notesToMidi(music.notes, run.midi),
        fileName: `generated-seed${seed}-t${temperature}-n${length}.mid`,
      });
      const piece = run.pieces[music.window.piece];
      setState(
        "done",
        `Generated ${music.notes.length} notes` +
          (music.tokens ? ` from ${music.tokens.length} tokens` : "") +
          `, starting from ${piece.name} at ${
            FAMILY_UNITS[run.family].unit
          } ${music.window.offset}.`,
      );
    } catch (e) {
      setState("error", (e as Error).message);
    } finally {
      button.disabled = false;
    }
  });
}

main();
