/**
 * What the command-line tools share: argument checks that exit with a clear message, and the
 * lines they print.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { SkippedFile } from "../music/midi.ts";
import type { EpochInfo } from "../train/loop.ts";
import { FAMILY_UNITS, type RunConfig } from "../config/config.ts";
import {
  type Corpus,
  describeCorpus,
  type PreparedData,
  windowCounts,
} from "../workflow/workflow.ts";

/** Prints `error: <message>` and exits with status 2 (a usage or settings error). */
export function fail(message: string): never {
  console.error(`error: ${message}`);
  Deno.exit(2);
}

/** The flags a command declares (`help`/`-h` is added). */
type Flags = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `Deno.args` against `flags` plus `--help`/`-h`. Prints `usage` and exits 0 on
 * `--help`; exits via {@linkcode fail} with the parser's message and `usage` on an unknown or
 * malformed flag (or a positional argument where none is allowed).
 */
export function parseCommandLine<T extends Flags, P extends boolean = false>(
  flags: T,
  usage: string,
  allowPositionals?: P,
) {
  const options = { ...flags, help: { type: "boolean", short: "h", default: false } } as const;
  let parsed;
  try {
    parsed = parseArgs({ args: Deno.args, options, allowPositionals: allowPositionals ?? false });
  } catch (e) {
    fail(`${(e as Error).message}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    Deno.exit(0);
  }
  return parsed;
}

/**
 * Reads a numeric flag; `undefined` when it was not given. Exits via {@linkcode fail} naming
 * the flag when the value is not a number (or not an integer when `integer`).
 */
export function numberArg(
  name: string,
  value: string | undefined,
  integer = true,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    fail(`--${name}: expected ${integer ? "an integer" : "a number"}, got "${value}"`);
  }
  return n;
}

/** Lines describing the data of a run: the folder, skipped files, the windows. */
export function dataLines(config: RunConfig, corpus: Corpus, prepared: PreparedData): string[] {
  const windows = windowCounts(prepared);
  const unit = FAMILY_UNITS[config.family].units;
  const length = `${config.model.sequenceLength} ${unit}`;
  return [
    `data: ${config.data.dir}: ${describeCorpus(corpus)}`,
    ...formatSkipped(corpus.folder.skipped),
    `windows: ${windows.train} for training, ${windows.validation} for validation, of ${length}`,
  ];
}

/** One line per epoch: losses, throughput and whether a checkpoint was written. */
export function formatEpochLine(info: EpochInfo): string {
  const width = String(info.epochs).length;
  const logs = Object.entries(info.logs)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join("  ");
  const rate = info.samples / Math.max(info.seconds, 1e-9);
  let line = `epoch ${String(info.epoch + 1).padStart(width)}/${info.epochs}  ${logs}  ` +
    `${info.seconds.toFixed(1)} s (${rate.toFixed(0)} samples/s)`;
  if (info.checkpoint) line += `  saved ${info.checkpoint}`;
  if (info.stopped) line += "  early stop";
  return line;
}

/** Lines reporting skipped files (at most `max`, then a count of the rest). */
export function formatSkipped(skipped: SkippedFile[], max = 10): string[] {
  if (skipped.length === 0) return [];
  const lines = [`skipped ${skipped.length} file(s):`];
  for (const s of skipped.slice(0, max)) lines.push(`  ${s.path}: ${s.reason}`);
  if (skipped.length > max) lines.push(`  ... and ${skipped.length - max} more`);
  return lines;
}
