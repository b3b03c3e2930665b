/**
 * Where a run came from: `weights/<run>/run.json` records, beside the resolved
 * `config.json`, what the config cannot say — the backend that actually ran, the library
 * and runtime versions, a fingerprint of the data, the input normalisation and when each
 * training session (the first and every resume) started. Nothing in it feeds back into
 * training or generation, so its timestamps never change a generated file.
 *
 * ```json
 * {
 *   "format": "midi-lstm-run",
 *   "family": "tutorial", "run": "tutorial", "seed": 42, "preset": null,
 *   "data": { "dir": "data/tunes", "files": 59, "skipped": 0, "fingerprint": "3f9c..." },
 *   "normalisation": { "pitchScale": 128 },
 *   "baselines": { "compareWith": "val_pitch_loss", "label": "pitch", "classes": 128,
 *     "unigram": 2.74, "ngram": { "nats": 1.87, "order": 4, ... } },
 *   "sessions": [
 *     { "startedAt": "2025-...Z", "fromEpoch": 0, "backend": "wasm", "wasmThreads": 2,
 *       "blas": { "name": "OpenBLAS 0.3.21", "threads": 2, ... }, "environment": {...} }
 *   ]
 * }
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { runningWasmThreads } from "../engine/_wasm_threads.ts";
import { activeBlas, type BlasInfo, blasInfo } from "../engine/blas.ts";
import { join } from "node:path";
import type { RunConfig } from "../config/config.ts";
import { readJsonIfExists, writeJsonAtomic } from "./model_files.ts";
import { RUN_JSON } from "./run_folder.ts";

/** Versions and platform of the process that trained (or resumed) a run. */
export interface EnvironmentInfo {
  /** tfjs package versions (`tf.version`: tfjs-core, tfjs-layers, tfjs-backend-cpu, ...). */
  tfjs: Record<string, string>;
  /** Deno, V8 and TypeScript versions (`Deno.version`). */
  deno: { deno: string; v8: string; typescript: string };
  /** Operating system and CPU architecture (`Deno.build`). */
  platform: { os: string; arch: string; target: string };
  /** Logical CPUs the runtime reports. */
  cpus: number | null;
  /** The pinned npm dependencies of the project's deno.json, when it can be read. */
  dependencies: Record<string, string> | null;
  /** The project's git commit, when it can be read from `.git`. */
  commit: string | null;
}

/** One training session of a run: the first start or a resume. */
export interface RunSession {
  /** When the session started (ISO 8601). */
  startedAt: string;
  /** Epochs already done when it started (0 for a fresh run). */
  fromEpoch: number;
  /** The tfjs backend that ran it (`tf.getBackend()`), e.g. `"wasm"`. */
  backend: string;
  /** Threads of the wasm backend (`null` on other backends): speed, not results, depends on it. */
  wasmThreads: number | null;
  /**
   * The BLAS the fused LSTM's products ran on (name, file, build, threads), or `null` when
   * they ran on the backend. Absent in runs recorded before it existed.
   */
  blas?: BlasInfo | null;
  environment: EnvironmentInfo;
}

/** The contents of `run.json`. */
export interface RunProvenance {
  /** Always `"midi-lstm-run"`. */
  format: string;
  family: RunConfig["family"];
  run: string;
  seed: number;
  /** Classic model preset (`null` for the tutorial family). */
  preset: string | null;
  data: {
    /** The data folder as configured. */
    dir: string;
    /** Files read and files skipped. */
    files: number;
    skipped: number;
    /** Start of the SHA-256 of the notes or tokens read: changes when the data changes. */
    fingerprint: string;
  };
  /**
   * How inputs are read: `input` (`"scaled"` or `"embedding"`, as `model.input`), and
   * `{pitchScale}` (tutorial: a scaled input pitch is pitch / pitchScale) or
   * `{vocabularySize, vocabularyFingerprint}` (classic: a scaled input is id / vocabulary size).
   */
  normalisation: Record<string, unknown>;
  /**
   * What the model is measured against: count models scored on the run's own held-out
   * labels (see {@linkcode RunBaselines}). Absent in runs with nothing held out, and in runs
   * recorded before it existed.
   */
  baselines?: RunBaselines;
  /** Every training session, oldest first. */
  sessions: RunSession[];
}

/**
 * Cross-entropies (nats) of count models on a run's held-out labels, in the units of the
 * history's `compareWith` series (`HeldOutBaselines` in `lib/train/baseline.ts` makes them).
 */
export interface RunBaselines {
  /** The history series in the same units: `"val_pitch_loss"` or `"val_loss"`. */
  compareWith: string;
  /** What the labels are: `"pitch"` or `"token"`. */
  label: string;
  /** Number of labels the model chooses from. */
  classes: number;
  /** Always predicting the training windows' label frequencies. */
  unigram: number;
  /** The n-gram yardstick: order and smoothing chosen on the training files alone. */
  ngram: {
    nats: number;
    order: number;
    /** `kind`, with `discount`, `strength` and `perFile` as `NgramSmoothing` has them. */
    smoothing: { kind: string; discount?: number; strength?: number; perFile?: number | null };
    /** The chosen setting's cross-entropy on the tuning slice of the training files. */
    tuningNats: number | null;
    /** Held-out labels scored. */
    labels: number;
  };
}

const FORMAT = "midi-lstm-run";

async function readTextOrNull(url: URL): Promise<string | null> {
  try {
    return await Deno.readTextFile(url);
  } catch {
    return null;
  }
}

async function projectCommit(): Promise<string | null> {
  const git = new URL("../../.git/", import.meta.url);
  const head = (await readTextOrNull(new URL("HEAD", git)))?.trim();
  if (!head) return null;
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  if (!ref) return null;
  const loose = (await readTextOrNull(new URL(ref, git)))?.trim();
  if (loose && /^[0-9a-f]{40}$/.test(loose)) return loose;
  const packed = await readTextOrNull(new URL("packed-refs", git));
  const line = packed?.split("\n").find((l) => l.endsWith(` ${ref}`));
  return line?.split(" ")[0] ?? null;
}

/**
 * Describes the running process: tfjs, Deno and dependency versions, platform, CPUs and the
 * project's git commit (the last two `null` when they cannot be read).
 */
export async function environmentInfo(): Promise<EnvironmentInfo> {
  let dependencies: Record<string, string> | null = null;
  const denoJson = await readTextOrNull(new URL("../../deno.json", import.meta.url));
  try {
    const imports = denoJson ? JSON.parse(denoJson).imports : null;
    if (imports) {
      dependencies = Object.fromEntries(
        Object.entries(imports as Record<string, string>).filter(([, v]) => v.startsWith("npm:")),
      );
    }
  } catch { /* an unreadable deno.json leaves dependencies null */ }
  return {
    tfjs: { ...tf.version } as Record<string, string>,
    deno: { ...Deno.version },
    platform: { os: Deno.build.os, arch: Deno.build.arch, target: Deno.build.target },
    cpus: navigator.hardwareConcurrency ?? null,
    dependencies,
    commit: await projectCommit(),
  };
}

/**
 * Start of the SHA-256 of a JSON-serialisable value (e.g. the notes or tokens read), as hex.
 *
 * @param value anything `JSON.stringify` accepts (not changed)
 */
export async function fingerprintOf(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Reads a run folder's `run.json`.
 *
 * @returns the record, or `null` when the folder has none (runs from before it existed)
 * @throws {Error} naming the file when it exists but is not a run record
 */
export async function readRunProvenance(runDir: string): Promise<RunProvenance | null> {
  const path = join(runDir, RUN_JSON);
  const value = await readJsonIfExists<RunProvenance>(path);
  if (value === null) return null;
  if (value?.format !== FORMAT || !Array.isArray(value.sessions)) {
    throw new Error(
      `"${path}": expected format "${FORMAT}" with sessions, got ${
        JSON.stringify(value).slice(0, 80)
      }`,
    );
  }
  return value;
}

/** What {@linkcode recordRunSession} records about the run. */
export interface RunSessionInput {
  config: RunConfig;
  /** Files read and skipped, and their fingerprint (see {@linkcode fingerprintOf}). */
  data: { files: number; skipped: number; fingerprint: string };
  /** See {@linkcode RunProvenance.normalisation}. */
  normalisation: Record<string, unknown>;
  /** Epochs already done (0 for a fresh run). */
  fromEpoch: number;
  /**
   * The count models' scores on the held-out labels.
   * @default {the previous session's, when resuming; else none}
   */
  baselines?: RunBaselines | null;
}

/**
 * Writes `run.json` for a run that starts (a new record) or resumes (one more session).
 *
 * @throws {Error} naming `run.json` when a resumed run's data fingerprint differs from the
 *   recorded one (the data folder changed since the run started), or the file cannot be
 *   written
 */
export async function recordRunSession(
  runDir: string,
  input: RunSessionInput,
): Promise<RunProvenance> {
  const previous = input.fromEpoch > 0 ? await readRunProvenance(runDir) : null;
  if (previous && previous.data.fingerprint !== input.data.fingerprint) {
    throw new Error(
      `resume: the data in ${input.config.data.dir} changed since the run started ` +
        `(fingerprint ${previous.data.fingerprint} in ${join(runDir, RUN_JSON)}, now ` +
        `${input.data.fingerprint}); restore the data or start a new run`,
    );
  }
  const { config } = input;
  const baselines = input.baselines ?? previous?.baselines;
  const blas = activeBlas();
  const session: RunSession = {
    startedAt: new Date().toISOString(),
    fromEpoch: input.fromEpoch,
    backend: tf.getBackend(),
    wasmThreads: tf.getBackend() === "wasm" ? runningWasmThreads() : null,
    blas: blas == null ? null : blasInfo(blas),
    environment: await environmentInfo(),
  };
  const record: RunProvenance = {
    format: FORMAT,
    family: config.family,
    run: config.run,
    seed: config.seed,
    preset: "preset" in config.model ? config.model.preset : null,
    data: { dir: config.data.dir, ...input.data },
    normalisation: input.normalisation,
    ...(baselines ? { baselines } : {}),
    sessions: [...(previous?.sessions ?? []), session],
  };
  await Deno.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(join(runDir, RUN_JSON), record);
  return record;
}
