/**
 * The classic family as one object with the members every family has (`ModelFamily` in
 * `lib/train/family.ts`), so the steps for both families call it without asking which it is.
 * Its model and optimiser are the lesson's (`model.ts`) with the engine's fast parts swapped
 * in (`fastModelOptions`, `fastOptimizer` in `lib/engine/fast_parts.ts`).
 *
 * @module
 */
import { type ClassicConfig, FAMILY_UNITS } from "../config/config.ts";
import { isChordToken, type TokenFolder, tokenPitches, tokensToNotes } from "../music/tokens.ts";
import type { ModelFamily } from "../train/family.ts";
import { runPaths } from "../io/run_folder.ts";
import { buildClassicModel, classicLoss, classicOptimizer } from "./model.ts";
import { fastModelOptions, fastOptimizer } from "../engine/fast_parts.ts";
import { classicDataset, classicLabels } from "./windows.ts";
import { classicBaselines } from "./baselines.ts";
import {
  type ClassicData,
  type ClassicRun,
  generateFromClassicRun,
  loadClassicRun,
  prepareClassicData,
  readClassicTokens,
  trainClassic,
} from "./run.ts";

/** The classic family: note and chord tokens in, windows of ids, stacked LSTMs + softmax. */
export const classicFamily: ModelFamily<ClassicConfig, TokenFolder, ClassicData, ClassicRun> = {
  name: "classic",
  ...FAMILY_UNITS.classic,
  readCorpus: (config) => readClassicTokens(config),
  corpusPath: (runDir) => runPaths(runDir).tokens,
  corpusSize: (folder) => folder.files.reduce((n, f) => n + f.tokens.length, 0),
  previewRows: (folder, fileIndex) =>
    folder.files[fileIndex].tokens.map((token, i) => ({
      index: i,
      token,
      kind: isChordToken(token) ? "chord" : "note",
      pitches: tokenPitches(token).join(" "),
    })),
  pieceNotes: (folder, fileIndex, config) => {
    const generate = config?.generate ?? { stepBeats: 0.5, bpm: 120 };
    return tokensToNotes(folder.files[fileIndex].tokens, {
      stepBeats: generate.stepBeats,
      bpm: generate.bpm,
    });
  },
  prepareData: (config, folder) => prepareClassicData(config, folder),
  buildModel: (config, data, options = {}) =>
    buildClassicModel(config, {
      vocabSize: data.vocabulary.size,
      ...fastModelOptions(options.lstmLayer ?? config.lstm),
    }),
  loss: (config) => classicLoss(config),
  optimizer: (config) => fastOptimizer(classicOptimizer(config)),
  dataset: (config, data, options = {}) =>
    classicDataset(data.train, {
      batchSize: config.model.batchSize,
      // The classic family shuffles every window at once (a full permutation each epoch).
      seed: config.seed,
      ...options,
    }),
  labels: ({ train, validation, vocabulary }) =>
    validation == null || validation.count === 0 ? null : {
      train: classicLabels(train),
      heldOut: classicLabels(validation),
      classes: vocabulary.size,
      compareWith: "val_loss",
      label: "token",
    },
  baselines: ({ train, validation }) => classicBaselines(train, validation),
  scaledInput: () => "id / vocabulary size",
  train: (config, options) => trainClassic(config, options),
  loadRun: (runDir, options) => loadClassicRun(runDir, options),
  corpusSettings: (config) => config.tokens,
  fixedStepBeats: (config) => config.generate.stepBeats,
  judgePieces: (folder, options) =>
    folder.files.map((f) => ({
      name: f.path,
      notes: tokensToNotes(f.tokens, { stepBeats: options.stepBeats ?? 0.5, bpm: options.bpm }),
      tokens: f.tokens,
    })),
  modelPreset: (config) => config.model.preset,
  ownRunFiles: (runDir) => [{ label: "vocabulary", path: runPaths(runDir).vocabulary }],
  generate: (run, folder, options = {}) =>
    generateFromClassicRun(run, { ...options, seedFrom: folder.files }),
};
