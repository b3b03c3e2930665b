/**
 * Steps both families take around a run folder when training starts or resumes: check
 * that a resumed run still has its config, lock the folder against a second writer, record
 * the session in `run.json`, and save the final model at the end.
 *
 * The lock (`io/run_folder.ts`) is taken by {@linkcode beginRun}; the family's training
 * releases it in a `finally` when it is done, and a normal exit of the process releases it
 * too.
 *
 * @module
 */
import type { ParallelLossSpec } from "../engine/workers.ts";
import {
  configDifferences,
  type DeepPartial,
  resolveConfig,
  type RunConfig,
} from "../config/config.ts";
import { upgradeConfig } from "../config/legacy.ts";
import type * as tf from "@tensorflow/tfjs";
import type { EpochInfo, TrainOptions, TrainResult } from "./loop.ts";
import type { TrainControls } from "./controls.ts";
import { type History, readTrainState, type TrainState } from "./resume.ts";
import { writeJsonAtomic } from "../io/atomic_files.ts";
import { loadModel, readModelMetadata, saveModel } from "../io/model_files.ts";
import type { DropoutSeeds } from "../engine/seeded_dropout.ts";
import { fingerprintOf, recordRunSession } from "../io/provenance.ts";
import type { HeldOutBaselines } from "./baseline.ts";
import { CONFIG_JSON, lockRunFolder, type RunFolderLock, runPaths } from "../io/run_folder.ts";

/**
 * Settings a resumed run may change: how long it trains (its epochs and time budget), and the
 * backend it runs on.
 */
const MAY_CHANGE_ON_RESUME = new Set([
  "train.epochs",
  "train.maxMinutes",
  "train.workers",
  "backend",
]);

/**
 * For a resumed run: reads the saved training state (`null` when no epoch finished yet) and
 * checks that `config` matches the run's `config.json` (brought up to date with
 * `upgradeConfig`) except for the settings that may change on resume: `train.epochs`,
 * `train.maxMinutes`, `train.workers` and `backend`.
 *
 * @throws {Error} naming the run folder and every changed setting, or the family, when the
 *   config differs, or naming the file when `config.json` is missing though a state exists
 */
export async function checkResume(runDir: string, config: RunConfig): Promise<TrainState | null> {
  const paths = runPaths(runDir);
  const state = await readTrainState(paths.resume);
  let saved: RunConfig;
  try {
    const raw = JSON.parse(await Deno.readTextFile(paths.config));
    saved = upgradeConfig(raw, { family: raw.family, saved: true });
  } catch (e) {
    if (!state) return null;
    throw new Error(
      `resume: run ${runDir} has a training state but no readable ${CONFIG_JSON} ` +
        `(${(e as Error).message})`,
    );
  }
  if (saved.family !== config.family) {
    throw new Error(
      `resume: run ${runDir} is a ${saved.family}-family run (${CONFIG_JSON}), ` +
        `but the config to resume with is ${config.family}`,
    );
  }
  const changed = configDifferences(saved, config).filter((d) =>
    !MAY_CHANGE_ON_RESUME.has(d.setting)
  );
  if (changed.length > 0) {
    const list = changed.map((d) => `${d.setting} (saved ${d.a}, now ${d.b})`).join(", ");
    throw new Error(
      `resume: the config differs from ${paths.config} in ${list}; ` +
        `resume with the saved config (only ${
          [...MAY_CHANGE_ON_RESUME].join(", ")
        } may change) or start a new run`,
    );
  }
  return state;
}

/**
 * What {@linkcode runTrainOptions} needs to know about a run; its `signal`, `stopFile` and
 * `onBatchEnd` (the caller's controls) are passed on to the loop.
 */
export interface RunTrainContext extends TrainControls {
  /** The run folder. */
  runDir: string;
  /** Training windows, for the batches per epoch that progress reports. */
  trainWindows: number;
  /** Whether there are held-out windows (else `val_loss` cannot be monitored). */
  hasValidation: boolean;
  /** Saved with every checkpoint and the final model. */
  metadata: Record<string, unknown>;
  /** Dropout seeds, advanced at each epoch. */
  seeds: DropoutSeeds;
  /** Continue from the run's saved state. */
  resume?: boolean;
  /** The caller's per-epoch callback. */
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
  /** The loss by module and name, for `train.workers > 1` (Workers cannot take a closure). */
  lossSpec: ParallelLossSpec;
}

/**
 * The training options both families use for a run folder: the monitored value, best-only
 * checkpoints under `checkpoints/`, early stopping with the best weights restored, the
 * resumable state under `resume/`, `history.json` rewritten after every epoch, the time
 * budget `train.maxMinutes` and the caller's stop and progress controls.
 */
export function runTrainOptions(
  config: RunConfig,
  context: RunTrainContext,
): Omit<TrainOptions, "loss" | "optimizer" | "validation"> {
  const paths = runPaths(context.runDir);
  const batchSize = config.model.batchSize;
  return {
    epochs: config.train.epochs,
    maxMinutes: config.train.maxMinutes,
    signal: context.signal,
    stopFile: context.stopFile,
    onBatchEnd: context.onBatchEnd,
    batchesPerEpoch: Math.min(
      Math.ceil(context.trainWindows / batchSize),
      config.train.maxBatchesPerEpoch ?? Infinity,
    ),
    workers: config.train.workers,
    parallel: {
      loss: context.lossSpec,
      seed: config.seed,
    },
    monitor: config.train.monitor === "val_loss" && !context.hasValidation
      ? "loss"
      : config.train.monitor,
    checkpoint: {
      dir: paths.checkpoints,
      template: config.train.checkpointTemplate,
      metadata: context.metadata,
    },
    earlyStopping: { patience: config.train.patience, restoreBestWeights: true },
    resumeDir: paths.resume,
    resume: context.resume,
    onEpochBegin: (epoch) => context.seeds.startEpoch(epoch),
    onEpochEnd: async (info) => {
      await writeJsonAtomic(paths.history, info.history);
      await context.onEpochEnd?.(info);
    },
  };
}

/** A finished training, as {@linkcode finishRun} saves it. */
export interface FinishedRun {
  /** The run folder. */
  runDir: string;
  /** What `trainModel` returned. */
  result: TrainResult;
  /** Saved with the model (`userDefinedMetadata`). */
  metadata: Record<string, unknown>;
}

/**
 * Writes the final history and saves the (best) model to `<runDir>/model`. A run stopped
 * before its first epoch ended has no model: `model/` is removed instead (an earlier run's).
 */
export async function finishRun(model: tf.LayersModel, finished: FinishedRun): Promise<void> {
  const paths = runPaths(finished.runDir);
  await writeJsonAtomic(paths.history, finished.result.history);
  if (finished.result.history.epoch.length === 0) {
    await Deno.remove(paths.model, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    return;
  }
  await saveModel(model, paths.model, { metadata: finished.metadata });
}

/** A run folder opened by {@linkcode openRunFolder}. */
export interface OpenedRun {
  /** `config.json` as saved (resolve it with the family's resolver). */
  rawConfig: unknown;
  /** The final model, uncompiled, with fused LSTM layers when the config says `lstm: "fused"`. */
  model: tf.LayersModel;
  /** The model's `userDefinedMetadata`. */
  metadata: Record<string, unknown>;
  /** `<runDir>/model`. */
  modelDir: string;
  /** `history.json` (`undefined` when the folder has none readable, e.g. copied weights). */
  history?: History;
}

/**
 * Opens a run folder of the expected family: reads `config.json`, checks its family and the
 * family recorded with the weights, and loads the final model, its LSTM layers built as the
 * config's `lstm` says (the fused layer by default; the files hold the standard `LSTM`), and
 * the history when there is one (a run without it still generates).
 *
 * @throws {Error} naming the folder when `config.json` is missing or of another family, or
 *   when the weights belong to a model of another family
 */
export async function openRunFolder(
  runDir: string,
  family: RunConfig["family"],
): Promise<OpenedRun> {
  let rawConfig: unknown;
  try {
    rawConfig = JSON.parse(await Deno.readTextFile(runPaths(runDir).config));
  } catch (e) {
    throw new Error(`run ${runDir}: cannot read ${CONFIG_JSON} (${(e as Error).message})`);
  }
  const saved = (rawConfig as { family?: string }).family;
  if (saved !== family) {
    throw new Error(`run ${runDir}: expected a ${family}-family run, got family ${saved}`);
  }
  const modelDir = runPaths(runDir).model;
  const metadata = await readModelMetadata(modelDir);
  const weightsFamily = (metadata.config as { family?: string } | undefined)?.family;
  if (weightsFamily !== undefined && weightsFamily !== family) {
    throw new Error(
      `run ${runDir}: the weights in ${modelDir} are from a ${weightsFamily}-family model, ` +
        `but ${CONFIG_JSON} says ${family}`,
    );
  }
  const savedLstm = (rawConfig as { lstm?: unknown }).lstm;
  const lstm = savedLstm === "layers" || savedLstm === "fused"
    ? savedLstm
    : resolveConfig({ family } as DeepPartial<RunConfig>).lstm;
  const model = await loadModel(modelDir, { lstm });
  let history: History | undefined;
  try {
    history = JSON.parse(await Deno.readTextFile(runPaths(runDir).history));
  } catch { /* no history.json: the run still generates */ }
  return { rawConfig, model, metadata, modelDir, history };
}

/** The run {@linkcode beginRun} opens, and what it records about the run's data. */
export interface RunDataRecord {
  /** The run folder. */
  runDir: string;
  /** The files read and skipped (notes or tokens per file). */
  folder: { files: unknown[]; skipped: unknown[] };
  /** The sequences the data fingerprint is taken over (notes or tokens per file). */
  sequences: unknown[];
  /** How inputs are scaled, for `run.json`. */
  normalisation: Record<string, unknown>;
  /** Epochs already done (0 for a fresh run). */
  fromEpoch: number;
  /**
   * The count models' scores on the held-out labels, for `run.json` (`baseline.ts`).
   * @default {none (a resumed run keeps the ones recorded)}
   */
  baselines?: HeldOutBaselines | null;
  /**
   * Called when the run folder's lock was left by a process that no longer runs and is
   * taken over, with a sentence saying so.
   * @default {no call (the new lock file records the takeover)}
   */
  onLockTakenOver?: (message: string) => void;
}

/**
 * Opens a run folder for training: creates it, takes its lock (see `io/run_folder.ts`),
 * writes `config.json` (atomically) and records the session in `run.json`. The caller holds
 * the lock until it is done writing (release it in a `finally`); it is also released when the
 * process exits, and at once on an error here.
 *
 * @returns the lock
 * @throws {Error} naming the folder and the process (pid, host, command, start time) when
 *   another process or another call of this one trains into the folder; as
 *   `recordRunSession` does when a resumed run's data changed
 */
export async function beginRun(
  config: RunConfig,
  record: RunDataRecord,
): Promise<RunFolderLock> {
  const runDir = record.runDir;
  const onLockTakenOver = record.onLockTakenOver;
  const lock = await lockRunFolder(runDir, {
    onTakeOver: onLockTakenOver && ((message) => onLockTakenOver(message)),
  });
  try {
    await writeJsonAtomic(runPaths(runDir).config, config);
    await recordRunSession(runDir, {
      config,
      data: {
        files: record.folder.files.length,
        skipped: record.folder.skipped.length,
        fingerprint: await fingerprintOf(record.sequences),
      },
      normalisation: record.normalisation,
      fromEpoch: record.fromEpoch,
      baselines: record.baselines,
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
  return lock;
}
