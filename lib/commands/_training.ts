/**
 * What the commands that train share: the corpus read and prepared with its lines printed,
 * progress within an epoch on the terminal, Ctrl-C (SIGINT) to stop a run at the next batch
 * instead of killing it, and the lines that sum up a finished training.
 *
 * @module
 */
import type { RunConfig } from "../config/config.ts";
import { type BatchInfo, formatBatchProgress, type StopReason } from "../train/controls.ts";
import type { HeldOutBaselines } from "../train/baseline.ts";
import type { TrainResult } from "../train/loop.ts";
import {
  compareWithBaselines,
  describeBaselines,
  heldOutBaselines,
} from "../workflow/baselines.ts";
import {
  type Corpus,
  prepareData,
  type PreparedData,
  readCorpus,
  type Run,
  trainRun,
  windowCounts,
} from "../workflow/workflow.ts";
import { dataLines, formatEpochLine } from "./_format.ts";

/** Options for {@linkcode terminalProgress}. */
export interface TerminalProgressOptions {
  /**
   * Redraw one line in place (a terminal) rather than print lines (a pipe or a file).
   * @default {Deno.stdout.isTerminal()}
   */
  inPlace?: boolean;
  /**
   * In place: the least time between two redraws.
   * @default {100}
   */
  redrawMs?: number;
  /**
   * Printed lines: the least time between two (the run's first batch is always printed).
   * @default {15000}
   */
  lineMs?: number;
}

/** Progress on the terminal, made by {@linkcode terminalProgress}. */
export interface TerminalProgress {
  /** For `onBatchEnd`: redraws the bar, or prints a line now and then. */
  onBatchEnd(info: BatchInfo): void;
  /** Prints a line of its own (clearing the bar first), e.g. an epoch's summary. */
  log(line: string): void;
}

const encoder = new TextEncoder();

/**
 * Progress within an epoch: on a terminal a bar redrawn in place
 * (`epoch 2/10 [####----] batch 45/112  loss 1.2345  12 s, ~18 s left`); otherwise the same
 * line printed for the first batch of the run and then at most every `lineMs`, so a log
 * stays short.
 */
export function terminalProgress(options: TerminalProgressOptions = {}): TerminalProgress {
  const inPlace = options.inPlace ?? Deno.stdout.isTerminal();
  const every = inPlace ? options.redrawMs ?? 100 : options.lineMs ?? 15_000;
  let last = -Infinity;
  let drawn = false;
  const clear = () => {
    if (drawn) Deno.stdout.writeSync(encoder.encode("\r\x1b[2K"));
    drawn = false;
  };
  return {
    onBatchEnd(info) {
      const now = performance.now();
      if (now - last < every) return;
      last = now;
      if (!inPlace) {
        console.log(formatBatchProgress(info));
        return;
      }
      let line = formatBatchProgress(info);
      const columns = consoleColumns();
      if (columns && line.length >= columns) line = line.slice(0, columns - 1);
      clear();
      Deno.stdout.writeSync(encoder.encode(line));
      drawn = true;
    },
    log(line) {
      clear();
      console.log(line);
    },
  };
}

function consoleColumns(): number | undefined {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined;
  }
}

/** Ctrl-C as a stop request, made by {@linkcode stopOnCtrlC}. */
export interface CtrlCStop {
  /** Aborted at the first Ctrl-C: pass it to the training as its `signal`. */
  signal: AbortSignal;
  /** Removes the handler: Ctrl-C ends the process again. */
  dispose(): void;
}

/**
 * Turns the first Ctrl-C (SIGINT) into a stop at the next batch: aborts `signal` and calls
 * `onStop` (e.g. to print what happens). A second Ctrl-C ends the process at once (status
 * 130, as a shell reports SIGINT).
 */
export function stopOnCtrlC(onStop: () => void): CtrlCStop {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort(new Error("Ctrl-C"));
    onStop();
  };
  Deno.addSignalListener("SIGINT", handler);
  return {
    signal: controller.signal,
    dispose: () => Deno.removeSignalListener("SIGINT", handler),
  };
}

/** What stopped a run, for a sentence: "Ctrl-C", "the time budget (train.maxMinutes 30)", ... */
export function describeStop(reason: StopReason, maxMinutes: number | null): string {
  if (reason === "signal") return "Ctrl-C";
  if (reason === "time") return `the time budget (train.maxMinutes ${maxMinutes})`;
  return "the stop file";
}

/** The corpus of a run and its training data, made by {@linkcode readAndPrepare}. */
export interface PreparedCorpus {
  corpus: Corpus;
  prepared: PreparedData;
  /** The held-out yardsticks (`null` without held-out data). */
  baselines: HeldOutBaselines | null;
}

/**
 * Reads the config's corpus and prepares its training data, printing what was read and
 * prepared and, with held-out data, the yardsticks the training is compared with.
 */
export function readAndPrepare(config: RunConfig): PreparedCorpus {
  const corpus = readCorpus(config);
  const prepared = prepareData(config, corpus);
  for (const line of dataLines(config, corpus, prepared)) console.log(line);
  const baselines = heldOutBaselines(prepared);
  if (baselines != null) console.log(describeBaselines(baselines));
  return { corpus, prepared, baselines };
}

/** Options for {@linkcode trainOnTerminal}. */
export interface TrainOnTerminalOptions {
  /** The run folder. */
  runDir: string;
  /** Data from `prepareData`. */
  prepared: PreparedData;
  /**
   * Continue the run in `runDir` from its last finished epoch.
   * @default {false}
   */
  resume?: boolean;
  /** The line printed at the first Ctrl-C. */
  ctrlCLine: string;
}

/** A training run on the terminal, made by {@linkcode trainOnTerminal}. */
export interface TerminalTraining {
  run: Run & { result: TrainResult };
  /** The progress the training printed to, for the lines that follow it. */
  progress: TerminalProgress;
}

/**
 * Trains the config's run with progress on the terminal ({@linkcode terminalProgress}): a
 * line per epoch and per lock taken over, and Ctrl-C stopping it at the next batch
 * ({@linkcode stopOnCtrlC}, printing `ctrlCLine`).
 *
 * @throws {Error} as `trainRun`
 */
export async function trainOnTerminal(
  config: RunConfig,
  options: TrainOnTerminalOptions,
): Promise<TerminalTraining> {
  const progress = terminalProgress();
  const ctrlC = stopOnCtrlC(() => progress.log(options.ctrlCLine));
  try {
    const run = await trainRun(config, {
      runDir: options.runDir,
      prepared: options.prepared,
      resume: options.resume,
      signal: ctrlC.signal,
      onBatchEnd: (info) => progress.onBatchEnd(info),
      onEpochEnd: (info) => progress.log(formatEpochLine(info)),
      onLockTakenOver: (message) => progress.log(message),
    });
    return { run, progress };
  } finally {
    ctrlC.dispose();
  }
}

/** The training's best epoch: `training: best val_loss 2.1234 at epoch 7`. */
export function bestEpochLine(config: RunConfig, result: TrainResult): string {
  return `training: best ${config.train.monitor} ${result.best.toFixed(4)} at epoch ${
    result.bestEpoch + 1
  }${result.stoppedEarly ? " (stopped early)" : ""}`;
}

/**
 * How the training's held-out losses compare with the yardsticks of `readAndPrepare` (no
 * lines without them).
 */
export function baselineComparisonLines(
  config: RunConfig,
  training: { result: TrainResult; prepared: PreparedData; baselines: HeldOutBaselines | null },
): string[] {
  const { result, prepared, baselines } = training;
  if (baselines == null) return [];
  return compareWithBaselines(baselines, result.history, {
    config,
    trainWindows: windowCounts(prepared).train,
  }).lines;
}
