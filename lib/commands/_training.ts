/**
 * What the commands that train share: progress within an epoch on the terminal, and Ctrl-C
 * (SIGINT) to stop a run at the next batch instead of killing it.
 *
 * @module
 */
import { type BatchInfo, formatBatchProgress, type StopReason } from "../train/controls.ts";

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
