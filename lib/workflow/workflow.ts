/**
 * One set of steps for both model families, so the notebooks and the `demo` command read the
 * same whichever family `01_setup` chose: read the corpus, prepare the data, build, train,
 * load a run, generate. Each step hands over to `lib/tutorial/run.ts` or `lib/classic/run.ts`.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { GenerateOverrides, RunConfig } from "../config/config.ts";
import type { MidiFolder, Note } from "../music/midi.ts";
import { isChordToken, type TokenFolder, tokenPitches, tokensToNotes } from "../music/tokens.ts";
import { tutorialDataset, tutorialLabels } from "../tutorial/windows.ts";
import { classicDataset, classicLabels } from "../classic/windows.ts";
import { unigramCrossEntropy } from "../train/baseline.ts";
import type { EpochInfo, TrainResult } from "../train/loop.ts";
import type { TrainControls } from "../train/controls.ts";
import { writeJsonAtomic } from "../io/model_files.ts";
import { buildTutorialModel, PITCHES, tutorialOptimizer } from "../tutorial/model.ts";
import { buildWithSeededDropout } from "../engine/seeded_dropout.ts";
import { lstmFactory } from "../engine/fused_lstm.ts";
import { buildClassicModel, classicOptimizer, classicTrainLoss } from "../classic/model.ts";
import {
  generateFromTutorialRun,
  loadTutorialRun,
  prepareTutorialData,
  readTutorialNotes,
  trainTutorial,
  type TutorialData,
  type TutorialRun,
} from "../tutorial/run.ts";
import {
  type ClassicData,
  type ClassicRun,
  generateFromClassicRun,
  loadClassicRun,
  prepareClassicData,
  readClassicTokens,
  trainClassic,
} from "../classic/run.ts";
import type { LossFunction } from "../train/loop.ts";
import { tutorialLoss } from "../tutorial/model.ts";
import { runPaths } from "../io/run_folder.ts";

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
  return config.family === "tutorial"
    ? { family: "tutorial", folder: readTutorialNotes(config) }
    : { family: "classic", folder: readClassicTokens(config) };
}

/** A one-line description: files, notes or tokens, skipped files. */
export function describeCorpus(corpus: Corpus): string {
  const { files, skipped } = corpus.folder;
  const count = corpus.family === "tutorial"
    ? `${corpus.folder.files.reduce((n, f) => n + f.notes.length, 0)} notes`
    : `${corpus.folder.files.reduce((n, f) => n + f.tokens.length, 0)} tokens`;
  return `${files.length} files, ${count}; ${skipped.length} skipped`;
}

/** Saves the corpus in the run folder (`notes.json` or `tokens.json`); returns the path. */
export async function saveCorpus(runDir: string, corpus: Corpus): Promise<string> {
  const path = corpus.family === "tutorial" ? runPaths(runDir).notes : runPaths(runDir).tokens;
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
  const path = config.family === "tutorial" ? runPaths(runDir).notes : runPaths(runDir).tokens;
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
  return config.family === "tutorial"
    ? {
      family: "tutorial",
      data: prepareTutorialData(config, corpus?.folder as MidiFolder | undefined),
    }
    : {
      family: "classic",
      data: prepareClassicData(config, corpus?.folder as TokenFolder | undefined),
    };
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
  if (prepared.family === "tutorial") {
    const { train, validation } = prepared.data as TutorialData;
    if (validation.count === 0) return null;
    const labels = { train: tutorialLabels(train), heldOut: tutorialLabels(validation) };
    return {
      nats: unigramCrossEntropy(labels, { classes: PITCHES }),
      compareWith: "val_pitch_loss",
      label: "pitch",
    };
  }
  const { train, validation, vocabulary } = prepared.data as ClassicData;
  if (validation == null || validation.count === 0) return null;
  const labels = { train: classicLabels(train), heldOut: classicLabels(validation) };
  return {
    nats: unigramCrossEntropy(labels, { classes: vocabulary.size }),
    compareWith: "val_loss",
    label: "token",
  };
}

/**
 * Builds the config's model, untrained, as training builds it: the config's LSTM layer, and
 * every dropout drawing from the run's seeded stream (so one step of it by hand matches
 * `trainModel`'s first step).
 */
export function buildModel(config: RunConfig, prepared: PreparedData): tf.LayersModel {
  const options = { seed: config.seed, lstmLayer: lstmFactory(config.lstm) };
  if (config.family === "tutorial") {
    return buildWithSeededDropout((lstmLayer) => buildTutorialModel(config, { lstmLayer }), options)
      .model;
  }
  const data = prepared.data as ClassicData;
  return buildWithSeededDropout(
    (lstmLayer) =>
      buildClassicModel(config.model, {
        vocabSize: data.vocabulary.size,
        seed: config.seed,
        lstmLayer,
      }),
    options,
  ).model;
}

/** The optimiser training uses for the config's family. */
export function optimizerFor(config: RunConfig): tf.Optimizer {
  return config.family === "tutorial" ? tutorialOptimizer(config) : classicOptimizer(config.model);
}

/** The loss the training loop minimises for the config's family. */
export function lossFor(config: RunConfig): LossFunction {
  return config.family === "tutorial" ? tutorialLoss(config.model.lossWeights) : classicTrainLoss();
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
 * Trains the config's model into its run folder (see `trainTutorial` / `trainClassic`).
 *
 * @throws {Error} as `trainTutorial` / `trainClassic`
 */
export async function trainRun(
  config: RunConfig,
  options: TrainRunOptions = {},
): Promise<Run & { result: TrainResult }> {
  const common = {
    runDir: options.runDir,
    onEpochEnd: options.onEpochEnd,
    resume: options.resume,
    onLockTakenOver: options.onLockTakenOver,
    signal: options.signal,
    stopFile: options.stopFile,
    onBatchEnd: options.onBatchEnd,
  };
  if (config.family === "tutorial") {
    const data = options.prepared?.data as TutorialData | undefined;
    return { family: "tutorial", ...(await trainTutorial(config, { ...common, data })) };
  }
  const data = options.prepared?.data as ClassicData | undefined;
  return { family: "classic", ...(await trainClassic(config, { ...common, data })) };
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
  if (family === "classic") return { family: "classic", ...(await loadClassicRun(runDir, load)) };
  return { family: "tutorial", ...(await loadTutorialRun(runDir, load)) };
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
  if (run.family === "tutorial") {
    const folder = corpus.folder as MidiFolder;
    return { notes: generateFromTutorialRun(run, { ...options, seedFrom: folder.files }) };
  }
  const folder = corpus.folder as TokenFolder;
  return generateFromClassicRun(run, { ...options, seedFrom: folder.files });
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
  if (corpus.family === "tutorial") return corpus.folder.files[fileIndex].notes;
  return corpus.folder.files[fileIndex].tokens.map((token, i) => ({
    index: i,
    token,
    kind: isChordToken(token) ? "chord" : "note",
    pitches: tokenPitches(token).join(" "),
  }));
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
  const file = corpus.folder.files[options.fileIndex ?? 0];
  if (corpus.family === "tutorial") return (file as MidiFolder["files"][number]).notes;
  const generate = options.config?.family === "classic"
    ? options.config.generate
    : { stepBeats: 0.5, bpm: 120 };
  return tokensToNotes((file as TokenFolder["files"][number]).tokens, {
    stepBeats: generate.stepBeats,
    bpm: generate.bpm,
  });
}

/** Options for {@linkcode trainingDataset}. */
export interface TrainingDatasetOptions {
  /**
   * Stop after this many batches (`null`: every window).
   * @default {null}
   */
  maxBatches?: number | null;
}

/** The training `tf.data` pipeline of either family: elements `{xs, ys}`. */
export function trainingDataset(
  config: RunConfig,
  prepared: PreparedData,
  options: TrainingDatasetOptions = {},
): tf.data.Dataset<tf.TensorContainer> {
  if (config.family === "tutorial") {
    const data = prepared.data as TutorialData;
    return tutorialDataset(data.train, {
      batchSize: config.model.batchSize,
      shuffleBuffer: config.dataset.shuffleBuffer,
      seed: config.seed,
      ...options,
    });
  }
  const data = prepared.data as ClassicData;
  return classicDataset(data.train, {
    batchSize: config.model.batchSize,
    seed: config.seed,
    ...options,
  });
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
