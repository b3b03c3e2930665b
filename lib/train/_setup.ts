/**
 * What `trainModel` (`loop.ts`) sets up before its first epoch, from its options: the
 * optimiser, the engine's gradient source, where training starts (the first epoch, or the
 * resumable state) and its hooks in the order they run; and the result it gives back.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { createGradientSource, type GradientSource } from "../engine/gradient_source.ts";
import type { StopReason } from "./controls.ts";
import { freshLoopState, type LoopState, resumeTraining } from "./resume.ts";
import type { TrainOptions, TrainResult } from "./train_options.ts";
import {
  callerHook,
  checkpointHook,
  earlyStoppingHook,
  HookList,
  resumeStateHook,
  type TrainHook,
} from "./_hooks.ts";
import { stopHook, watchStops } from "./_stop.ts";

/** A training, ready for its first epoch. */
export interface Training {
  optimizer: tf.Optimizer;
  /** Epochs asked for (the resumed ones included) and the monitored value's name. */
  epochs: number;
  monitor: string;
  /** The losses and gradients of each batch (close it when done). */
  source: GradientSource;
  /** Where training stands; the hooks and the loop update it. */
  state: LoopState;
  /** Stops, checkpoint, early stopping, resumable state, the caller's callbacks (dispose). */
  hooks: HookList;
}

/**
 * Checks `options`, starts the time budget (and removes an old stop file), the gradient
 * source (Workers, with `workers` > 1) and the state to train from: fresh (an old resumable
 * state removed) or resumed into `model` and the optimiser. On an error nothing is left
 * running.
 *
 * @throws {Error} when there is no optimiser, `resume` has no `resumeDir`, the gradient
 *   source cannot start, or a resumed state cannot be read or does not fit
 */
export async function startTraining(
  model: tf.LayersModel,
  train: tf.data.Dataset<tf.TensorContainer>,
  options: TrainOptions,
): Promise<Training> {
  const optimizer = options.optimizer ?? model.optimizer;
  if (!optimizer) {
    throw new Error(
      "trainModel: expected options.optimizer (e.g. tutorialOptimizer(config)) or a " +
        "compiled model, got neither",
    );
  }
  const { resumeDir, earlyStopping } = options;
  if (options.resume && !resumeDir) {
    throw new Error("trainModel: resume needs resumeDir, the folder of the saved state");
  }
  const epochs = options.epochs ?? 10;
  const monitor = options.monitor ?? "loss";
  const keepBest = earlyStopping !== undefined && (earlyStopping.restoreBestWeights ?? true);
  const stops = await watchStops(options);
  const source = await createGradientSource(model, options);
  try {
    if (resumeDir && !options.resume) {
      await Deno.remove(resumeDir, { recursive: true }).catch(() => {});
    }
    const state = options.resume
      ? await resumeTraining(model, {
        resumeDir: resumeDir!,
        optimizer,
        monitor,
        keepBest,
        checkpointDir: options.checkpoint?.dir,
      })
      : freshLoopState();
    const hooks: TrainHook[] = [];
    if (stops) hooks.push(stopHook(model, stops));
    if (options.checkpoint) {
      hooks.push(checkpointHook(model, options.checkpoint, { state, monitor }));
    }
    if (earlyStopping) {
      const { patience } = earlyStopping;
      hooks.push(earlyStoppingHook(model, { patience, keepBest }, { state, epochs }));
    }
    if (resumeDir) {
      const settings = { resumeDir, optimizer, monitor, keepBest, epochs };
      hooks.push(resumeStateHook(model, settings, state));
    }
    const batchesPerEpoch = options.batchesPerEpoch ?? finiteSize(train);
    hooks.push(callerHook({ ...options, epochs, batchesPerEpoch }, state));
    return { optimizer, epochs, monitor, source, state, hooks: new HookList(hooks) };
  } catch (e) {
    source.close();
    throw e;
  }
}

/** What `trainModel` returns, from the state it ended in and the stop that ended it, if any. */
export function trainResult(
  state: LoopState,
  stop?: { reason: StopReason; batches: number },
): TrainResult {
  const { history, bestEpoch, best, lastCheckpoint, stoppedEarly, initialEpoch } = state;
  return {
    history,
    bestEpoch,
    best,
    lastCheckpoint,
    stoppedEarly,
    initialEpoch,
    ...(stop ? { stopped: stop.reason, discardedBatches: stop.batches } : {}),
  };
}

/** A dataset's number of elements when tf.data knows it (finite and above 0). */
function finiteSize(dataset: tf.data.Dataset<tf.TensorContainer>): number | undefined {
  const size = dataset.size;
  return typeof size === "number" && Number.isFinite(size) && size > 0 ? size : undefined;
}
