/**
 * The classic family end to end: MIDI files to note and chord tokens, a vocabulary, windows
 * of token ids, the stacked-LSTM softmax model, training into a run folder, and generation
 * back to notes. The run folder holds what generation needs:
 *
 * ```
 * weights/<run>/config.json        the resolved config
 * weights/<run>/vocabulary.json    the tokens, in id order, with a fingerprint
 * weights/<run>/history.json       losses per epoch
 * weights/<run>/checkpoints/...    weights-improvement-{epoch}-{loss}
 * weights/<run>/model/             the final (best) model; its metadata repeats the
 *                                  vocabulary fingerprint, so a mismatch is caught
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { type ClassicConfig, resolveClassicConfig } from "./config.ts";
import { splitByFile } from "./dataset.ts";
import { classicDataset, type ClassicWindowIndex, classicWindowIndex } from "./classic_dataset.ts";
import { buildClassicModel, classicLoss, compileClassicModel } from "./classic_model.ts";
import { generateTokens, pickSeedWindow } from "./classic_generate.ts";
import { loadTokenFolder, type TokenFolder, tokensToNotes } from "./tokens.ts";
import {
  assertVocabularyMatches,
  buildVocabulary,
  encodeTokens,
  loadVocabulary,
  saveVocabulary,
  type Vocabulary,
} from "./vocabulary.ts";
import type { LossFunction } from "./loss.ts";
import { lstmFactory } from "./model.ts";
import { type EpochInfo, trainModel, type TrainResult } from "./train.ts";
import { loadModel, readModelMetadata, saveModel, writeJsonAtomic } from "./model_io.ts";
import type { Note } from "./midi.ts";

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
 * @throws {Error} naming `sequenceLength` when no training file is long enough
 */
export function prepareClassicData(config: ClassicConfig, folder?: TokenFolder): ClassicData {
  folder ??= readClassicTokens(config);
  const vocabulary = buildVocabulary(folder.files.map((f) => f.tokens));
  const split = splitByFile(folder.files, {
    validationFraction: config.data.validationFraction,
    seed: config.seed,
  });
  const options = { vocabSize: vocabulary.size, sequenceLength: config.model.sequenceLength };
  const ids = (files: TokenFolder["files"]) => files.map((f) => encodeTokens(vocabulary, f.tokens));
  const train = classicWindowIndex(ids(split.train), options);
  const longVal = split.validation.filter((f) => f.tokens.length > config.model.sequenceLength);
  const validation = longVal.length ? classicWindowIndex(ids(longVal), options) : null;
  const tokenCount = folder.files.reduce((n, f) => n + f.tokens.length, 0);
  return { folder, vocabulary, train, validation, tokenCount };
}

/** The classic loss as the training loop takes it: `loss` only. */
export function classicTrainLoss(): LossFunction {
  return (ys, [probs]) => ({ loss: classicLoss(ys as tf.Tensor, probs) });
}

/** A trained (or loaded) classic run. */
export interface ClassicRun {
  config: ClassicConfig;
  model: tf.LayersModel;
  vocabulary: Vocabulary;
  runDir: string;
  history?: Record<string, number[]>;
}

/** Options for {@linkcode trainClassic}. */
export interface TrainClassicOptions {
  /**
   * Folder of the run.
   * @default {`weights/${config.run}`}
   */
  runDir?: string;
  /** Data from {@linkcode prepareClassicData}; prepared afresh when not given. */
  data?: ClassicData;
  /** Called after each epoch. */
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
}

/**
 * Builds the model from `config`, trains it with best-only checkpoints and early stopping,
 * and saves config, vocabulary, history and the final model under the run folder.
 */
export async function trainClassic(
  config: ClassicConfig,
  options: TrainClassicOptions = {},
): Promise<ClassicRun & { result: TrainResult }> {
  const runDir = options.runDir ?? join("weights", config.run);
  const data = options.data ?? prepareClassicData(config);
  await Deno.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(join(runDir, "config.json"), config);
  saveVocabulary(join(runDir, "vocabulary.json"), data.vocabulary);
  const model = buildClassicModel(config.model, {
    vocabSize: data.vocabulary.size,
    seed: config.seed,
    lstmLayer: lstmFactory(config.lstm),
  });
  const metadata = { config, vocabularyFingerprint: data.vocabulary.fingerprint };
  const batchSize = config.model.batchSize;
  const result = await trainModel(
    model,
    classicDataset(data.train, {
      batchSize,
      seed: config.seed,
      maxBatches: config.train.maxBatchesPerEpoch,
    }),
    {
      loss: classicTrainLoss(),
      epochs: config.train.epochs,
      validation: data.validation
        ? classicDataset(data.validation, { batchSize, shuffle: false })
        : undefined,
      monitor: config.train.monitor === "val_loss" && !data.validation
        ? "loss"
        : config.train.monitor,
      checkpoint: {
        dir: join(runDir, "checkpoints"),
        template: config.train.checkpointTemplate,
        metadata,
      },
      earlyStopping: { patience: config.train.patience, restoreBestWeights: true },
      onEpochEnd: async (info) => {
        await writeJsonAtomic(join(runDir, "history.json"), info.history);
        await options.onEpochEnd?.(info);
      },
    },
  );
  await writeJsonAtomic(join(runDir, "history.json"), result.history);
  await saveModel(model, join(runDir, "model"), { metadata });
  return {
    config,
    model,
    vocabulary: data.vocabulary,
    runDir,
    history: result.history,
    result,
  };
}

/**
 * Loads a classic run folder: config, vocabulary and model, checking that the vocabulary
 * is the one the weights were trained with.
 *
 * @throws {Error} naming the folder when it is not a classic run, and saying what was
 *   expected and what arrived when vocabulary and weights do not match
 */
export async function loadClassicRun(runDir: string): Promise<ClassicRun> {
  let raw: ClassicConfig;
  try {
    raw = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
  } catch (e) {
    throw new Error(`run ${runDir}: cannot read config.json (${(e as Error).message})`);
  }
  if (raw.family !== "classic") {
    throw new Error(`run ${runDir}: expected a classic-family run, got family ${raw.family}`);
  }
  const config = resolveClassicConfig(raw);
  const vocabulary = loadVocabulary(join(runDir, "vocabulary.json"));
  const modelDir = join(runDir, "model");
  const metadata = await readModelMetadata(modelDir);
  const model = await loadModel(modelDir);
  const width = model.outputs[0].shape.at(-1)!;
  assertVocabularyMatches(vocabulary, width, {
    expectedFingerprint: metadata.vocabularyFingerprint as string | undefined,
    modelName: `the model in ${modelDir}`,
  });
  compileClassicModel(model, config.model);
  let history: Record<string, number[]> | undefined;
  try {
    history = JSON.parse(await Deno.readTextFile(join(runDir, "history.json")));
  } catch { /* a run without history still generates */ }
  return { config, model, vocabulary, runDir, history };
}

/** Options for {@linkcode generateFromClassicRun}. */
export interface GenerateFromClassicRunOptions {
  /** Token sequences to take the seed window from (usually the training files). */
  seedFrom: Array<{ tokens: string[] }>;
  /**
   * Tokens to generate.
   * @default {config.generate.tokens}
   */
  count?: number;
  /**
   * Sampling temperature; 0 is argmax.
   * @default {config.generate.temperature}
   */
  temperature?: number;
  /**
   * Seed for the seed window and sampling.
   * @default {config.seed}
   */
  seed?: number;
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
  });
  const ids = generateTokens(run.model, window.ids, {
    steps: options.count ?? config.generate.tokens,
    temperature: options.temperature ?? config.generate.temperature,
    topK: config.generate.topK,
    seed: seed + 1,
    vocabulary,
  });
  const tokens = ids.map((id) => vocabulary.intToNote[id]);
  const notes = tokensToNotes(tokens, {
    stepBeats: config.generate.stepBeats,
    bpm: config.generate.bpm,
  });
  return { tokens, notes };
}
