/**
 * One typed configuration per run. It is resolved once (defaults filled in, quick mode
 * applied, values checked) and saved as `config.json` beside the run's weights, so a run
 * can be repeated or regenerated from its folder alone.
 *
 * @module
 */
import {
  checkClassicModelConfig,
  checkModelInput,
  type ClassicModelConfig,
  type ClassicPreset,
  classicPresetConfig,
  classicPresetInfo,
  type ModelInput,
} from "./classic_presets.ts";
import { checkInstrumentChoice, type InstrumentChoice } from "../music/midi.ts";

import { check, isPositiveInt } from "./_check.ts";
import { upgradeConfig } from "./legacy.ts";
import type { SelectBackendOptions } from "../engine/backend.ts";
import type { Temperature } from "../random/sampling.ts";

/** Settings both families share: where the data is, how training runs, which backend. */
export interface CommonConfig {
  /** Name of the run; its files go to `weights/<run>/`. */
  run: string;
  /** Seed for weight initialisation, the split, shuffling, the seed window and sampling. */
  seed: number;
  data: {
    /** Folder searched recursively for `.mid` / `.midi` files. */
    dir: string;
    /**
     * Tracks read from each file (see `InstrumentChoice` in `lib/music/midi.ts`):
     * `"first-instrument"` (every track of the first instrument, as music21 groups them: the
     * classic family's default), `"first-track"` (pretty_midi's `instruments[0]`: the
     * tutorial family's default), `"all-merged"` or a track index. Drum tracks are read only
     * by index. `"first"` and `"all"` are older names of `"first-track"` and `"all-merged"`.
     */
    instrument: InstrumentChoice;
    /** Read at most this many files (`null`: all). */
    maxFiles: number | null;
    /** Share of files held out for validation. */
    validationFraction: number;
  };
  train: {
    epochs: number;
    /** Early stopping: epochs without improvement before stopping. */
    patience: number;
    /**
     * Value watched by checkpoints and early stopping: `"val_loss"` (the held-out pieces'
     * loss; `"loss"` when nothing is held out) or `"loss"` (the training loss, as the sources
     * watch it, which keeps improving while a model memorises its training pieces).
     */
    monitor: "loss" | "val_loss";
    /** Checkpoint folder name; `{epoch}` and `{loss}` are filled in. */
    checkpointTemplate: string;
    /** Training stops after this many batches per epoch (`null`: all). */
    maxBatchesPerEpoch: number | null;
    /**
     * Workers that share each batch (1: this thread only; 2: this thread and one Worker, each
     * with a one-thread wasm backend). Whether they pay depends on the machine and its BLAS
     * (`deno task bench --workers N` measures it; with a BLAS installed they are not needed);
     * dropout masks then differ from a one-Worker run's, but repeat for the same seed and
     * worker count.
     */
    workers: number;
    /**
     * Time budget of one training session in minutes (`null`: none): once it is used up the
     * run stops at the next batch as if stopped by hand, and stays resumable (see
     * `TrainOptions.maxMinutes`). A resumed run may change it.
     */
    maxMinutes: number | null;
  };
  /** LSTM implementation: `"layers"` is tf.layers.lstm; `"fused"` the project's fused layer. */
  lstm: "layers" | "fused";
  /** `"auto"` picks tensorflow, then wasm, then cpu. */
  backend: "auto" | "tensorflow" | "wasm" | "cpu";
}

/** Weights of the tutorial model's three losses in the total it minimises. */
export interface LossWeights {
  pitch: number;
  step: number;
  duration: number;
}

/** The settings of one tutorial-family run (pitch, step and duration per note). */
export interface TutorialConfig extends CommonConfig {
  family: "tutorial";
  dataset: {
    /** Input pitches are divided by this (with `model.input: "scaled"`). */
    pitchScale: number;
    /** Shuffle buffer in windows. */
    shuffleBuffer: number;
  };
  model: {
    /** Notes per input window. */
    sequenceLength: number;
    /** Windows per training batch. */
    batchSize: number;
    lstmUnits: number;
    learningRate: number;
    /**
     * How a pitch enters the model: `"scaled"`, one number (pitch / `dataset.pitchScale`,
     * as the source tutorial does), or `"embedding"`, a learned vector per pitch
     * (`tf.layers.embedding`) beside step and duration. See `ModelInput`.
     */
    input: ModelInput;
    /** Width of each pitch's learned vector with `input: "embedding"` (unused when scaled). */
    embeddingSize: number;
    /**
     * Rate of a Dropout layer between the LSTM and the heads while training, 0..1 (0: no
     * layer, as the source tutorial). It keeps a model that learns fast from memorising the
     * training pieces.
     */
    dropout: number;
    /**
     * Weights of the pitch, step and duration losses (the source's 0.05, 1, 1: pitch's
     * cross-entropy is scaled down so the three are comparable).
     */
    lossWeights: LossWeights;
  };
  generate: {
    /** Notes to generate. */
    length: number;
    /**
     * What the LSTM remembers while generating: `"window"` reads only the last window, as
     * the sources do (computed with the fast stateful runner, same notes as re-feeding the
     * window); `"carried"` keeps the state across the whole piece, one step per note (much
     * faster, and it remembers notes that have left the window).
     */
    memory: "window" | "carried";
    /**
     * Pitch logits are divided by this before sampling (above 1 is more adventurous), or
     * `"argmax"`. The TensorFlow tutorial uses 2.0, which on a small model mostly gives
     * random pitches; 1.0 samples the model's own distribution.
     */
    temperature: Temperature;
    /** Sample only among the k most likely pitches (0: all). */
    topK: number;
    /** Tempo written to the MIDI file. */
    bpm: number;
    /** General MIDI program (0 = Acoustic Grand Piano). */
    program: number;
  };
}

/** The settings of one classic-family run (note and chord tokens). */
export interface ClassicConfig extends CommonConfig {
  family: "classic";
  tokens: {
    /** Onset grid in divisions of a quarter note (music21: sixteenths and triplet eighths). */
    quarterLengthDivisors: number[];
    /** How chords are ordered: `"forte"` (music21 today), `"rahn"` or `"music21-legacy"`. */
    convention: "forte" | "rahn" | "music21-legacy";
  };
  /** Model preset and its values (`preset` picks the defaults: see `classicPresetConfig`). */
  model: ClassicModelConfig;
  generate: {
    /** Tokens to generate. */
    length: number;
    /** What the LSTM remembers while generating (see {@linkcode TutorialConfig}). */
    memory: "window" | "carried";
    /**
     * The model's probabilities, as logits, are divided by this before sampling (the same
     * rule as the tutorial family's), or `"argmax"`: the most likely token every time, as the
     * sources do (it soon repeats itself).
     */
    temperature: Temperature;
    /** Sample only among the k most likely tokens (0: all). */
    topK: number;
    /** Quarter notes between generated onsets (with `timing: "fixed"`). */
    stepBeats: number;
    /**
     * Rhythm of the generated tokens: `"fixed"` (every token `stepBeats` after the last, as
     * the sources do) or `"learned"` (each token's median step and duration in the training
     * files, saved as `timing.json` with the run).
     */
    timing: "fixed" | "learned";
    /** Tempo written to the MIDI file. */
    bpm: number;
    /** General MIDI program (0 = Acoustic Grand Piano). */
    program: number;
  };
}

/**
 * Settings of one generation from a run, each overriding the run config's `generate` (or
 * `seed`) setting; both families' generators take them.
 */
export interface GenerateOverrides {
  /**
   * Notes (tutorial) or tokens (classic) to generate.
   * @default {config.generate.length}
   */
  length?: number;
  /**
   * Logits are divided by this before sampling, or `"argmax"`.
   * @default {config.generate.temperature}
   */
  temperature?: Temperature;
  /**
   * Seed of the seed window (the sampling uses the seed after it).
   * @default {config.seed}
   */
  seed?: number;
  /** Called after each note or token with (done, length). */
  onProgress?: (done: number, total: number) => void;
}

/** The config of a run of either family. */
export type RunConfig = TutorialConfig | ClassicConfig;

/** The two model families. */
export type Family = RunConfig["family"];

/** What one step of a family's sequences is called, for messages. */
export interface FamilyUnits {
  /** `"note"` or `"token"`. */
  unit: "note" | "token";
  /** `"notes"` or `"tokens"`. */
  units: "notes" | "tokens";
}

/** Each family's step: a note (tutorial) or a token (classic). */
export const FAMILY_UNITS: Readonly<Record<Family, FamilyUnits>> = {
  tutorial: { unit: "note", units: "notes" },
  classic: { unit: "token", units: "tokens" },
};

/** Any value nested inside a config, made optional for overrides. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** The tutorial family's defaults (the source tutorial's values where it has them). */
export function defaultTutorialConfig(): TutorialConfig {
  return {
    family: "tutorial",
    run: "tutorial",
    seed: 42,
    data: { dir: "data/tunes", instrument: "first-track", maxFiles: null, validationFraction: 0.1 },
    dataset: { pitchScale: 128, shuffleBuffer: 10000 },
    model: {
      sequenceLength: 25,
      batchSize: 64,
      lstmUnits: 128,
      learningRate: 0.005,
      input: "embedding",
      embeddingSize: 32,
      dropout: 0.3,
      lossWeights: { pitch: 0.05, step: 1, duration: 1 },
    },
    lstm: "fused",
    train: {
      epochs: 50,
      patience: 5,
      monitor: "val_loss",
      checkpointTemplate: "ckpt-{epoch:02d}-{loss:.4f}",
      maxBatchesPerEpoch: null,
      workers: 1,
      maxMinutes: null,
    },
    generate: {
      length: 120,
      memory: "window",
      temperature: 1.0,
      topK: 0,
      bpm: 120,
      program: 0,
    },
    backend: "auto",
  };
}

/** Options for {@linkcode resolveTutorialConfig} and {@linkcode resolveClassicConfig}. */
export interface ResolveConfigOptions {
  /**
   * Hears one sentence per setting of an older config that was renamed or given a new
   * meaning on loading (e.g. `dataset.seqLength` is now `model.sequenceLength`).
   * @default {undefined}
   */
  onRenamed?: (note: string) => void;
  /**
   * Quick mode: few epochs and batches so a whole run takes seconds (used by the notebooks
   * in CI via `NOTEBOOK_QUICK=1`).
   * @default {false}
   */
  quick?: boolean;
  /**
   * The overrides are a run's saved `config.json` (see {@linkcode UpgradeConfigOptions}).
   * @default {false}
   */
  saved?: boolean;
}

function merge<T>(base: T, over: DeepPartial<T> | undefined, path: string): T {
  if (over === undefined) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (!(k in out)) throw new Error(`config: unknown setting ${path}${k}`);
    const cur = out[k];
    const isRecord = (x: unknown) => x !== null && typeof x === "object" && !Array.isArray(x);
    out[k] = isRecord(cur) && isRecord(v)
      ? merge(cur, v as DeepPartial<typeof cur>, `${path}${k}.`)
      : v;
  }
  return out as T;
}

/**
 * Fills in defaults, applies quick mode and checks every value. The input is not changed.
 *
 * @throws {Error} naming the setting when a value is unknown or out of range
 */
export function resolveTutorialConfig(
  overrides: DeepPartial<TutorialConfig> = {},
  options: ResolveConfigOptions = {},
): TutorialConfig {
  const upgraded = upgradeConfig(overrides, {
    family: "tutorial",
    onRenamed: options.onRenamed,
    saved: options.saved,
  });
  const c = merge(defaultTutorialConfig(), upgraded, "");
  if (options.quick) {
    c.train.epochs = Math.min(c.train.epochs, 2);
    c.train.maxBatchesPerEpoch = Math.min(c.train.maxBatchesPerEpoch ?? 20, 20);
    c.generate.length = Math.min(c.generate.length, 40);
  }
  checkFamily(c.family, "tutorial");
  check(Number.isInteger(c.seed), "seed", "an integer", c.seed);
  check(
    isPositiveInt(c.model.sequenceLength),
    "model.sequenceLength",
    "a positive integer",
    c.model.sequenceLength,
  );
  check(
    isPositiveInt(c.model.batchSize),
    "model.batchSize",
    "a positive integer",
    c.model.batchSize,
  );
  check(c.dataset.pitchScale > 0, "dataset.pitchScale", "a number above 0", c.dataset.pitchScale);
  check(
    isPositiveInt(c.model.lstmUnits),
    "model.lstmUnits",
    "a positive integer",
    c.model.lstmUnits,
  );
  check(c.model.learningRate > 0, "model.learningRate", "a number above 0", c.model.learningRate);
  checkModelInput(c.model);
  check(
    c.model.dropout >= 0 && c.model.dropout < 1,
    "model.dropout",
    "a rate in [0, 1)",
    c.model.dropout,
  );
  checkCommon(c);
  return c;
}

/** Throws unless a config's `family` is the resolver's. */
function checkFamily(got: string, expected: Family): void {
  check(got === expected, "family", JSON.stringify(expected), got);
}

function checkCommon(c: RunConfig): void {
  checkInstrumentChoice(c.data.instrument, "config: data.instrument");
  check(
    isPositiveInt(c.generate.length),
    "generate.length",
    "a positive integer",
    c.generate.length,
  );
  const t = c.generate.temperature;
  check(
    t === "argmax" || (typeof t === "number" && t > 0 && Number.isFinite(t)),
    "generate.temperature",
    'a number above 0 or "argmax"',
    t,
  );
  check(
    Number.isInteger(c.generate.topK) && c.generate.topK >= 0,
    "generate.topK",
    "an integer >= 0 (0: all)",
    c.generate.topK,
  );
  check(
    ["window", "carried"].includes(c.generate.memory),
    "generate.memory",
    '"window" or "carried"',
    c.generate.memory,
  );
  check(Number.isInteger(c.seed), "seed", "an integer", c.seed);
  check(["layers", "fused"].includes(c.lstm), "lstm", '"layers" or "fused"', c.lstm);
  check(
    c.data.validationFraction >= 0 && c.data.validationFraction < 1,
    "data.validationFraction",
    "a number in [0, 1)",
    c.data.validationFraction,
  );
  check(isPositiveInt(c.train.epochs), "train.epochs", "a positive integer", c.train.epochs);
  check(
    isPositiveInt(c.train.workers) && c.train.workers <= 8,
    "train.workers",
    "an integer from 1 to 8",
    c.train.workers,
  );
  const maxMinutes = c.train.maxMinutes;
  check(
    maxMinutes === null ||
      (typeof maxMinutes === "number" && maxMinutes > 0 && Number.isFinite(maxMinutes)),
    "train.maxMinutes",
    "null (no time budget) or a number of minutes above 0",
    maxMinutes,
  );
  check(
    Number.isInteger(c.train.patience) && c.train.patience >= 0,
    "train.patience",
    "an integer >= 0",
    c.train.patience,
  );
  check(
    ["loss", "val_loss"].includes(c.train.monitor),
    "train.monitor",
    '"loss" or "val_loss"',
    c.train.monitor,
  );
  check(
    ["auto", "tensorflow", "wasm", "cpu"].includes(c.backend),
    "backend",
    '"auto", "tensorflow", "wasm" or "cpu"',
    c.backend,
  );
}

/**
 * The classic family's defaults: the `lstm2x256-cpu` preset (2 x LSTM(256), windows of 32),
 * which trains in minutes on a CPU; choose another `model.preset` (see
 * `lib/config/classic_presets.ts`) for one of the sources' models. `train.epochs` defaults
 * to the epochs of the preset's source.
 *
 * @param preset model preset whose values fill `model`
 * @throws {Error} naming the setting when `preset` is unknown
 */
export function defaultClassicConfig(preset: ClassicPreset = "lstm2x256-cpu"): ClassicConfig {
  return {
    family: "classic",
    run: "classic",
    seed: 42,
    data: {
      dir: "data/tunes",
      instrument: "first-instrument",
      maxFiles: null,
      validationFraction: 0.1,
    },
    tokens: { quarterLengthDivisors: [4, 3], convention: "forte" },
    model: classicPresetConfig(preset),
    train: {
      // The epochs the preset's source trained for; an explicit train.epochs wins.
      epochs: classicPresetInfo(preset).epochs,
      patience: 5,
      monitor: "val_loss",
      checkpointTemplate: "weights-improvement-{epoch:02d}-{loss:.4f}",
      maxBatchesPerEpoch: null,
      workers: 1,
      maxMinutes: null,
    },
    generate: {
      length: 500,
      memory: "window",
      temperature: 0.8,
      topK: 0,
      stepBeats: 0.5,
      timing: "fixed",
      bpm: 120,
      program: 0,
    },
    lstm: "fused",
    backend: "auto",
  };
}

/**
 * Fills in a classic config's defaults (those of `overrides.model.preset`, else
 * `lstm2x256-cpu`, including the preset's `train.epochs` unless `overrides.train.epochs` is
 * set), applies quick mode and checks every value. The input is not changed.
 *
 * @throws {Error} naming the setting when a value is unknown or out of range
 */
export function resolveClassicConfig(
  overrides: DeepPartial<ClassicConfig> = {},
  options: ResolveConfigOptions = {},
): ClassicConfig {
  const upgraded = upgradeConfig(overrides, {
    family: "classic",
    onRenamed: options.onRenamed,
    saved: options.saved,
  });
  const preset = (upgraded.model?.preset ?? "lstm2x256-cpu") as ClassicPreset;
  const c = merge(defaultClassicConfig(preset), upgraded, "");
  if (options.quick) {
    c.train.epochs = Math.min(c.train.epochs, 2);
    c.train.maxBatchesPerEpoch = Math.min(c.train.maxBatchesPerEpoch ?? 10, 10);
    c.generate.length = Math.min(c.generate.length, 60);
  }
  checkFamily(c.family, "classic");
  checkCommon(c);
  checkClassicModelConfig(c.model);
  check(c.generate.stepBeats > 0, "generate.stepBeats", "a number above 0", c.generate.stepBeats);
  check(
    ["fixed", "learned"].includes(c.generate.timing),
    "generate.timing",
    '"fixed" or "learned"',
    c.generate.timing,
  );
  check(
    ["forte", "rahn", "music21-legacy"].includes(c.tokens.convention),
    "tokens.convention",
    '"forte", "rahn" or "music21-legacy"',
    c.tokens.convention,
  );
  return c;
}

/** Each family's resolver. */
const RESOLVERS: Record<
  Family,
  (overrides: DeepPartial<RunConfig>, options: ResolveConfigOptions) => RunConfig
> = {
  tutorial: (o, options) => resolveTutorialConfig(o as DeepPartial<TutorialConfig>, options),
  classic: (o, options) => resolveClassicConfig(o as DeepPartial<ClassicConfig>, options),
};

/**
 * Resolves a config of either family, chosen by `overrides.family` (default `"tutorial"`).
 *
 * @throws {Error} naming `family` when it is neither `"tutorial"` nor `"classic"`, or as the
 *   family's resolver does
 */
export function resolveConfig(
  overrides: DeepPartial<TutorialConfig> | DeepPartial<ClassicConfig> = {},
  options: ResolveConfigOptions = {},
): RunConfig {
  const family = overrides.family ?? "tutorial";
  if (Object.hasOwn(RESOLVERS, family)) return RESOLVERS[family](overrides, options);
  throw new Error(
    `config: family: expected "tutorial" or "classic", got ${JSON.stringify(family)}`,
  );
}

/**
 * The backend request of a run for `selectBackend`: its `backend`, and one wasm thread when
 * `train.workers > 1` (the Workers are the parallelism then, one thread each).
 */
export function backendOptions(config: RunConfig): SelectBackendOptions {
  return config.train.workers > 1
    ? { backend: config.backend, wasmThreads: 1 }
    : { backend: config.backend };
}

/** A config flattened to `{setting, value}` rows (`model.sequenceLength`, ...), for a table. */
export function configRows(config: RunConfig): Array<{ setting: string; value: string }> {
  const rows: Array<{ setting: string; value: string }> = [];
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    } else rows.push({ setting: path, value: JSON.stringify(value) });
  };
  walk(config, "");
  return rows;
}

/** One setting whose value differs between two configs. */
export interface ConfigDifference {
  setting: string;
  /** The value in the first config, as JSON (`undefined` when it lacks the setting). */
  a: string | undefined;
  /** The value in the second config, as JSON (`undefined` when it lacks the setting). */
  b: string | undefined;
}

/**
 * The settings whose values differ between two configs (as {@linkcode configRows} names
 * them), e.g. to refuse resuming a run with a changed model. Neither config is changed.
 */
export function configDifferences(a: RunConfig, b: RunConfig): ConfigDifference[] {
  const rowsA = new Map(configRows(a).map((r) => [r.setting, r.value]));
  const rowsB = new Map(configRows(b).map((r) => [r.setting, r.value]));
  const settings = [...new Set([...rowsA.keys(), ...rowsB.keys()])];
  return settings
    .filter((s) => rowsA.get(s) !== rowsB.get(s))
    .map((setting) => ({ setting, a: rowsA.get(setting), b: rowsB.get(setting) }));
}
