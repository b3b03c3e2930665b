/**
 * The tutorial family as one object with the members every family has (`ModelFamily` in
 * `lib/train/family.ts`), so the steps for both families call it without asking which it is.
 * Its model and optimiser are the lesson's (`model.ts`) with the engine's fast parts swapped
 * in (`fastModelOptions`, `fastOptimizer` in `lib/engine/fast_parts.ts`).
 *
 * @module
 */
import { FAMILY_UNITS, type TutorialConfig } from "../config/config.ts";
import type { MidiFolder } from "../music/midi.ts";
import type { ModelFamily } from "../train/family.ts";
import { runPaths } from "../io/run_folder.ts";
import { buildTutorialModel, PITCHES, tutorialLoss, tutorialOptimizer } from "./model.ts";
import { fastModelOptions, fastOptimizer } from "../engine/fast_parts.ts";
import { tutorialDataset, tutorialLabels } from "./windows.ts";
import { tutorialBaselines } from "./baselines.ts";
import {
  generateFromTutorialRun,
  loadTutorialRun,
  prepareTutorialData,
  readTutorialNotes,
  trainTutorial,
  type TutorialData,
  type TutorialRun,
} from "./run.ts";

/** The tutorial family: note tables in, pitch/step/duration windows, three heads. */
export const tutorialFamily: ModelFamily<TutorialConfig, MidiFolder, TutorialData, TutorialRun> = {
  name: "tutorial",
  ...FAMILY_UNITS.tutorial,
  readCorpus: (config) => readTutorialNotes(config),
  corpusPath: (runDir) => runPaths(runDir).notes,
  corpusSize: (folder) => folder.files.reduce((n, f) => n + f.notes.length, 0),
  previewRows: (folder, fileIndex) => folder.files[fileIndex].notes,
  pieceNotes: (folder, fileIndex) => folder.files[fileIndex].notes,
  prepareData: (config, folder) => prepareTutorialData(config, folder),
  buildModel: (config, _data, options = {}) =>
    buildTutorialModel(config, fastModelOptions(options.lstmLayer ?? config.lstm)),
  loss: (config) => tutorialLoss(config),
  optimizer: (config) => fastOptimizer(tutorialOptimizer(config)),
  dataset: (config, data, options = {}) =>
    tutorialDataset(data.train, {
      batchSize: config.model.batchSize,
      shuffleBuffer: config.dataset.shuffleBuffer,
      seed: config.seed,
      ...options,
    }),
  labels: ({ train, validation }) =>
    validation.count === 0 ? null : {
      train: tutorialLabels(train),
      heldOut: tutorialLabels(validation),
      classes: PITCHES,
      compareWith: "val_pitch_loss",
      label: "pitch",
    },
  baselines: ({ train, validation }) => tutorialBaselines(train, validation),
  scaledInput: (config) => `pitch / ${config.dataset.pitchScale}`,
  train: (config, options) => trainTutorial(config, options),
  loadRun: (runDir, options) => loadTutorialRun(runDir, options),
  corpusSettings: () => null,
  fixedStepBeats: () => undefined,
  judgePieces: (folder) => folder.files.map((f) => ({ name: f.path, notes: f.notes })),
  modelPreset: () => null,
  ownRunFiles: () => [],
  generate: (run, folder, options = {}) => ({
    notes: generateFromTutorialRun(run, { ...options, seedFrom: folder.files }),
  }),
};
