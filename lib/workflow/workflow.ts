/**
 * One set of steps for both model families, so the notebooks and the `demo` command read the
 * same whichever family `01_setup` chose: read the corpus, prepare the data, build, train,
 * load a run, generate. Each step asks the config's family object (`lib/tutorial/family.ts` or
 * `lib/classic/family.ts`, picked in `./families.ts`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { GenerateOverrides, RunConfig } from "../config/config.ts";
import type { MidiFolder, Note } from "../music/midi.ts";
import type { TokenFolder } from "../music/tokens.ts";
import { unigramCrossEntropy } from "../train/baseline.ts";
import type { EpochInfo, LossFunction, TrainResult } from "../train/loop.ts";
import type { TrainControls } from "../train/controls.ts";
import { writeJsonAtomic } from "../io/atomic_files.ts";
import { buildWithSeededDropout } from "../engine/seeded_dropout.ts";
import { lstmFactory } from "../engine/fused_lstm.ts";
import type { TutorialData, TutorialRun } from "../tutorial/run.ts";
import type { ClassicData, ClassicRun } from "../classic/run.ts";
import { runPaths } from "../io/run_folder.ts";
import { familyNamed, familyOf, familyOfSavedRun } from "./families.ts";

/** The files read for a run: note tables (tutorial) or token lists (classic). */
export type Corpus =
  | { family: "tutorial"; folder: MidiFolder }
  | { family: "classic"; folder: TokenFolder };

/** Training data of either family. */
export type PreparedData =
  | { family: "tutorial"; data: TutorialData }
  | { family: "classic"; data: ClassicData };

/** A trained or loaded run of either family. */
export type Run = (TutorialRun & { family: "tutorial" }) | (ClassicRun & { family: "classic" });

/**
 * Reads the configured data folder the way the config's family needs it.
 *
 * @throws {Error} naming the folder when it is missing or gives nothing usable
 */
export function readCorpus(config: RunConfig): Corpus {
  return { family: config.family, folder: familyOf(config).readCorpus(config) } as Corpus;
}

/** A one-line description: files, notes or tokens, skipped files. */
export function describeCorpus(corpus: Corpus): string {
  const { files, skipped } = corpus.folder;
  const family = familyNamed(corpus.family);
  const count = `${family.corpusSize(corpus.folder)} ${family.units}`;
  return `${files.length} files, ${count}; ${skipped.length} skipped`;
}

/** Saves the corpus in the run folder (`notes.json` or `tokens.json`); returns the path. */
export async function saveCorpus(runDir: string, corpus: Corpus): Promise<string> {
  const path = familyNamed(corpus.family).corpusPath(runDir);
  await Deno.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(path, corpus.folder, { indent: 0 });
  return path;
}

/**
 * Reads the corpus {@linkcode saveCorpus} wrote for this config's family.
 *
 * @throws {Error} naming the file, and the notebook that writes it, when it is missing
 */
export async function loadCorpus(runDir: string, config: RunConfig): Promise<Corpus> {
  const path = familyOf(config).corpusPath(runDir);
  let folder;
  try {
    folder = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(
      `${path}: cannot read the processed corpus (${(e as Error).message}); ` +
        "run the preprocessing step (notebooks/02_preprocessing) first",
    );
  }
  return { family: config.family, folder } as Corpus;
}

/**
 * Windows, labels and the split by file, for either family.
 *
 * @param corpus files already read (not changed); read afresh when not given
 * @throws {Error} naming `family` when the corpus belongs to the other family
 */
export function prepareData(config: RunConfig, corpus?: Corpus): PreparedData {
  if (corpus && corpus.family !== config.family) {
    throw new Error(`family: the corpus is ${corpus.family}, the config ${config.family}`);
  }
  return {
    family: config.family,
    data: familyOf(config).prepareData(config, corpus?.folder),
  } as PreparedData;
}

/** Number of training and validation windows. */
export function windowCounts(prepared: PreparedData): { train: number; validation: number } {
  const { data } = prepared;
  return { train: data.train.count, validation: data.validation?.count ?? 0 };
}

/** The unigram baseline of a run's data, and the logged value to compare it with. */
export interface UnigramBaseline {
  /** Cross-entropy (nats) of the held-out labels under the training labels' frequencies. */
  nats: number;
  /**
   * The history's value in the same units: `"val_loss"` (classic: the token cross-entropy)
   * or `"val_pitch_loss"` (tutorial: the pitch head's cross-entropy; its `val_loss` adds the
   * step and duration errors).
   */
  compareWith: "val_loss" | "val_pitch_loss";
  /** What the labels are, for people: `"token"` or `"pitch"`. */
  label: "token" | "pitch";
}

/**
 * The unigram baseline ({@linkcode unigramCrossEntropy}) of prepared data: what always
 * predicting the training windows' label frequencies scores on the held-out windows.
 *
 * @returns `null` when nothing is held out
 */
export function unigramBaseline(prepared: PreparedData): UnigramBaseline | null {
  const labels = familyNamed(prepared.family).labels(prepared.data);
  if (labels === null) return null;
  return {
    nats: unigramCrossEntropy(labels, { classes: labels.classes }),
    compareWith: labels.compareWith,
    label: labels.label,
  };
}

/**
 * Builds the config's model, untrained, as training builds it: the config's LSTM layer, and
 * every dropout drawing from the run's seeded stream (so one step of it by hand matches
 * `trainModel`'s first step).
 */
export function buildModel(config: RunConfig, prepared: PreparedData): tf.LayersModel {
  const options = { seed: config.seed, lstmLayer: lstmFactory(config.lstm) };
  const family = familyOf(config);
  return buildWithSeededDropout(
    (lstmLayer) => family.buildModel(config, prepared.data, { lstmLayer }),
    options,
  ).model;
}

/** The optimiser training uses for the config's family. */
export function optimizerFor(config: RunConfig): tf.Optimizer {
  return familyOf(config).optimizer(config);
}

/** The loss the training loop minimises for the config's family. */
export function lossFor(config: RunConfig): LossFunction {
  return familyOf(config).loss(config);
}

/**
 * Options for {@linkcode trainRun}. Besides these, the training controls: `signal` and
 * `stopFile` stop the run at the next batch (resumable from its last finished epoch),
 * `onBatchEnd` hears every batch (see `lib/train/controls.ts`); `train.maxMinutes` in the
 * config is a time budget that stops it the same way.
 */
export interface TrainRunOptions extends TrainControls {
  /**
   * Folder of the run.
   * @default {`weights/${config.run}`}
   */
  runDir?: string;
  /** Data from {@linkcode prepareData}; prepared afresh when not given. */
  prepared?: PreparedData;
  /** Called after each epoch. */
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
  /**
   * Continue the run in `runDir` from its last finished epoch; `config` must be the run's
   * (only `train.epochs`, `train.maxMinutes`, `train.workers` and `backend` may change).
   * @default {false}
   */
  resume?: boolean;
  /**
   * Hears that the run folder's lock, left by a process that no longer runs, was taken over.
   * @default {undefined}
   */
  onLockTakenOver?: (message: string) => void;
}

/**
 * Trains the config's model into its run folder (the family's `train`: `trainTutorial` /
 * `trainClassic`).
 *
 * @throws {Error} as `trainTutorial` / `trainClassic`
 */
export async function trainRun(
  config: RunConfig,
  options: TrainRunOptions = {},
): Promise<Run & { result: TrainResult }> {
  // The family's train takes the same options, with the prepared data's own part as `data`.
  const { prepared, ...rest } = options;
  const run = await familyOf(config).train(config, { ...rest, data: prepared?.data });
  return { family: config.family, ...(run as object) } as Run & { result: TrainResult };
}

/** Options for {@linkcode loadRun}. */
export interface LoadRunOptions {
  /**
   * The family the caller expects; a run of the other family is an error.
   * @default {whichever family config.json names}
   */
  family?: RunConfig["family"];
  /**
   * Hears each setting of an older `config.json` that was renamed on loading.
   * @default {undefined}
   */
  onRenamed?: (note: string) => void;
}

/**
 * Loads a run folder of either family (the family is read from its `config.json`).
 *
 * @throws {Error} naming the folder when it has no readable config or model, when its
 *   weights belong to the other family, or when it is not of `options.family`
 */
export async function loadRun(runDir: string, options: LoadRunOptions = {}): Promise<Run> {
  let family: string | undefined;
  try {
    family = JSON.parse(await Deno.readTextFile(runPaths(runDir).config)).family;
  } catch (e) {
    throw new Error(`run ${runDir}: cannot read config.json (${(e as Error).message})`);
  }
  if (options.family !== undefined && family !== options.family) {
    throw new Error(
      `family: expected a ${options.family}-family run, but ${runPaths(runDir).config} ` +
        `says ${JSON.stringify(family)}`,
    );
  }
  const load = { onRenamed: options.onRenamed };
  const runFamily = familyOfSavedRun(family);
  return { family: runFamily.name, ...(await runFamily.loadRun(runDir, load) as object) } as Run;
}

/** Options for {@linkcode generateMusic}: the overrides both families take. */
export type GenerateMusicOptions = GenerateOverrides;

/** Generated music: notes, and for the classic family the tokens they came from. */
export interface GeneratedMusic {
  notes: Note[];
  tokens?: string[];
}

/**
 * Generates music with a run's model, starting from a seeded random window of the corpus.
 *
 * @throws {Error} naming `family` when the corpus belongs to the other family
 */
export function generateMusic(
  run: Run,
  corpus: Corpus,
  options: GenerateMusicOptions = {},
): GeneratedMusic {
  if (run.family !== corpus.family) {
    throw new Error(`family: the run is ${run.family}, the corpus ${corpus.family}`);
  }
  return familyNamed(run.family).generate(run, corpus.folder, options);
}

/** The config's tempo and program, for writing generated notes to MIDI. */
export function midiOptionsFor(config: RunConfig): { bpm: number; program: number } {
  return { bpm: config.generate.bpm, program: config.generate.program };
}

/**
 * The first rows of one piece as the model family sees it: the note table (tutorial) or the
 * token list with the pitches each token stands for (classic).
 */
export function previewRows(corpus: Corpus, fileIndex = 0): object[] {
  return familyNamed(corpus.family).previewRows(corpus.folder, fileIndex);
}

/** Options for {@linkcode pieceNotes}. */
export interface PieceNotesOptions {
  /**
   * Which piece of the corpus.
   * @default {0}
   */
  fileIndex?: number;
  /**
   * The run whose playback step and tempo a classic piece's tokens are played with.
   * @default {the classic defaults: a step of 0.5 quarter notes at 120 bpm}
   */
  config?: RunConfig;
}

/**
 * The notes of one piece: as read (tutorial), or as its tokens sound when played back with
 * the config's fixed step (classic), which shows what the tokens keep and what they drop.
 */
export function pieceNotes(corpus: Corpus, options: PieceNotesOptions = {}): Note[] {
  const family = familyNamed(corpus.family);
  const { config } = options;
  const ownConfig = config && familyOf(config) === family ? config : undefined;
  return family.pieceNotes(corpus.folder, options.fileIndex ?? 0, ownConfig);
}

/** Options for {@linkcode trainingDataset}. */
export interface TrainingDatasetOptions {
  /**
   * Stop after this many batches (`null`: every window).
   * @default {null}
   */
  maxBatches?: number | null;
  /**
   * The epoch of the dataset's first pass, whose seeded order it draws (each later pass is
   * the next epoch); a run resumed after `n` epochs passes `n`.
   * @default {0}
   */
  epoch?: number;
}

/** The training `tf.data` pipeline of either family: elements `{xs, ys}`. */
export function trainingDataset(
  config: RunConfig,
  prepared: PreparedData,
  options: TrainingDatasetOptions = {},
): tf.data.Dataset<tf.TensorContainer> {
  return familyOf(config).dataset(config, prepared.data, options);
}

/** Shape and dtype of every tensor in a batch (`xs`, `ys.pitch`, ...), for a table. */
export function tensorRows(
  batch: tf.TensorContainer,
): Array<{ tensor: string; shape: string; dtype: string }> {
  const rows: Array<{ tensor: string; shape: string; dtype: string }> = [];
  const walk = (value: unknown, path: string) => {
    if (value && typeof value === "object" && "shape" in value && "dtype" in value) {
      const t = value as tf.Tensor;
      rows.push({ tensor: path, shape: JSON.stringify(t.shape), dtype: t.dtype });
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(batch, "");
  return rows;
}
