/**
 * The tutorial family end to end, in the steps the notebooks teach: prepare the data, build
 * and train the model into a run folder, load a run, generate. Each step is one call, so a
 * notebook cell or the demo command stays short, and state passes between steps through
 * the run folder `weights/<run>/`:
 *
 * ```
 * weights/<run>/config.json        the resolved config (pitchScale: the input normalisation)
 * weights/<run>/run.json           provenance: backend, versions, data fingerprint, sessions
 * weights/<run>/history.json       losses per epoch
 * weights/<run>/checkpoints/...    best-only checkpoints, named by epoch and loss
 * weights/<run>/resume/            the state after the last epoch, for `resume: true`
 * weights/<run>/model/             the final (best) model: model.json + weights.bin
 * ```
 *
 * One `config.seed` drives weight initialisation, the split, the shuffle of every epoch,
 * the seed window and sampling (the tutorial model has no dropout), so the same config on
 * the same backend gives the same losses and the same generated notes.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { resolveTutorialConfig, type TutorialConfig } from "../config/config.ts";
import { loadMidiFolder, type MidiFolder, type Note } from "../music/midi.ts";
import { tutorialDataset, tutorialWindows, type WindowIndex } from "./windows.ts";
import { splitForWindows } from "../train/split.ts";
import {
  buildTutorialModel,
  compileTutorialModel,
  tutorialLoss,
  tutorialLossSpec,
} from "./model.ts";
import { type LstmFactory, lstmFactory } from "../engine/fused_lstm.ts";
import { type EpochInfo, trainModel, type TrainResult } from "../train/loop.ts";
import { writeJsonAtomic } from "../io/model_files.ts";
import { generateNotesStateful } from "./sample.ts";
import { mulberry32, randomInt } from "../engine/random.ts";
import { dropoutSeeds, seedDropoutLayers, withSeededDropout } from "../engine/seeded_dropout.ts";
import {
  beginRun,
  checkResume,
  finishRun,
  openRunFolder,
  runTrainOptions,
} from "../train/run_steps.ts";

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
 * @throws {Error} naming the folder or setting when there is no usable data, and naming
 *   `dataset.seqLength` when no training file is longer than a window
 */
export function prepareTutorialData(config: TutorialConfig, folder?: MidiFolder): TutorialData {
  folder ??= readTutorialNotes(config);
  const split = splitForWindows(folder.files, {
    validationFraction: config.data.validationFraction,
    seed: config.seed,
    lengthOf: (f) => f.notes.length,
    windowLength: config.dataset.seqLength,
    setting: "dataset.seqLength",
    unit: "notes",
    source: config.data.dir,
  });
  const train = tutorialWindows(split.train, config.dataset);
  const validation = tutorialWindows(split.validation, config.dataset);
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
  /**
   * Continue the run in `runDir` from its last finished epoch (weights, optimiser state,
   * history, early stopping), after checking that `config` is the run's config (only
   * `train.epochs` and `backend` may change). Without a saved epoch the run starts afresh.
   * @default {false}
   */
  resume?: boolean;
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
 * config, provenance (`run.json`), history, the resumable state and the final model under
 * the run folder.
 *
 * @throws {Error} naming the setting or file when the data do not fit the config, or when a
 *   resumed run's config or data differ from the saved ones
 */
export async function trainTutorial(
  config: TutorialConfig,
  options: TrainTutorialOptions = {},
): Promise<TutorialRun & { result: TrainResult }> {
  const runDir = options.runDir ?? join("weights", config.run);
  const state = options.resume ? await checkResume(runDir, config) : null;
  const data = options.data ?? prepareTutorialData(config);
  const fromEpoch = state?.epochsDone ?? 0;
  await beginRun(runDir, config, {
    folder: data.folder,
    sequences: data.folder.files.map((f) => f.notes),
    normalisation: { pitchScale: config.dataset.pitchScale },
    fromEpoch,
  });
  const seeds = dropoutSeeds(config.seed);
  const model = buildTutorialModel(config, {
    lstmLayer: withSeededDropout(options.lstmLayer ?? lstmFactory(config.lstm), seeds),
  });
  seedDropoutLayers(model, seeds);
  const datasetOptions = { ...config.dataset, seed: config.seed };
  const trainOptions = {
    ...datasetOptions,
    maxBatches: config.train.maxBatchesPerEpoch,
    epoch: fromEpoch,
  };
  const metadata = { config };
  const result = await trainModel(model, tutorialDataset(data.train, trainOptions), {
    loss: tutorialLoss(config.model.lossWeights),
    validation: data.validation.count
      ? tutorialDataset(data.validation, { ...datasetOptions, shuffleBuffer: 0 })
      : undefined,
    ...runTrainOptions(config, runDir, {
      hasValidation: data.validation.count > 0,
      metadata,
      seeds,
      resume: options.resume,
      onEpochEnd: options.onEpochEnd,
      lossSpec: tutorialLossSpec(config.model.lossWeights),
    }),
  });
  await finishRun(model, runDir, result, metadata);
  return { config, model, runDir, history: result.history, result };
}

/**
 * Loads a run folder written by {@linkcode trainTutorial}: its config, final model (compiled,
 * ready to generate or train further) and history.
 *
 * @throws {Error} naming the folder when it is not a tutorial run
 */
export async function loadTutorialRun(runDir: string): Promise<TutorialRun> {
  const { rawConfig, model, modelDir } = await openRunFolder(runDir, "tutorial");
  const config = resolveTutorialConfig(rawConfig as TutorialConfig);
  const inputShape = model.inputs[0].shape;
  if (
    model.outputs.length !== 3 || inputShape.length !== 3 ||
    inputShape[1] !== config.dataset.seqLength || inputShape[2] !== 3
  ) {
    const shape = `input [${
      inputShape.map((d) => d ?? "batch")
    }], ${model.outputs.length} output(s)`;
    model.dispose();
    throw new Error(
      `run ${runDir}: the model in ${modelDir} is not a tutorial-family model for this config ` +
        `(expected input [batch, ${config.dataset.seqLength}, 3] and 3 outputs, got ${shape})`,
    );
  }
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
 * The same run, `seedFrom`, count, temperature and seed give the same notes.
 *
 * @throws {Error} naming `dataset.seqLength` when no file is long enough for a window, and
 *   `temperature` when it is not above 0
 */
export function generateFromRun(run: TutorialRun, options: GenerateFromRunOptions): Note[] {
  const { config } = run;
  const seed = options.seed ?? config.seed;
  const random = mulberry32(seed);
  const seqLength = config.dataset.seqLength;
  const temperature = options.temperature ?? config.generate.temperature;
  if (!(temperature > 0)) {
    throw new Error(
      `temperature: expected a number above 0 for a tutorial-family run, got ${temperature}`,
    );
  }
  const long = options.seedFrom.filter((f) => f.notes.length >= seqLength);
  if (long.length === 0) {
    const longest = Math.max(0, ...options.seedFrom.map((f) => f.notes.length));
    throw new Error(
      `dataset.seqLength: a seed window needs a piece of at least ${seqLength} notes, but the ` +
        `longest of the ${options.seedFrom.length} piece(s) to start from has ${longest}`,
    );
  }
  const file = long[randomInt(random, long.length)];
  const start = randomInt(random, file.notes.length - seqLength + 1);
  return generateNotesStateful(run.model, file.notes.slice(start, start + seqLength), {
    count: options.count ?? config.generate.notes,
    temperature,
    random,
    pitchScale: config.dataset.pitchScale,
    memory: config.generate.memory,
  });
}
