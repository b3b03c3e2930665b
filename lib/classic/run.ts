/**
 * The classic family end to end: MIDI files to note and chord tokens, a vocabulary, windows
 * of token ids, the stacked-LSTM softmax model, training into a run folder, and generation
 * back to notes. The run folder holds what generation needs:
 *
 * ```
 * weights/<run>/config.json        the resolved config
 * weights/<run>/run.json           provenance: backend, versions, data fingerprint, sessions
 * weights/<run>/vocabulary.json    the tokens, in id order, with a fingerprint (inputs are
 *                                  id / vocabulary size)
 * weights/<run>/history.json       losses per epoch
 * weights/<run>/checkpoints/...    weights-improvement-{epoch}-{loss}
 * weights/<run>/resume/            the state after the last epoch, for `resume: true`
 * weights/<run>/model/             the final (best) model; its metadata repeats the
 *                                  vocabulary fingerprint, so a mismatch is caught
 * ```
 *
 * One `config.seed` drives weight initialisation, the split, the shuffle of every epoch
 * (from the seed and the epoch: `epochOrder` in `lib/train/windows.ts`), the dropout masks (a
 * fresh, seeded mask per batch, in Dropout layers and in the LSTMs' recurrent dropout), the
 * seed window and sampling.
 *
 * The run trains and generates with the engine's fast parts behind the lesson's interfaces:
 * the model of `model.ts` built with `fastModelOptions`, its optimiser through
 * `fastOptimizer`, its loss by name for Workers ({@linkcode classicLossSpec}), and tokens
 * generated with the carried LSTM states ({@linkcode generateTokensStateful}).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import {
  type ClassicConfig,
  type GenerateOverrides,
  resolveClassicConfig,
} from "../config/config.ts";
import { splitForWindows } from "../train/split.ts";
import { classicDataset, type ClassicWindowIndex, classicWindows } from "./windows.ts";
import { buildClassicModel, classicLoss, classicOptimizer } from "./model.ts";
import { runnerIds } from "./encode.ts";
import { type GenerateTokensOptions, sampleToken } from "./sample.ts";
import { checkTokenGeneration } from "./_generation.ts";
import { classicBaselines } from "./baselines.ts";
import { pickSeedWindow } from "../random/sampling.ts";
import { loadTokenFolder, type TokenFolder, tokensToNotes } from "../music/tokens.ts";
import type { Note } from "../music/midi.ts";
import { learnedTiming, learnTokenTiming, type TokenTimingTable } from "./timing.ts";
import {
  assertVocabularyMatches,
  buildVocabulary,
  decodeIds,
  encodeTokens,
  loadVocabulary,
  saveVocabulary,
  type Vocabulary,
} from "../music/vocabulary.ts";
import { lstmFactory } from "../engine/fused_lstm.ts";
import { fastModelOptions, fastOptimizer } from "../engine/fast_parts.ts";
import { generateStateful } from "../engine/stateful_generation.ts";
import type { LayerMath, StateMemory } from "../engine/stateful.ts";
import type { ParallelLossSpec } from "../engine/workers.ts";
import { type EpochInfo, trainModel, type TrainResult } from "../train/loop.ts";
import type { TrainControls } from "../train/controls.ts";
import { modelInputOf } from "../train/model_input.ts";
import { writeJsonAtomic } from "../io/atomic_files.ts";
import { buildWithSeededDropout } from "../engine/seeded_dropout.ts";
import {
  beginRun,
  checkResume,
  finishRun,
  openRunFolder,
  runTrainOptions,
} from "../train/run_steps.ts";
import { runPaths } from "../io/run_folder.ts";

/** Token data prepared for training. */
export interface ClassicData {
  folder: TokenFolder;
  vocabulary: Vocabulary;
  /** Windows of the training files. */
  train: ClassicWindowIndex;
  /** Windows of the held-out files, or null when none are held out (or none is long enough). */
  validation: ClassicWindowIndex | null;
  /** Tokens in all files read. */
  tokenCount: number;
}

/**
 * Reads the configured MIDI folder into tokens.
 *
 * @throws {Error} naming the folder when it is missing or gives no tokens
 */
export function readClassicTokens(config: ClassicConfig): TokenFolder {
  return loadTokenFolder(config.data.dir, {
    instrument: config.data.instrument,
    maxFiles: config.data.maxFiles ?? Infinity,
    quarterLengthDivisors: config.tokens.quarterLengthDivisors,
    convention: config.tokens.convention,
    minTokens: 2,
  });
}

/**
 * Builds the vocabulary over every file read, splits the files for validation and indexes
 * the windows of `config.model.sequenceLength` token ids.
 *
 * @param folder tokens already read (not changed); read afresh when not given
 * @throws {Error} naming `model.sequenceLength` when no training file is long enough
 */
export function prepareClassicData(config: ClassicConfig, folder?: TokenFolder): ClassicData {
  folder ??= readClassicTokens(config);
  const vocabulary = buildVocabulary(folder.files.map((f) => f.tokens));
  const split = splitForWindows(folder.files, {
    validationFraction: config.data.validationFraction,
    seed: config.seed,
    lengthOf: (f) => f.tokens.length,
    windowLength: config.model.sequenceLength,
    setting: "model.sequenceLength",
    unit: "tokens",
    source: config.data.dir,
  });
  const options = {
    vocabSize: vocabulary.size,
    sequenceLength: config.model.sequenceLength,
    input: config.model.input,
  };
  const ids = (files: TokenFolder["files"]) => files.map((f) => encodeTokens(vocabulary, f.tokens));
  const train = classicWindows(ids(split.train), options);
  const validation = split.validation.length
    ? classicWindows(ids(split.validation), options)
    : null;
  const tokenCount = folder.files.reduce((n, f) => n + f.tokens.length, 0);
  return { folder, vocabulary, train, validation, tokenCount };
}

/** A trained (or loaded) classic run. */
export interface ClassicRun {
  config: ClassicConfig;
  model: tf.LayersModel;
  vocabulary: Vocabulary;
  runDir: string;
  history?: Record<string, number[]>;
  /** Rhythm learnt from the training files (`timing.json`), when the run has one. */
  timing?: TokenTimingTable;
}

/**
 * Options for {@linkcode trainClassic}. Besides these, the training controls: `signal`
 * and `stopFile` stop the run at the next batch (resumable from its last finished epoch),
 * `onBatchEnd` hears every batch (see `lib/train/controls.ts`); `train.maxMinutes` in the
 * config is a time budget that stops it the same way.
 */
export interface TrainClassicOptions extends TrainControls {
  /**
   * Folder of the run.
   * @default {`weights/${config.run}`}
   */
  runDir?: string;
  /** Data from {@linkcode prepareClassicData}; prepared afresh when not given. */
  data?: ClassicData;
  /** Called after each epoch. */
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
  /**
   * Continue the run in `runDir` from its last finished epoch (weights, optimiser state,
   * history, early stopping), after checking that `config` and the vocabulary are the run's
   * (only `train.epochs`, `train.maxMinutes`, `train.workers` and `backend` may change).
   * Without a saved epoch the run starts afresh.
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
 * Builds the model from `config`, trains it with best-only checkpoints and early stopping,
 * and saves config, provenance (`run.json`), vocabulary, history, the resumable state and
 * the final model under the run folder.
 *
 * @throws {Error} naming the setting or file when the data do not fit the config, or when a
 *   resumed run's config, data or vocabulary differ from the saved ones
 */
export async function trainClassic(
  config: ClassicConfig,
  options: TrainClassicOptions = {},
): Promise<ClassicRun & { result: TrainResult }> {
  const runDir = options.runDir ?? join("weights", config.run);
  const state = options.resume ? await checkResume(runDir, config) : null;
  const data = options.data ?? prepareClassicData(config);
  const vocabularyPath = runPaths(runDir).vocabulary;
  if (state) {
    const saved = loadVocabulary(vocabularyPath);
    if (saved.fingerprint !== data.vocabulary.fingerprint) {
      throw new Error(
        `resume: the tokens of ${config.data.dir} give a vocabulary of ${data.vocabulary.size} ` +
          `tokens (fingerprint ${data.vocabulary.fingerprint}), but the run was trained with ` +
          `${vocabularyPath} (${saved.size} tokens, ${saved.fingerprint}); restore the data or ` +
          "start a new run",
      );
    }
  }
  const fromEpoch = state?.epochsDone ?? 0;
  const lock = await beginRun(config, {
    runDir,
    folder: data.folder,
    sequences: data.folder.files.map((f) => f.tokens),
    normalisation: {
      input: config.model.input,
      vocabularySize: data.vocabulary.size,
      vocabularyFingerprint: data.vocabulary.fingerprint,
    },
    fromEpoch,
    baselines: classicBaselines(data.train, data.validation),
    onLockTakenOver: options.onLockTakenOver,
  });
  try {
    return await trainInRunFolder(config, { runDir, data, fromEpoch, options });
  } finally {
    await lock.release();
  }
}

/** The training of {@linkcode trainClassic}, inside the locked run folder. */
async function trainInRunFolder(
  config: ClassicConfig,
  run: { runDir: string; data: ClassicData; fromEpoch: number; options: TrainClassicOptions },
): Promise<ClassicRun & { result: TrainResult }> {
  const { runDir, data, fromEpoch, options } = run;
  const paths = runPaths(runDir);
  saveVocabulary(paths.vocabulary, data.vocabulary);
  await writeJsonAtomic(paths.timing, learnTokenTiming(config, data.folder.files));
  const { model, seeds } = buildWithSeededDropout(
    (lstmLayer) =>
      buildClassicModel(config, {
        vocabSize: data.vocabulary.size,
        ...fastModelOptions(lstmLayer),
      }),
    { seed: config.seed, lstmLayer: lstmFactory(config.lstm) },
  );
  const metadata = { config, vocabularyFingerprint: data.vocabulary.fingerprint };
  const batchSize = config.model.batchSize;
  const result = await trainModel(
    model,
    // Every window in one shuffle buffer: a full permutation, drawn for each epoch from the
    // seed and the epoch; a resumed run's first pass is epoch fromEpoch.
    classicDataset(data.train, {
      batchSize,
      seed: config.seed,
      epoch: fromEpoch,
      maxBatches: config.train.maxBatchesPerEpoch,
    }),
    {
      loss: classicLoss(config),
      optimizer: fastOptimizer(classicOptimizer(config)),
      validation: data.validation
        ? classicDataset(data.validation, { batchSize, shuffleBuffer: 0 })
        : undefined,
      ...runTrainOptions(config, {
        runDir,
        hasValidation: data.validation !== null,
        metadata,
        seeds,
        resume: options.resume,
        onEpochEnd: options.onEpochEnd,
        signal: options.signal,
        stopFile: options.stopFile,
        onBatchEnd: options.onBatchEnd,
        trainWindows: data.train.count,
        lossSpec: classicLossSpec(config),
      }),
    },
  );
  await finishRun(model, { runDir, result, metadata });
  return {
    config,
    model,
    vocabulary: data.vocabulary,
    runDir,
    history: result.history,
    result,
  };
}

/** Options for {@linkcode loadClassicRun}. */
export interface LoadClassicRunOptions {
  /**
   * Hears each setting of an older `config.json` that was renamed on loading.
   * @default {undefined}
   */
  onRenamed?: (note: string) => void;
}

/**
 * Loads a classic run folder: config, vocabulary and model, checking that the vocabulary
 * is the one the weights were trained with.
 *
 * @throws {Error} naming the folder when it is not a classic run, and saying what was
 *   expected and what arrived when vocabulary and weights do not match
 */
export async function loadClassicRun(
  runDir: string,
  options: LoadClassicRunOptions = {},
): Promise<ClassicRun> {
  const { rawConfig, model, metadata, modelDir, history } = await openRunFolder(
    runDir,
    "classic",
  );
  const config = resolveClassicConfig(rawConfig as ClassicConfig, { ...options, saved: true });
  const vocabulary = loadVocabulary(runPaths(runDir).vocabulary);
  const seq = config.model.sequenceLength;
  const expected = config.model.input === "embedding" ? `[batch,${seq}]` : `[batch,${seq},1]`;
  const shape = `[${model.inputs[0].shape.map((d) => d ?? "batch")}]`;
  if (model.outputs.length !== 1 || model.inputs.length !== 1 || shape !== expected) {
    model.dispose();
    throw new Error(
      `run ${runDir}: the model in ${modelDir} is not a classic-family model for this config ` +
        `(expected model.input "${config.model.input}", input ${expected} and one output, got ` +
        `input ${shape}, ${model.outputs.length} output(s))`,
    );
  }
  if (modelInputOf(model) !== config.model.input) {
    model.dispose();
    throw new Error(
      `run ${runDir}: the model in ${modelDir} reads ${modelInputOf(model)} input, but its ` +
        `config says model.input "${config.model.input}"`,
    );
  }
  const width = model.outputs[0].shape.at(-1)!;
  assertVocabularyMatches(vocabulary, width, {
    expectedFingerprint: metadata.vocabularyFingerprint as string | undefined,
    modelName: `the model in ${modelDir}`,
  });
  let timing: TokenTimingTable | undefined;
  try {
    timing = JSON.parse(await Deno.readTextFile(runPaths(runDir).timing));
  } catch { /* runs from before learnt timing play with the fixed step */ }
  return { config, model, vocabulary, runDir, history, timing };
}

/** Options for {@linkcode generateFromClassicRun}. */
export interface GenerateFromClassicRunOptions extends GenerateOverrides {
  /** Token sequences to take the seed window from (usually the training files). */
  seedFrom: Array<{ tokens: string[] }>;
}

/** Generated music of the classic family: the tokens and the notes they stand for. */
export interface ClassicGenerated {
  tokens: string[];
  notes: Note[];
}

/**
 * Generates tokens from a seeded random window of `seedFrom` and turns them into notes
 * (chords as simultaneous notes, a fixed step of `config.generate.stepBeats` quarter notes).
 *
 * @throws {Error} when the seed files hold tokens outside the vocabulary or none is long
 *   enough for a window
 */
export function generateFromClassicRun(
  run: ClassicRun,
  options: GenerateFromClassicRunOptions,
): ClassicGenerated {
  const { config, vocabulary } = run;
  const seed = options.seed ?? config.seed;
  const known = options.seedFrom.map((f) => f.tokens.filter((t) => vocabulary.noteToInt.has(t)));
  const window = pickSeedWindow(known.map((t) => encodeTokens(vocabulary, t)), {
    sequenceLength: config.model.sequenceLength,
    seed,
    unit: "tokens",
  });
  const ids = generateTokensStateful(run.model, window.window, {
    memory: config.generate.memory,
    length: options.length ?? config.generate.length,
    temperature: options.temperature ?? config.generate.temperature,
    topK: config.generate.topK,
    seed: seed + 1,
    vocabulary,
    onProgress: options.onProgress,
  });
  const tokens = decodeIds(vocabulary, ids);
  const table = config.generate.timing === "learned" ? run.timing : undefined;
  if (config.generate.timing === "learned" && !table) {
    throw new Error(
      `generate.timing: "learned" needs ${runPaths(run.runDir).timing}, which this run ` +
        'lacks (retrain it, or use "fixed")',
    );
  }
  const timing = table ? learnedTiming(tokens, table) : undefined;
  const notes = tokensToNotes(tokens, {
    stepBeats: config.generate.stepBeats,
    bpm: config.generate.bpm,
    timing,
  });
  return { tokens, notes };
}

/** `classicLoss(config)` (`model.ts`) by module and name, for training with Workers. */
export function classicLossSpec(config: ClassicConfig): ParallelLossSpec {
  return {
    module: new URL("./model.ts", import.meta.url).href,
    name: "classicLoss",
    args: [config],
  };
}

/** Options for {@linkcode generateTokensStateful}: those of `generateTokens`, plus the memory. */
export interface GenerateTokensStatefulOptions extends GenerateTokensOptions {
  /**
   * What the LSTM state remembers: `"carried"` (one step per token; differs from
   * `generateTokens` from the second token on) or `"window"` (the same tokens as
   * `generateTokens`). See `lib/engine/stateful.ts`.
   * @default {"carried"}
   */
  memory?: StateMemory;
  /**
   * How the layers after the LSTMs are computed; see `StatefulRunnerOptions.layerMath`.
   * @default {"js"}
   */
  layerMath?: LayerMath;
}

/**
 * Generates token ids as `generateTokens` (`sample.ts`) does (same options and checks, same
 * sampling and random numbers, same return value), stepping the LSTMs once per token from
 * their carried state (`generateStateful` of `lib/engine/stateful_generation.ts`) instead of
 * re-reading the window of `sequenceLength` ids.
 *
 * With `memory: "carried"` (the default) the first token equals `generateTokens`'s for the
 * same seed, and later tokens follow the whole history since the seed window. With
 * `memory: "window"` every token equals `generateTokens`'s (up to float rounding; argmax
 * and sampling pick the same ids unless two probabilities tie within rounding).
 *
 * @param model a classic model (input `[batch, sequenceLength, 1]`, or `[batch,
 *   sequenceLength]` ids for an embedding model; output `[batch, vocab]`)
 * @param seedIds at least `sequenceLength` ids, oldest first; the last `sequenceLength` are
 *   used (not changed)
 * @returns the generated ids only
 * @throws {Error} as `generateTokens`, and naming the layer when the model holds a layer
 *   that cannot be stepped
 */
export function generateTokensStateful(
  model: tf.LayersModel,
  seedIds: readonly number[],
  options: GenerateTokensStatefulOptions = {},
): number[] {
  const { sequenceLength, vocabSize, length, sampling } = checkTokenGeneration(
    model,
    seedIds,
    options,
  );
  const ids = { vocabSize, input: modelInputOf(model) };
  return generateStateful(model, runnerIds(seedIds.slice(-sequenceLength), ids), {
    length,
    pick: ([probs]) => sampleToken(probs, sampling),
    rowOf: (id) => runnerIds([id], ids),
    memory: options.memory,
    windowLength: sequenceLength,
    layerMath: options.layerMath,
    onProgress: options.onProgress,
  });
}
