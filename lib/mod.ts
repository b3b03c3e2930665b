/**
 * midi-lstm-notebooks: LSTM music generation in Deno, as the notebooks teach it.
 *
 * This entry point (`midi-lstm`) is what a learner reads first: the two families and the
 * registry that picks one, each family's lesson (encode, windows, model, sample), the configs,
 * the sampling rule, MIDI in and out, the backend choice and the workflow steps the notebooks
 * call. It stays under 100 runtime names (`deno task check` counts them,
 * `lib/commands/check_exports.ts`).
 *
 * Everything else has one home: `midi-lstm/<folder>` is `lib/<folder>/mod.ts`, the whole folder,
 * as each package of Deno's standard library has its own entry. A name exported here is
 * exported by its folder's entry too.
 *
 * - `midi-lstm/music`: MIDI files, note tables, `NoteSequence` JSON, tokens, the vocabulary
 * - `midi-lstm/random`: mulberry32, derived seeds, the sampling rule, the seed window
 * - `midi-lstm/config`: the typed config, its table and differences, the presets, upgrades
 * - `midi-lstm/io`: atomic files, model files, run folders and their lock, provenance
 * - `midi-lstm/engine`: the speed: fused LSTM, fused Adam, batch losses, kernels, BLAS, the
 *   stateful runner and its generation loop, the gradient source, Workers
 * - `midi-lstm/train`: the family interface, the windowing both families share, the loop with
 *   its callbacks and controls, resume, accuracy, n-grams
 * - `midi-lstm/tutorial`, `midi-lstm/classic`: each family whole: its lesson, its run (with the
 *   engine's fast parts plugged in), baselines, timing
 * - `midi-lstm/workflow`: the steps, and the baselines a run is compared with
 * - `midi-lstm/judge`: metrics, the copy check, evaluation, sweeps
 * - `midi-lstm/notebook`: figures, tables, audio, the player, checks, the notebook session
 * - `midi-lstm/web`: the run as a web page (`deno task export`)
 *
 * Importing `midi-lstm` (or `midi-lstm/io`) registers `file://` routers with `tf.io`, so
 * `model.save("file://dir")` and `tf.loadLayersModel("file://dir/model.json")` work in Deno
 * (`io/file_router.ts`).
 *
 * @module
 */
import { registerFileRouters } from "./io/file_router.ts";

// The two families, and the registry that picks one by `config.family`.
export { FAMILIES, familyNamed, familyOf, familyOfSavedRun, perFamily } from "./workflow/mod.ts";
export type { PerFamily } from "./workflow/mod.ts";
export { tutorialFamily } from "./tutorial/mod.ts";
export { classicFamily } from "./classic/mod.ts";
export type { ModelFamily } from "./train/mod.ts";

// Both families' windows: the index, the labels, the one epoch-shuffle rule, the tf.data pipeline.
export { epochOrder, windowDataset, windowIndex, windowLabels } from "./train/mod.ts";
export type { EpochOrderOptions, WindowDatasetOptions, WindowIndex } from "./train/mod.ts";

// The tutorial family's lesson: encode, windows, model and loss, sample.
export {
  buildTutorialModel,
  decodeNote,
  encodeNotes,
  FEATURES,
  gatherTutorialBatch,
  generateNotes,
  mseWithPositivePressure,
  notesInputs,
  notesToFeatures,
  predictNextNote,
  sparseCategoricalCrossentropyFromLogits,
  tutorialDataset,
  tutorialLabels,
  tutorialLoss,
  tutorialOptimizer,
  tutorialWindows,
} from "./tutorial/mod.ts";
export type {
  BuildTutorialModelOptions,
  GenerateNotesOptions,
  NoteFeatures,
  NoteFeaturesRow,
  NotesInputOptions,
  PredictedTiming,
  PredictOptions,
  TutorialBatch,
  TutorialWindowIndex,
  TutorialWindowOptions,
} from "./tutorial/mod.ts";

// The classic family's lesson: encode, windows, model and loss, sample.
export {
  buildClassicModel,
  classicDataset,
  classicLabels,
  classicLoss,
  classicOptimizer,
  classicParameterCount,
  classicWindows,
  encodeIds,
  gatherClassicBatch,
  generateTokens,
  idsInputs,
  probabilitiesToLogits,
  sampleToken,
  sparseCategoricalCrossentropy,
} from "./classic/mod.ts";
export type {
  BuildClassicModelOptions,
  ClassicBatch,
  ClassicWindowIndex,
  ClassicWindowOptions,
  GenerateTokensOptions,
  IdInputOptions,
} from "./classic/mod.ts";

// Music: MIDI files to notes and back; notes to tokens and back; the vocabulary.
export {
  buildVocabulary,
  decodeIds,
  encodeTokens,
  listMidiFiles,
  loadMidiFolder,
  loadTokenFolder,
  midiToNotes,
  midiToTokens,
  notesToMidi,
  parseMidi,
  pitchName,
  tokensToNotes,
} from "./music/mod.ts";
export type {
  LoadMidiFolderOptions,
  LoadTokenFolderOptions,
  MidiFileNotes,
  MidiFileTokens,
  MidiFolder,
  MidiToNotesOptions,
  MidiToTokensOptions,
  Note,
  NotesToMidiOptions,
  ParsedMidi,
  SkippedFile,
  TokenFolder,
  TokensToNotesOptions,
  Vocabulary,
} from "./music/mod.ts";

// Seeded randomness: the generator, a run's derived seeds, the sampling rule, the seed window.
export { deriveSeed, mulberry32, pickSeedWindow, sampleLogits } from "./random/mod.ts";
export type {
  PickSeedWindowOptions,
  SampleOptions,
  SeedWindow,
  Temperature,
} from "./random/mod.ts";

// One typed config per run: the defaults, filling in a partial config, the classic presets.
export {
  backendOptions,
  CLASSIC_PRESETS,
  classicPresetConfig,
  defaultClassicConfig,
  defaultTutorialConfig,
  resolveClassicConfig,
  resolveConfig,
  resolveTutorialConfig,
} from "./config/mod.ts";
export type {
  ClassicConfig,
  ClassicModelConfig,
  ClassicPresetName,
  CommonConfig,
  DeepPartial,
  Family,
  LossWeights,
  ModelInput,
  ResolveConfigOptions,
  RunConfig,
  TutorialConfig,
} from "./config/mod.ts";

// Where the tensors run.
export { selectBackend } from "./engine/backend.ts";
export type {
  BackendChoice,
  BackendName,
  BackendRequest,
  SelectBackendOptions,
} from "./engine/backend.ts";

// The training loop, the split by file, a run folder's paths.
export { splitByFile, trainModel } from "./train/mod.ts";
export type {
  EpochInfo,
  LossFunction,
  SplitByFileOptions,
  TrainOptions,
  TrainResult,
} from "./train/mod.ts";
export { runPaths } from "./io/mod.ts";
export type { RunPaths } from "./io/mod.ts";

// The workflow: the same steps for both families, as the notebooks and commands call them.
export {
  buildModel,
  describeCorpus,
  generateMusic,
  loadCorpus,
  loadRun,
  lossFor,
  midiOptionsFor,
  optimizerFor,
  pieceNotes,
  prepareData,
  previewRows,
  readCorpus,
  saveCorpus,
  tensorRows,
  trainingDataset,
  trainRun,
  unigramBaseline,
  windowCounts,
} from "./workflow/mod.ts";
export type {
  Corpus,
  GeneratedMusic,
  GenerateMusicOptions,
  LoadRunOptions,
  PieceNotesOptions,
  PreparedData,
  Run,
  TrainingDatasetOptions,
  TrainRunOptions,
  UnigramBaseline,
} from "./workflow/mod.ts";

registerFileRouters();
