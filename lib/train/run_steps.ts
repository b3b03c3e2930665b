/**
 * Steps both families take around a run folder when training starts or resumes: check
 * that a resumed run still has its config, and record the session in `run.json`.
 *
 * @module
 */
import type { ParallelLossSpec } from "../engine/workers.ts";
import { join } from "node:path";
import { configDifferences, type RunConfig } from "../config/config.ts";
import type * as tf from "@tensorflow/tfjs";
import {
  type EpochInfo,
  readTrainState,
  type TrainOptions,
  type TrainResult,
  type TrainState,
} from "./loop.ts";
import { loadModel, readModelMetadata, saveModel, writeJsonAtomic } from "../io/model_files.ts";
import type { DropoutSeeds } from "../engine/seeded_dropout.ts";
import { fingerprintOf, recordRunSession } from "../io/provenance.ts";

/** Settings a resumed run may change: how long it trains, and the backend it runs on. */
const MAY_CHANGE_ON_RESUME = new Set(["train.epochs", "train.workers", "backend"]);

/** Sub-folder of a run folder holding the resumable training state. */
export const RESUME_FOLDER = "resume";

/**
 * For a resumed run: reads the saved training state (`null` when no epoch finished yet) and
 * checks that `config` matches the run's `config.json` except for `train.epochs` and
 * `backend`.
 *
 * @throws {Error} naming the run folder and every changed setting, or the family, when the
 *   config differs, or naming the file when `config.json` is missing though a state exists
 */
export async function checkResume(runDir: string, config: RunConfig): Promise<TrainState | null> {
  const state = await readTrainState(join(runDir, RESUME_FOLDER));
  let saved: RunConfig;
  try {
    saved = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
  } catch (e) {
    if (!state) return null;
    throw new Error(
      `resume: run ${runDir} has a training state but no readable config.json ` +
        `(${(e as Error).message})`,
    );
  }
  if (saved.family !== config.family) {
    throw new Error(
      `resume: run ${runDir} is a ${saved.family}-family run (config.json), ` +
        `but the config to resume with is ${config.family}`,
    );
  }
  const changed = configDifferences(saved, config).filter((d) =>
    !MAY_CHANGE_ON_RESUME.has(d.setting)
  );
  if (changed.length > 0) {
    const list = changed.map((d) => `${d.setting} (saved ${d.a}, now ${d.b})`).join(", ");
    throw new Error(
      `resume: the config differs from ${join(runDir, "config.json")} in ${list}; ` +
        "resume with the saved config (only train.epochs and backend may change) or start a new run",
    );
  }
  return state;
}

/** What {@linkcode runTrainOptions} needs to know about a run. */
export interface RunTrainContext {
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
 * resumable state under `resume/`, and `history.json` rewritten after every epoch.
 */
export function runTrainOptions(
  config: RunConfig,
  runDir: string,
  context: RunTrainContext,
): Omit<TrainOptions, "loss" | "validation"> {
  return {
    epochs: config.train.epochs,
    workers: config.train.workers,
    parallel: {
      loss: context.lossSpec,
      seed: config.seed,
    },
    monitor: config.train.monitor === "val_loss" && !context.hasValidation
      ? "loss"
      : config.train.monitor,
    checkpoint: {
      dir: join(runDir, "checkpoints"),
      template: config.train.checkpointTemplate,
      metadata: context.metadata,
    },
    earlyStopping: { patience: config.train.patience, restoreBestWeights: true },
    resumeDir: join(runDir, RESUME_FOLDER),
    resume: context.resume,
    onEpochBegin: (epoch) => context.seeds.startEpoch(epoch),
    onEpochEnd: async (info) => {
      await writeJsonAtomic(join(runDir, "history.json"), info.history);
      await context.onEpochEnd?.(info);
    },
  };
}

/** Writes the final history and saves the (best) model to `<runDir>/model`. */
export async function finishRun(
  model: tf.LayersModel,
  runDir: string,
  result: TrainResult,
  metadata: Record<string, unknown>,
): Promise<void> {
  await writeJsonAtomic(join(runDir, "history.json"), result.history);
  await saveModel(model, join(runDir, "model"), { metadata });
}

/** A run folder opened by {@linkcode openRunFolder}. */
export interface OpenedRun {
  /** `config.json` as saved (resolve it with the family's resolver). */
  rawConfig: unknown;
  /** The final model, uncompiled. */
  model: tf.LayersModel;
  /** The model's `userDefinedMetadata`. */
  metadata: Record<string, unknown>;
  /** `<runDir>/model`. */
  modelDir: string;
}

/**
 * Opens a run folder of the expected family: reads `config.json`, checks its family and the
 * family recorded with the weights, and loads the final model.
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
    rawConfig = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
  } catch (e) {
    throw new Error(`run ${runDir}: cannot read config.json (${(e as Error).message})`);
  }
  const saved = (rawConfig as { family?: string }).family;
  if (saved !== family) {
    throw new Error(`run ${runDir}: expected a ${family}-family run, got family ${saved}`);
  }
  const modelDir = join(runDir, "model");
  const metadata = await readModelMetadata(modelDir);
  const weightsFamily = (metadata.config as { family?: string } | undefined)?.family;
  if (weightsFamily !== undefined && weightsFamily !== family) {
    throw new Error(
      `run ${runDir}: the weights in ${modelDir} are from a ${weightsFamily}-family model, ` +
        `but config.json says ${family}`,
    );
  }
  return { rawConfig, model: await loadModel(modelDir), metadata, modelDir };
}

/** What {@linkcode beginRun} records about a run's data. */
export interface RunDataRecord {
  /** The files read and skipped (notes or tokens per file). */
  folder: { files: unknown[]; skipped: unknown[] };
  /** The sequences the data fingerprint is taken over (notes or tokens per file). */
  sequences: unknown[];
  /** How inputs are scaled, for `run.json`. */
  normalisation: Record<string, unknown>;
  /** Epochs already done (0 for a fresh run). */
  fromEpoch: number;
}

/**
 * Opens a run folder for training: creates it, writes `config.json` (atomically) and records
 * the session in `run.json`.
 *
 * @throws {Error} as `recordRunSession` does when a resumed run's data changed
 */
export async function beginRun(
  runDir: string,
  config: RunConfig,
  record: RunDataRecord,
): Promise<void> {
  await Deno.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(join(runDir, "config.json"), config);
  await recordRunSession(runDir, {
    config,
    data: {
      files: record.folder.files.length,
      skipped: record.folder.skipped.length,
      fingerprint: await fingerprintOf(record.sequences),
    },
    normalisation: record.normalisation,
    fromEpoch: record.fromEpoch,
  });
}
