/**
 * The two callbacks the sources train with, as plain functions the loop calls at the end of
 * each epoch: a best-only checkpoint named by epoch and loss (Keras' `ModelCheckpoint` with
 * `save_best_only`), and early stopping (Keras' `EarlyStopping` with `patience`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic_files.ts";
import { saveModel } from "../io/model_files.ts";
import { LATEST_CHECKPOINT_JSON } from "../io/run_folder.ts";

/**
 * Fills a Keras-style file-name template: `{epoch:02d}` and any logged value by name, such as
 * `{loss:.4f}` or `{val_loss:.3f}` (plain `{epoch}`, `{loss}` too).
 *
 * @param values the 1-based `epoch` and the epoch's logged values (not changed)
 * @throws {Error} naming the field when the template asks for a value that is not logged
 */
export function formatCheckpointName(
  template: string,
  values: { epoch: number } & Record<string, number>,
): string {
  return template.replace(/\{(\w+)(?::([^}]*))?\}/g, (_, key: string, spec?: string) => {
    const value = values[key];
    if (value === undefined) {
      throw new Error(
        `checkpoint template: {${key}} is not logged; expected epoch or one of ${
          Object.keys(values).filter((k) => k !== "epoch").join(", ")
        }`,
      );
    }
    const m = /^(0?)(\d*)(?:\.(\d+))?([df])?$/.exec(spec ?? "");
    if (!spec || !m) return String(value);
    const [, zero, width, precision, type] = m;
    let text = type === "f" || precision ? value.toFixed(Number(precision ?? 6)) : String(value);
    if (width) text = text.padStart(Number(width), zero ? "0" : " ");
    return text;
  });
}

/** Where and how best-only checkpoints are written. */
export interface CheckpointSettings {
  /** Folder of the checkpoints. */
  dir: string;
  /**
   * File-name template (see {@linkcode formatCheckpointName}).
   * @default {"ckpt-{epoch:02d}-{loss:.4f}"}
   */
  template?: string;
  /** Saved in each checkpoint's model.json (config, vocabulary, ...). */
  metadata?: Record<string, unknown>;
}

/** The epoch a checkpoint is written for. */
export interface ImprovedEpoch {
  /** 0-based epoch. */
  epoch: number;
  /** The epoch's logged values. */
  logs: Record<string, number>;
  /** Name of the monitored value, and its (improved) value. */
  monitor: string;
  value: number;
}

/**
 * Saves `model` as the checkpoint of an improved epoch (atomically), then points
 * `<dir>/latest.json` at it.
 *
 * @returns the checkpoint's folder
 * @throws {Error} naming the field when the template asks for a value that is not logged
 */
export async function saveCheckpoint(
  model: tf.LayersModel,
  improved: ImprovedEpoch & { checkpoint: CheckpointSettings },
): Promise<string> {
  const { checkpoint, epoch, logs, monitor, value } = improved;
  const name = formatCheckpointName(checkpoint.template ?? "ckpt-{epoch:02d}-{loss:.4f}", {
    ...logs,
    epoch: epoch + 1,
  });
  const path = join(checkpoint.dir, name);
  await saveModel(model, path, {
    metadata: { ...checkpoint.metadata, epoch: epoch + 1, [monitor]: value },
  });
  await writeLatestCheckpoint(checkpoint.dir, {
    checkpoint: name,
    epoch: epoch + 1,
    monitor,
    value,
  });
  return path;
}

/** What `<checkpoints>/latest.json` says: the newest checkpoint and its monitored value. */
export interface LatestCheckpoint {
  /** Folder name of the checkpoint, inside the checkpoints folder. */
  checkpoint: string;
  /** 1-based epoch. */
  epoch: number;
  monitor: string;
  value: number;
}

/** Writes `<dir>/latest.json` (atomically). */
export async function writeLatestCheckpoint(dir: string, latest: LatestCheckpoint): Promise<void> {
  await writeJsonAtomic(join(dir, LATEST_CHECKPOINT_JSON), latest);
}

/** Where training stands for early stopping. */
export interface EarlyStoppingState {
  /** 0-based epoch just finished, and the best one so far. */
  epoch: number;
  bestEpoch: number;
  /** Epochs asked for. */
  epochs: number;
}

/**
 * Early stopping: true when `patience` epochs have passed without improvement and epochs
 * remain (so a run that ends anyway is not reported as stopped).
 */
export function stopsEarly(patience: number | undefined, state: EarlyStoppingState): boolean {
  return patience !== undefined && state.epoch - state.bestEpoch >= patience &&
    state.epoch < state.epochs - 1;
}
