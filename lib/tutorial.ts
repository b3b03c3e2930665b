/**
 * The tutorial family end to end, in the steps the notebooks teach: prepare the data, build
 * and train the model into a run folder, load a run, generate. Each step is one call, so a
 * notebook cell or the demo command stays short, and state passes between steps through
 * the run folder `weights/<run>/`:
 *
 * ```
 * weights/<run>/config.json        the resolved config
 * weights/<run>/history.json       losses per epoch
 * weights/<run>/checkpoints/...    best-only checkpoints, named by epoch and loss
 * weights/<run>/model/             the final (best) model: model.json + weights.bin
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { TutorialConfig } from "./config.ts";
import { resolveTutorialConfig } from "./config.ts";
import { loadMidiFolder, type MidiFolder, type Note } from "./midi.ts";
import { splitByFile, tutorialDataset, tutorialWindows, type WindowIndex } from "./dataset.ts";
import { tutorialLoss } from "./loss.ts";
import { buildTutorialModel, compileTutorialModel, type LstmFactory } from "./model.ts";
import { type EpochInfo, trainModel, type TrainResult } from "./train.ts";
import { loadModel, saveModel, writeJsonAtomic } from "./model_io.ts";
import { generateNotes } from "./generate.ts";
import { mulberry32, randomInt } from "./_random.ts";

/** Data prepared for training: the files read, the ones skipped and the windows. */
export interface TutorialData {
  folder: MidiFolder;
  /** Windows of the training files. */
  train: WindowIndex;
  /** Windows of the held-out files (count 0 when nothing is held out). */
  validation: WindowIndex;
  /** Notes in all files read. */
  noteCount: number;
}

/**
 * Reads the configured MIDI folder (or takes notes already read), splits it by file and
 * indexes the windows.
 *
 * @param folder notes already read, e.g. by {@linkcode loadProcessedNotes}; not changed
 * @throws {Error} naming the folder or setting when there is no usable data
 */
export function prepareTutorialData(config: TutorialConfig, folder?: MidiFolder): TutorialData {
  folder ??= readTutorialNotes(config);
  const split = splitByFile(folder.files, {
    validationFraction: config.data.validationFraction,
    seed: config.seed,
  });
  const train = tutorialWindows(split.train, config.dataset);
  const validation = split.validation.length
    ? tutorialWindows(
      split.validation.filter((f) => f.notes.length > config.dataset.seqLength),
      config.dataset,
    )
    : tutorialWindows([], config.dataset);
  const noteCount = folder.files.reduce((a, f) => a + f.notes.length, 0);
  return { folder, train, validation, noteCount };
}

/**
 * Reads the note tables of the configured data folder.
 *
 * @throws {Error} naming the folder when it is missing or gives no notes
 */
export function readTutorialNotes(config: TutorialConfig): MidiFolder {
  return loadMidiFolder(config.data.dir, {
    instrument: config.data.instrument,
    maxFiles: config.data.maxFiles ?? Infinity,
    minNotes: 2,
  });
}

/** Saves note tables as `<runDir>/notes.json`, so later steps need not parse MIDI again. */
export async function saveProcessedNotes(runDir: string, folder: MidiFolder): Promise<string> {
  const path = join(runDir, "notes.json");
  await Deno.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(path, folder, { indent: 0 });
  return path;
}

/**
 * Reads note tables saved by {@linkcode saveProcessedNotes}.
 *
 * @throws {Error} naming the file when it is missing, saying which step writes it
 */
export async function loadProcessedNotes(runDir: string): Promise<MidiFolder> {
  const path = join(runDir, "notes.json");
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(
      `${path}: cannot read the processed notes (${(e as Error).message}); ` +
        "run the preprocessing step (notebooks/02_preprocessing) first",
    );
  }
}

/** Options for {@linkcode trainTutorial}. */
export interface TrainTutorialOptions {
  /**
   * Folder of the run.
   * @default {`weights/${config.run}`}
   */
  runDir?: string;
  /** Data from {@linkcode prepareTutorialData}; prepared afresh when not given. */
  data?: TutorialData;
  /** Makes the LSTM layer (see {@linkcode buildTutorialModel}). */
  lstmLayer?: LstmFactory;
  /** Called after each epoch. */
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
}

/** A trained (or loaded) tutorial run. */
export interface TutorialRun {
  config: TutorialConfig;
  model: tf.LayersModel;
  runDir: string;
  history?: Record<string, number[]>;
}

/**
 * Builds the model from `config`, trains it with checkpoints and early stopping, and saves
 * config, history and the final model under the run folder.
 */
export async function trainTutorial(
  config: TutorialConfig,
  options: TrainTutorialOptions = {},
): Promise<TutorialRun & { result: TrainResult }> {
  const runDir = options.runDir ?? join("weights", config.run);
  await Deno.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(join(runDir, "config.json"), config);
  const data = options.data ?? prepareTutorialData(config);
  const model = buildTutorialModel(config, { lstmLayer: options.lstmLayer });
  const datasetOptions = { ...config.dataset, seed: config.seed };
  const trainOptions = { ...datasetOptions, maxBatches: config.train.maxBatchesPerEpoch };
  const result = await trainModel(model, tutorialDataset(data.train, trainOptions), {
    loss: tutorialLoss(config.model.lossWeights),
    epochs: config.train.epochs,
    validation: data.validation.count
      ? tutorialDataset(data.validation, { ...datasetOptions, shuffleBuffer: 0 })
      : undefined,
    monitor: config.train.monitor === "val_loss" && !data.validation.count
      ? "loss"
      : config.train.monitor,
    checkpoint: {
      dir: join(runDir, "checkpoints"),
      template: config.train.checkpointTemplate,
      metadata: { config },
    },
    earlyStopping: { patience: config.train.patience, restoreBestWeights: true },
    onEpochEnd: async (info) => {
      await writeJsonAtomic(join(runDir, "history.json"), info.history);
      await options.onEpochEnd?.(info);
    },
  });
  await writeJsonAtomic(join(runDir, "history.json"), result.history);
  await saveModel(model, join(runDir, "model"), { metadata: { config } });
  return { config, model, runDir, history: result.history, result };
}

/**
 * Loads a run folder written by {@linkcode trainTutorial}: its config, final model (compiled,
 * ready to generate or train further) and history.
 *
 * @throws {Error} naming the folder when it is not a tutorial run
 */
export async function loadTutorialRun(runDir: string): Promise<TutorialRun> {
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
  } catch (e) {
    throw new Error(`run ${runDir}: cannot read config.json (${(e as Error).message})`);
  }
  const family = (raw as { family?: string }).family;
  if (family !== "tutorial") {
    throw new Error(`run ${runDir}: expected a tutorial-family run, got family ${family}`);
  }
  const config = resolveTutorialConfig(raw as TutorialConfig);
  const model = await loadModel(join(runDir, "model"));
  compileTutorialModel(model, config);
  let history: Record<string, number[]> | undefined;
  try {
    history = JSON.parse(await Deno.readTextFile(join(runDir, "history.json")));
  } catch { /* a run without history (e.g. copied weights) still generates */ }
  return { config, model, runDir, history };
}

/** Options for {@linkcode generateFromRun}. */
export interface GenerateFromRunOptions {
  /**
   * Notes to generate.
   * @default {config.generate.notes}
   */
  count?: number;
  /**
   * Sampling temperature.
   * @default {config.generate.temperature}
   */
  temperature?: number;
  /**
   * Seed for the seed window and sampling.
   * @default {config.seed}
   */
  seed?: number;
  /** Notes to start from; a seeded random window of these files is used. */
  seedFrom: Array<{ notes: Note[] }>;
}

/**
 * Generates notes with a run's model, starting from a seeded random window of `seedFrom`.
 *
 * @throws {Error} naming `seedFrom` when no file is long enough for a window
 */
export function generateFromRun(run: TutorialRun, options: GenerateFromRunOptions): Note[] {
  const { config } = run;
  const seed = options.seed ?? config.seed;
  const random = mulberry32(seed);
  const seqLength = config.dataset.seqLength;
  const long = options.seedFrom.filter((f) => f.notes.length >= seqLength);
  if (long.length === 0) {
    throw new Error(`seedFrom: no piece has the ${seqLength} notes a seed window needs`);
  }
  const file = long[randomInt(random, long.length)];
  const start = randomInt(random, file.notes.length - seqLength + 1);
  return generateNotes(run.model, file.notes.slice(start, start + seqLength), {
    count: options.count ?? config.generate.notes,
    temperature: options.temperature ?? config.generate.temperature,
    random,
    pitchScale: config.dataset.pitchScale,
  });
}
