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
 * One `config.seed` drives weight initialisation, the split, the shuffle of every epoch, the
 * dropout masks (`model.dropout`, a fresh seeded mask per batch), the seed window and
 * sampling, so the same config on the same backend gives the same losses and the same
 * generated notes.
 *
 * The run trains and generates with the engine's fast parts behind the lesson's interfaces:
 * the model of `model.ts` built with `fastModelOptions`, its optimiser through
 * `fastOptimizer`, its loss computed by `denseHeadsBatchLoss` over {@linkcode tutorialHeads}
 * (fused LSTM) and by name for Workers ({@linkcode tutorialLossSpec}), and notes generated
 * with the carried LSTM state ({@linkcode generateNotesStateful}).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import {
  type GenerateOverrides,
  resolveTutorialConfig,
  type TutorialConfig,
} from "../config/config.ts";
import { loadMidiFolder, type MidiFolder, type Note } from "../music/midi.ts";
import { tutorialDataset, type TutorialWindowIndex, tutorialWindows } from "./windows.ts";
import { splitForWindows } from "../train/split.ts";
import { buildTutorialModel, tutorialLoss, tutorialOptimizer } from "./model.ts";
import { decodeNote, type NoteFeaturesRow, runnerRows } from "./encode.ts";
import type { GenerateNotesOptions } from "./sample.ts";
import { appendNote, checkNoteGeneration } from "./_generation.ts";
import { tutorialBaselines } from "./baselines.ts";
import { type LstmFactory, lstmFactory } from "../engine/fused_lstm.ts";
import { fastModelOptions, fastOptimizer } from "../engine/fast_parts.ts";
import {
  denseHeadsBatchLoss,
  denseHeadsBatchLossSpec,
  type HeadLoss,
} from "../engine/heads_batch_loss.ts";
import { generateStateful } from "../engine/stateful_generation.ts";
import type { LayerMath, StateMemory } from "../engine/stateful.ts";
import type { ParallelLossSpec } from "../engine/workers.ts";
import { type EpochInfo, trainModel, type TrainResult } from "../train/loop.ts";
import type { TrainControls } from "../train/controls.ts";
import { modelInputOf } from "../train/model_input.ts";
import { checkTemperature, pickSeedWindow, sampleLogits } from "../random/sampling.ts";
import { buildWithSeededDropout } from "../engine/seeded_dropout.ts";
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
  train: TutorialWindowIndex;
  /** Windows of the held-out files (count 0 when nothing is held out). */
  validation: TutorialWindowIndex;
  /** Notes in all files read. */
  noteCount: number;
}

/**
 * Reads the configured MIDI folder (or takes notes already read), splits it by file and
 * indexes the windows.
 *
 * @param folder notes already read (e.g. by {@linkcode readTutorialNotes}); not changed
 * @throws {Error} naming the folder or setting when there is no usable data, and naming
 *   `model.sequenceLength` when no training file is longer than a window
 */
export function prepareTutorialData(config: TutorialConfig, folder?: MidiFolder): TutorialData {
  folder ??= readTutorialNotes(config);
  const split = splitForWindows(folder.files, {
    validationFraction: config.data.validationFraction,
    seed: config.seed,
    lengthOf: (f) => f.notes.length,
    windowLength: config.model.sequenceLength,
    setting: "model.sequenceLength",
    unit: "notes",
    source: config.data.dir,
  });
  const windows = {
    sequenceLength: config.model.sequenceLength,
    pitchScale: config.dataset.pitchScale,
    input: config.model.input,
  };
  const train = tutorialWindows(split.train, windows);
  const validation = tutorialWindows(split.validation, windows);
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

/**
 * Options for {@linkcode trainTutorial}. Besides these, the training controls: `signal`
 * and `stopFile` stop the run at the next batch (resumable from its last finished epoch),
 * `onBatchEnd` hears every batch (see `lib/train/controls.ts`); `train.maxMinutes` in the
 * config is a time budget that stops it the same way.
 */
export interface TrainTutorialOptions extends TrainControls {
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
   * `train.epochs`, `train.maxMinutes`, `train.workers` and `backend` may change). Without a
   * saved epoch the run starts afresh.
   * @default {false}
   */
  resume?: boolean;
  /**
   * Hears that the run folder's lock, left by a process that no longer runs, was taken over.
   * @default {undefined}
   */
  onLockTakenOver?: (message: string) => void;
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
  const lock = await beginRun(config, {
    runDir,
    folder: data.folder,
    sequences: data.folder.files.map((f) => f.notes),
    normalisation: { input: config.model.input, pitchScale: config.dataset.pitchScale },
    fromEpoch,
    baselines: tutorialBaselines(data.train, data.validation),
    onLockTakenOver: options.onLockTakenOver,
  });
  try {
    return await trainInRunFolder(config, { runDir, data, fromEpoch, options });
  } finally {
    await lock.release();
  }
}

/** The training of {@linkcode trainTutorial}, inside the locked run folder. */
async function trainInRunFolder(
  config: TutorialConfig,
  run: { runDir: string; data: TutorialData; fromEpoch: number; options: TrainTutorialOptions },
): Promise<TutorialRun & { result: TrainResult }> {
  const { runDir, data, fromEpoch, options } = run;
  if (config.model.input !== "scaled" && config.train.workers > 1) {
    throw new Error(
      `config: train.workers: ${config.train.workers} Workers take a model with one input; ` +
        `model.input "${config.model.input}" has two (set train.workers to 1)`,
    );
  }
  const { model, seeds } = buildWithSeededDropout(
    (lstmLayer) => buildTutorialModel(config, fastModelOptions(lstmLayer)),
    { seed: config.seed, lstmLayer: options.lstmLayer ?? lstmFactory(config.lstm) },
  );
  const datasetOptions = {
    batchSize: config.model.batchSize,
    shuffleBuffer: config.dataset.shuffleBuffer,
    seed: config.seed,
  };
  const trainOptions = {
    ...datasetOptions,
    maxBatches: config.train.maxBatchesPerEpoch,
    epoch: fromEpoch,
  };
  const metadata = { config };
  const result = await trainModel(model, tutorialDataset(data.train, trainOptions), {
    loss: tutorialLoss(config),
    // The fused engine also runs the heads and their losses as one op.
    ...(config.lstm === "fused"
      ? { batchLoss: denseHeadsBatchLoss(model, tutorialHeads(config)) }
      : {}),
    optimizer: fastOptimizer(tutorialOptimizer(config)),
    validation: data.validation.count
      ? tutorialDataset(data.validation, { ...datasetOptions, shuffleBuffer: 0 })
      : undefined,
    ...runTrainOptions(config, {
      runDir,
      hasValidation: data.validation.count > 0,
      metadata,
      seeds,
      resume: options.resume,
      onEpochEnd: options.onEpochEnd,
      signal: options.signal,
      stopFile: options.stopFile,
      onBatchEnd: options.onBatchEnd,
      trainWindows: data.train.count,
      lossSpec: tutorialLossSpec(config),
    }),
  });
  await finishRun(model, { runDir, result, metadata });
  return { config, model, runDir, history: result.history, result };
}

/** Options for {@linkcode loadTutorialRun}. */
export interface LoadTutorialRunOptions {
  /**
   * Hears each setting of an older `config.json` that was renamed on loading.
   * @default {undefined}
   */
  onRenamed?: (note: string) => void;
}

/**
 * Loads a run folder written by {@linkcode trainTutorial}: its config, final model (ready to
 * generate) and history.
 *
 * @throws {Error} naming the folder when it is not a tutorial run
 */
export async function loadTutorialRun(
  runDir: string,
  options: LoadTutorialRunOptions = {},
): Promise<TutorialRun> {
  const { rawConfig, model, modelDir, history } = await openRunFolder(runDir, "tutorial");
  const config = resolveTutorialConfig(rawConfig as TutorialConfig, { ...options, saved: true });
  const seq = config.model.sequenceLength;
  const shapes = model.inputs.map((i) => `[${i.shape.map((d) => d ?? "batch")}]`).join(", ");
  const expected = config.model.input === "embedding"
    ? `[batch,${seq}], [batch,${seq},2]`
    : `[batch,${seq},3]`;
  if (
    model.outputs.length !== 3 || shapes !== expected ||
    modelInputOf(model) !== config.model.input
  ) {
    model.dispose();
    throw new Error(
      `run ${runDir}: the model in ${modelDir} is not a tutorial-family model for this config ` +
        `(expected model.input "${config.model.input}", input ${expected} and 3 outputs, got ` +
        `input ${shapes}, ${model.outputs.length} output(s))`,
    );
  }
  return { config, model, runDir, history };
}

/** Options for {@linkcode generateFromTutorialRun}. */
export interface GenerateFromTutorialRunOptions extends GenerateOverrides {
  /** Notes to start from; a seeded random window of these files is used. */
  seedFrom: Array<{ notes: Note[] }>;
}

/**
 * Generates notes with a run's model, starting from a seeded random window of `seedFrom`.
 * The same run, `seedFrom`, length, temperature and seed give the same notes.
 *
 * @throws {Error} naming `sequenceLength` when no file is long enough for a window, and
 *   `temperature` when it is neither above 0 nor `"argmax"`
 */
export function generateFromTutorialRun(
  run: TutorialRun,
  options: GenerateFromTutorialRunOptions,
): Note[] {
  const { config } = run;
  const seed = options.seed ?? config.seed;
  const sequenceLength = config.model.sequenceLength;
  const temperature = checkTemperature(options.temperature ?? config.generate.temperature);
  // As the classic family: the window comes from the seed, the sampling from seed + 1.
  const { window } = pickSeedWindow(options.seedFrom.map((f) => f.notes), {
    sequenceLength,
    seed,
    unit: "notes",
  });
  return generateNotesStateful(run.model, window, {
    length: options.length ?? config.generate.length,
    temperature,
    topK: config.generate.topK,
    seed: seed + 1,
    pitchScale: config.dataset.pitchScale,
    memory: config.generate.memory,
    onProgress: options.onProgress,
  });
}

/**
 * The tutorial model's heads as the engine's batch loss reads them (`denseHeadsBatchLoss` in
 * `lib/engine/heads_batch_loss.ts`): the pitch logits with cross-entropy, step and duration
 * with the positive-pressure error, weighted as {@linkcode tutorialLoss}.
 */
export function tutorialHeads(config: TutorialConfig): HeadLoss[] {
  const weights = config.model.lossWeights;
  return [
    { name: "pitch", kind: "crossentropyFromLogits", weight: weights.pitch },
    { name: "step", kind: "mseWithPositivePressure", weight: weights.step },
    { name: "duration", kind: "mseWithPositivePressure", weight: weights.duration },
  ];
}

/**
 * `tutorialLoss(config)` (`model.ts`) by module and name, for training with Workers; every
 * thread computes it from its slice's inputs with the engine's `denseHeadsBatchLoss` over
 * {@linkcode tutorialHeads}.
 */
export function tutorialLossSpec(config: TutorialConfig): ParallelLossSpec {
  return {
    module: new URL("./model.ts", import.meta.url).href,
    name: "tutorialLoss",
    args: [config],
    batchLoss: denseHeadsBatchLossSpec(tutorialHeads(config)),
  };
}

/** Options for {@linkcode generateNotesStateful}: those of `generateNotes`, plus the memory. */
export interface GenerateNotesStatefulOptions extends GenerateNotesOptions {
  /**
   * What the LSTM state remembers: `"carried"` (one step per note; differs from
   * `generateNotes` from the second note on) or `"window"` (the same notes as
   * `generateNotes`). See `lib/engine/stateful.ts`.
   * @default {"carried"}
   */
  memory?: StateMemory;
  /**
   * How the heads are computed; see `StatefulRunnerOptions.layerMath`.
   * @default {"js"}
   */
  layerMath?: LayerMath;
}

/**
 * Generates notes as `generateNotes` (`sample.ts`) does (same options, same sampling, same
 * random numbers drawn in the same order, same return value), but steps the LSTM once per
 * note from its carried state (`generateStateful` of `lib/engine/stateful_generation.ts`)
 * instead of re-reading the whole window.
 *
 * With `memory: "carried"` (the default) the first note equals `generateNotes`'s for the
 * same seed; later notes also depend on notes that have left the window (exactly as feeding
 * the whole history from a zero state would). With `memory: "window"` every note equals
 * `generateNotes`'s (up to float rounding of the heads; bit for bit with
 * `layerMath: "tfjs"` and a `fusedLstm` model).
 *
 * @param model a tutorial model (outputs pitch logits `[batch, 128]`, step `[batch, 1]`,
 *   duration `[batch, 1]`)
 * @param seedNotes at least `sequenceLength` notes; the last `sequenceLength` start the
 *   generation (not changed)
 * @returns only the new notes, `start` counted from the end of nothing (as `generateNotes`)
 * @throws {Error} as `generateNotes`, and when the model holds a layer that cannot be stepped
 */
export function generateNotesStateful(
  model: tf.LayersModel,
  seedNotes: NoteFeaturesRow[],
  options: GenerateNotesStatefulOptions = {},
): Note[] {
  const { window, length, random } = checkNoteGeneration(model, seedNotes, options);
  const encoding = { input: modelInputOf(model), pitchScale: options.pitchScale };
  const rows = generateStateful(model, runnerRows(window, encoding), {
    length,
    pick: ([logits, step, duration]) =>
      decodeNote(sampleLogits(logits, { ...options, random }), {
        stepSec: step[0],
        durationSec: duration[0],
      }),
    rowOf: (next) => runnerRows([next], encoding),
    memory: options.memory,
    windowLength: window.length,
    layerMath: options.layerMath,
    onProgress: options.onProgress,
  });
  const out: Note[] = [];
  for (const next of rows) appendNote(out, next, options.velocity);
  return out;
}
