/**
 * What every model family offers the steps that work for both (`lib/workflow/`), under the
 * same names and argument shapes: read and prepare the data, build the model, its loss and
 * optimiser, the training dataset and labels, the yardsticks, train, load a run, generate.
 * `lib/tutorial/family.ts` and `lib/classic/family.ts` implement it; `lib/workflow/families.ts`
 * picks one by `config.family`.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { FamilyUnits, GenerateOverrides, RunConfig } from "../config/config.ts";
import type { Note } from "../music/midi.ts";
import type { LstmFactory } from "../engine/fused_lstm.ts";
import type { HeldOutBaselines } from "./baseline.ts";
import type { EpochInfo, LossFunction, TrainResult } from "./loop.ts";
import type { TrainControls } from "./controls.ts";

/** The held-out labels of prepared data, with what they are and the history series to match. */
export interface FamilyLabels {
  /** The label of every training window. */
  train: Int32Array;
  /** The label of every held-out window. */
  heldOut: Int32Array;
  /** Number of label classes (pitches, or the vocabulary's size). */
  classes: number;
  /** The history's value in the same units (`"val_loss"` or `"val_pitch_loss"`). */
  compareWith: "val_loss" | "val_pitch_loss";
  /** What the labels are, for people. */
  label: "token" | "pitch";
}

/** Options for {@linkcode ModelFamily.dataset}. */
export interface FamilyDatasetOptions {
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

/** Options for {@linkcode ModelFamily.buildModel}. */
export interface FamilyBuildOptions {
  /**
   * Makes the LSTM layers.
   * @default {lstmFactory(config.lstm)}
   */
  lstmLayer?: LstmFactory;
}

/** Options for {@linkcode ModelFamily.train}: the run folder, prepared data and controls. */
export interface FamilyTrainOptions<Data> extends TrainControls {
  /**
   * Folder of the run.
   * @default {`weights/${config.run}`}
   */
  runDir?: string;
  /** Data from `prepareData`; prepared afresh when not given. */
  data?: Data;
  /** Called after each epoch. */
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
  /**
   * Continue the run in `runDir` from its last finished epoch.
   * @default {false}
   */
  resume?: boolean;
  /**
   * Hears that the run folder's lock, left by a process that no longer runs, was taken over.
   * @default {undefined}
   */
  onLockTakenOver?: (message: string) => void;
}

/** Options for {@linkcode ModelFamily.loadRun}. */
export interface FamilyLoadOptions {
  /**
   * Hears each setting of an older `config.json` that was renamed on loading.
   * @default {undefined}
   */
  onRenamed?: (note: string) => void;
}

/** Options for {@linkcode ModelFamily.judgePieces}. */
export interface JudgePiecesOptions {
  /** Tempo the pieces are played back at. */
  bpm: number;
  /**
   * Quarter notes between tokens where the steps are fixed.
   * @default {0.5}
   */
  stepBeats?: number;
}

/** One piece of a corpus as the judge compares it. */
export interface JudgedPiece {
  /** The file it was read from. */
  name: string;
  notes: Note[];
  /** The piece's tokens, for a family that has tokens. */
  tokens?: string[];
}

/** Generated music: notes, and for a token family the tokens they came from. */
export interface FamilyMusic {
  notes: Note[];
  tokens?: string[];
}

/**
 * One model family: its config type `C`, the corpus it reads (`Folder`), its prepared data
 * (`Data`) and its run (`R`). Members are methods, so a family is usable wherever the
 * registry's erased `ModelFamily` is.
 */
export interface ModelFamily<
  C extends RunConfig = RunConfig,
  Folder extends { files: unknown[] } = { files: unknown[] },
  Data = unknown,
  R = unknown,
> {
  /** The `config.family` it answers to. */
  readonly name: C["family"];
  /** What one step of a sequence is, for people: `"note"` or `"token"` (`FAMILY_UNITS`). */
  readonly unit: FamilyUnits["unit"];
  /** The plural of `unit`: `"notes"` or `"tokens"`. */
  readonly units: FamilyUnits["units"];
  /**
   * Reads the configured data folder.
   *
   * @throws {Error} naming the folder when it is missing or gives nothing usable
   */
  readCorpus(config: C): Folder;
  /** Where the corpus is saved in a run folder (`notes.json` or `tokens.json`). */
  corpusPath(runDir: string): string;
  /** The number of notes or tokens in all files. */
  corpusSize(folder: Folder): number;
  /** The first rows of one piece as the family sees it, for a table. */
  previewRows(folder: Folder, fileIndex: number): object[];
  /**
   * The notes of one piece, as the family plays them back.
   *
   * @param config a run of this family whose playback settings apply (its defaults if not)
   */
  pieceNotes(folder: Folder, fileIndex: number, config?: C): Note[];
  /**
   * Windows, labels and the split by file.
   *
   * @param folder files already read (not changed); read afresh when not given
   */
  prepareData(config: C, folder?: Folder): Data;
  /** Builds the untrained model. */
  buildModel(config: C, data: Data, options?: FamilyBuildOptions): tf.LayersModel;
  /** The loss the training loop minimises. */
  loss(config: C): LossFunction;
  /** The optimiser training uses. */
  optimizer(config: C): tf.Optimizer;
  /** The training `tf.data` pipeline: elements `{xs, ys}`. */
  dataset(
    config: C,
    data: Data,
    options?: FamilyDatasetOptions,
  ): tf.data.Dataset<tf.TensorContainer>;
  /** The training and held-out labels, or `null` when nothing is held out. */
  labels(data: Data): FamilyLabels | null;
  /** The unigram and n-gram yardsticks of the held-out labels (`null`: none held out). */
  baselines(data: Data): HeldOutBaselines | null;
  /** How `model.input: "scaled"` feeds one step, e.g. `pitch / 128`. */
  scaledInput(config: C): string;
  /** Trains the config's model into its run folder. */
  train(config: C, options?: FamilyTrainOptions<Data>): Promise<R & { result: TrainResult }>;
  /**
   * Loads a run folder of this family.
   *
   * @throws {Error} naming the folder when it has no readable config or model
   */
  loadRun(runDir: string, options?: FamilyLoadOptions): Promise<R>;
  /**
   * The settings besides `data` that change what {@linkcode ModelFamily.readCorpus} reads
   * (classic: `tokens`; `null` when there are none).
   */
  corpusSettings(config: C): unknown;
  /** Quarter notes between generated steps when they are fixed (`undefined`: learnt). */
  fixedStepBeats(config: C): number | undefined;
  /**
   * Each piece of the corpus as the judge compares it: its notes as played back at `bpm`
   * (and `stepBeats` where the steps are fixed, default 0.5), and its tokens where the family
   * has tokens.
   */
  judgePieces(folder: Folder, options: JudgePiecesOptions): JudgedPiece[];
  /** The named preset the model is built from (classic: `model.preset`; `null`: none). */
  modelPreset(config: C): string | null;
  /**
   * The files of a run folder that only this family writes and the train command lists, by
   * label (classic: the vocabulary).
   */
  ownRunFiles(runDir: string): Array<{ label: string; path: string }>;
  /** Generates music from a seeded random window of `folder`'s pieces. */
  generate(run: R, folder: Folder, options?: GenerateOverrides): FamilyMusic;
}
