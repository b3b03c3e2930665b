/**
 * Crash-safe training: with a resume folder, every epoch end saves the model, the optimiser
 * state and the loop state (epoch, history, best value, early-stopping counter) as one
 * resumable state, and a later call continues from it. A kill at any moment leaves either the
 * previous complete state or the new one:
 *
 * ```
 * <resumeDir>/state.json        the loop state; names the folders below; written last
 * <resumeDir>/epoch-0003/       weights and optimizer state after epoch 3
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basename, join, relative } from "node:path";
import { loadModel, loadOptimizerState, saveModel, saveOptimizerState } from "../io/model_files.ts";
import { readJsonIfExists, writeJsonAtomic } from "../io/atomic_files.ts";
import { TRAIN_STATE_JSON } from "../io/run_folder.ts";
import { writeLatestCheckpoint } from "./callbacks.ts";

/** One value per epoch for every logged quantity (`epoch`, `loss`, `val_loss`, ...). */
export type History = Record<string, number[]>;

/** The loop state saved after every epoch in `<resumeDir>/state.json`. */
export interface TrainState {
  /** Always `"midi-lstm-train-state"`. */
  format: string;
  /** Epochs finished. */
  epochsDone: number;
  /** Epochs asked for when the state was saved. */
  epochs: number;
  /** The monitored value's name. */
  monitor: string;
  /** Best monitored value so far (`null`: none yet). */
  best: number | null;
  /** 0-based epoch of the best value (-1: none yet). */
  bestEpoch: number;
  /** Epochs since the best one: early stopping's wait counter. */
  wait: number;
  /** True when early stopping ended training. */
  stoppedEarly: boolean;
  /** Folder (relative to the resume folder) with the weights and optimizer state. */
  last: string;
  /**
   * Folder (relative to the resume folder) with the best epoch's weights: its checkpoint,
   * or an epoch folder kept for it; `null` when not kept.
   */
  bestModel: string | null;
  /** Last checkpoint written, relative to the resume folder (`null`: none). */
  lastCheckpoint: string | null;
  /** Every logged value of every finished epoch. */
  history: History;
  /** When the state was saved (ISO 8601). */
  savedAt: string;
}

/** `format` of a saved {@linkcode TrainState}. */
const STATE_FORMAT = "midi-lstm-train-state";

/**
 * Reads the resumable state saved in `resumeDir`.
 *
 * @returns the state, or `null` when the folder has none (no epoch finished yet)
 * @throws {Error} naming the file when `state.json` exists but is not a training state
 */
export async function readTrainState(resumeDir: string): Promise<TrainState | null> {
  const path = join(resumeDir, TRAIN_STATE_JSON);
  const state = await readJsonIfExists<TrainState>(path);
  if (state === null) return null;
  if (
    state?.format !== STATE_FORMAT || !Number.isInteger(state.epochsDone) ||
    typeof state.last !== "string" || typeof state.history !== "object"
  ) {
    throw new Error(
      `"${path}": expected a training state (format "${STATE_FORMAT}" with epochsDone, last ` +
        `and history), got keys ${JSON.stringify(Object.keys(state ?? {}))}`,
    );
  }
  return state;
}

/** Where a training stands: what the loop keeps between epochs. */
export interface LoopState {
  /** Epochs finished before this call. */
  initialEpoch: number;
  history: History;
  /** Best monitored value so far (`Infinity`: none yet) and its 0-based epoch (-1: none). */
  best: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  /** The best epoch's weights, kept to restore them at the end (`null`: not kept). */
  bestWeights: tf.Tensor[] | null;
  /** Path of the last checkpoint written. */
  lastCheckpoint?: string;
  /** Folder, relative to the resume folder, holding the best epoch's weights. */
  bestModel: string | null;
}

/** The state of a training that starts from the first epoch. */
export function freshLoopState(): LoopState {
  return {
    initialEpoch: 0,
    history: { epoch: [] },
    best: Infinity,
    bestEpoch: -1,
    stoppedEarly: false,
    bestWeights: null,
    bestModel: null,
  };
}

/** What {@linkcode resumeTraining} restores into. */
export interface ResumeTarget {
  /** The folder of the saved state. */
  resumeDir: string;
  optimizer: tf.Optimizer;
  /** The monitored value's name; must be the saved run's. */
  monitor: string;
  /** Keep the best epoch's weights in memory (early stopping restores them). */
  keepBest: boolean;
  /** The checkpoints folder, whose `latest.json` is set back to the saved best. */
  checkpointDir?: string;
}

/**
 * Restores a saved training into `model` (weights, changed in place) and `target.optimizer`
 * (its state): the loop state to continue from, or a fresh one when nothing was saved.
 *
 * @throws {Error} naming the state file when it monitored another value, or the folder when
 *   the saved weights do not fit the model
 */
export async function resumeTraining(
  model: tf.LayersModel,
  target: ResumeTarget,
): Promise<LoopState> {
  const { resumeDir, optimizer, monitor } = target;
  const state = await readTrainState(resumeDir);
  if (!state) return freshLoopState();
  if (state.monitor !== monitor) {
    throw new Error(
      `"${join(resumeDir, TRAIN_STATE_JSON)}": the saved run monitored "${state.monitor}", ` +
        `this one monitors "${monitor}"`,
    );
  }
  await restoreWeights(model, join(resumeDir, state.last));
  await loadOptimizerState(optimizer, join(resumeDir, state.last));
  restoreAdamPowers(optimizer);
  const loop: LoopState = {
    initialEpoch: state.epochsDone,
    history: structuredClone(state.history),
    best: state.best ?? Infinity,
    bestEpoch: state.bestEpoch,
    stoppedEarly: state.stoppedEarly,
    bestWeights: null,
    bestModel: state.bestModel,
    lastCheckpoint: state.lastCheckpoint ? join(resumeDir, state.lastCheckpoint) : undefined,
  };
  if (target.keepBest && loop.bestEpoch >= 0) {
    if (loop.bestEpoch === state.epochsDone - 1) {
      loop.bestWeights = model.getWeights().map((w) => w.clone());
    } else if (loop.bestModel) {
      const saved = await loadModel(join(resumeDir, loop.bestModel));
      loop.bestWeights = saved.getWeights().map((w) => w.clone());
      saved.dispose();
    }
  }
  if (target.checkpointDir && loop.lastCheckpoint && loop.bestEpoch >= 0) {
    // A crash after a checkpoint but before the state may have left latest.json naming a
    // checkpoint of the epoch being redone.
    await writeLatestCheckpoint(target.checkpointDir, {
      checkpoint: basename(loop.lastCheckpoint),
      epoch: loop.bestEpoch + 1,
      monitor,
      value: loop.best,
    });
  }
  return loop;
}

/** One finished epoch, as {@linkcode saveTrainState} records it. */
export interface FinishedEpoch {
  resumeDir: string;
  optimizer: tf.Optimizer;
  /** 0-based epoch just finished, and the epochs asked for. */
  epoch: number;
  epochs: number;
  monitor: string;
  /** Whether this epoch improved the monitored value. */
  improved: boolean;
  /** Whether the best epoch's weights are kept (early stopping restores them). */
  keepBest: boolean;
  /** The loop's state after this epoch. */
  loop: LoopState;
}

/**
 * Saves the resumable state after an epoch: the model and optimiser into a new epoch folder,
 * then `state.json` naming it, then removes epoch folders no longer needed.
 *
 * @returns the folder (relative to the resume folder) that now holds the best epoch's weights
 */
export async function saveTrainState(
  model: tf.LayersModel,
  finished: FinishedEpoch,
): Promise<string | null> {
  const { resumeDir, optimizer, epoch, loop } = finished;
  const last = `epoch-${String(epoch + 1).padStart(4, "0")}`;
  const lastDir = join(resumeDir, last);
  await Deno.remove(lastDir, { recursive: true }).catch(() => {});
  await saveModel(model, lastDir, { metadata: { epoch: epoch + 1 } });
  await saveOptimizerState(optimizer, lastDir);
  let bestModel = loop.bestModel;
  if (finished.improved) {
    bestModel = loop.lastCheckpoint ? relative(resumeDir, loop.lastCheckpoint) : last;
  }
  const saved: TrainState = {
    format: STATE_FORMAT,
    epochsDone: epoch + 1,
    epochs: finished.epochs,
    monitor: finished.monitor,
    best: Number.isFinite(loop.best) ? loop.best : null,
    bestEpoch: loop.bestEpoch,
    wait: epoch - loop.bestEpoch,
    stoppedEarly: loop.stoppedEarly,
    last,
    bestModel: finished.keepBest ? bestModel : null,
    lastCheckpoint: loop.lastCheckpoint ? relative(resumeDir, loop.lastCheckpoint) : null,
    history: loop.history,
    savedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(join(resumeDir, TRAIN_STATE_JSON), saved);
  await removeStaleEpochs(resumeDir, new Set([last, saved.bestModel ?? last]));
  return bestModel;
}

/** Copies the weights saved in `dir` into `model` (same architecture). */
async function restoreWeights(model: tf.LayersModel, dir: string): Promise<void> {
  const saved = await loadModel(dir);
  try {
    const weights = saved.getWeights();
    const expected = model.getWeights();
    const same = weights.length === expected.length &&
      weights.every((w, i) => w.shape.join() === expected[i].shape.join());
    if (!same) {
      throw new Error(
        `the weights in "${dir}" do not fit the model: saved ${weights.length} tensors ` +
          `[${weights.map((w) => `[${w.shape}]`).join(", ")}], the model has ${expected.length} ` +
          `[${expected.map((w) => `[${w.shape}]`).join(", ")}]`,
      );
    }
    model.setWeights(weights);
  } finally {
    saved.dispose();
  }
}

/**
 * After `setWeights`, Adam recomputes its running powers of beta1 and beta2 with `pow`,
 * which can differ in the last bit from the products it accumulates step by step. Redo the
 * products in float32, so a resumed run continues bit for bit.
 */
function restoreAdamPowers(optimizer: tf.Optimizer): void {
  const adam = optimizer as unknown as {
    beta1?: number;
    beta2?: number;
    accBeta1?: tf.Variable;
    accBeta2?: tf.Variable;
    iterations?: number;
  };
  if (optimizer.getClassName() !== "Adam" || !adam.accBeta1 || !adam.accBeta2) return;
  const power = (beta: number, steps: number) => {
    const b = Math.fround(beta);
    let p = b;
    for (let i = 0; i < steps; i++) p = Math.fround(p * b);
    return p;
  };
  const steps = adam.iterations ?? 0;
  tf.tidy(() => {
    adam.accBeta1!.assign(tf.scalar(power(adam.beta1!, steps)));
    adam.accBeta2!.assign(tf.scalar(power(adam.beta2!, steps)));
  });
}

/** Removes epoch folders of a resume folder that `keep` does not name. */
async function removeStaleEpochs(resumeDir: string, keep: Set<string>): Promise<void> {
  for await (const entry of Deno.readDir(resumeDir)) {
    if (entry.isDirectory && /^epoch-\d+$/.test(entry.name) && !keep.has(entry.name)) {
      await Deno.remove(join(resumeDir, entry.name), { recursive: true }).catch(() => {});
    }
  }
}
