/**
 * `deno task corpus-stats`: what a folder of MIDI files gives each model family, as JSON:
 * files read and skipped (with reasons), notes and pitch range (tutorial) or tokens and
 * vocabulary size (classic), the 20 most frequent pitches or tokens, and the time taken.
 *
 * ```
 * deno run -A lib/commands/corpus_stats.ts DIR [--family tutorial|classic]
 *          [--instrument first-instrument|first-track|all-merged|N] [--max-files N] [--top N]
 * ```
 *
 * `--instrument` picks the tracks read from each file (see `InstrumentChoice` in
 * `lib/music/midi.ts`); by default the family's own: `first-instrument` for the classic
 * family (music21's grouping), `first-track` for the tutorial family.
 *
 * @module
 */
import {
  checkInstrumentChoice,
  type InstrumentChoice,
  loadMidiFolder,
  type SkippedFile,
} from "../music/midi.ts";
import { loadTokenFolder, pitchName } from "../music/tokens.ts";
import { buildVocabulary } from "../music/vocabulary.ts";
import { FAMILY_UNITS, resolveConfig } from "../config/config.ts";
import { parseCommandLine } from "./_format.ts";

/** Options for {@linkcode corpusStats}. */
export interface CorpusStatsOptions {
  /**
   * Which representation to count.
   * @default {"tutorial"}
   */
  family?: "tutorial" | "classic";
  /**
   * Tracks read from each file (see `InstrumentChoice` in `lib/music/midi.ts`); by default
   * the family's: `"first-instrument"` (classic) or `"first-track"` (tutorial).
   * @default {undefined}
   */
  instrument?: InstrumentChoice;
  /**
   * Read at most this many files.
   * @default {Infinity}
   */
  maxFiles?: number;
  /**
   * How many of the most frequent pitches or tokens to list.
   * @default {20}
   */
  top?: number;
}

/** The report printed by the command. */
export interface CorpusStats {
  dir: string;
  family: "tutorial" | "classic";
  /** The tracks read from each file. */
  instrument: InstrumentChoice;
  filesRead: number;
  filesSkipped: number;
  skipped: SkippedFile[];
  /** Tutorial: notes read. */
  notes?: number;
  /** Tutorial: lowest and highest MIDI pitch, with names. */
  pitchRange?: { min: number; max: number; minName: string; maxName: string };
  /** Tutorial: most frequent pitches. */
  topPitches?: Array<{ pitch: number; name: string; count: number }>;
  /** Classic: tokens read. */
  tokens?: number;
  /** Classic: distinct tokens. */
  vocabularySize?: number;
  /** Classic: most frequent tokens. */
  topTokens?: Array<{ token: string; count: number }>;
  /** Wall-clock seconds for reading and counting. */
  seconds: number;
}

function mostFrequent<T>(items: Iterable<T>, top: number): Array<[T, number]> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
}

/**
 * Reads a folder the way the chosen family does and counts what it gets.
 *
 * @throws {Error} naming the folder when it is missing, holds no MIDI files, or no file
 *   gives notes
 */
export function corpusStats(dir: string, options: CorpusStatsOptions = {}): CorpusStats {
  const t0 = performance.now();
  const family = options.family ?? "tutorial";
  const top = options.top ?? 20;
  const instrument = options.instrument ?? resolveConfig({ family }).data.instrument;
  const read = { instrument, maxFiles: options.maxFiles };
  const summary = (folder: { files: unknown[]; skipped: SkippedFile[] }) => ({
    dir,
    family,
    instrument,
    filesRead: folder.files.length,
    filesSkipped: folder.skipped.length,
    skipped: folder.skipped,
  });
  if (FAMILY_UNITS[family].unit === "token") {
    const folder = loadTokenFolder(dir, read);
    const lists = folder.files.map((f) => f.tokens);
    return {
      ...summary(folder),
      tokens: lists.reduce((n, l) => n + l.length, 0),
      vocabularySize: buildVocabulary(lists).size,
      topTokens: mostFrequent(lists.flat(), top).map(([token, count]) => ({ token, count })),
      seconds: (performance.now() - t0) / 1000,
    };
  }
  const folder = loadMidiFolder(dir, read);
  const pitches = folder.files.flatMap((f) => f.notes.map((n) => n.pitch));
  const min = pitches.reduce((a, b) => Math.min(a, b), Infinity);
  const max = pitches.reduce((a, b) => Math.max(a, b), -Infinity);
  return {
    ...summary(folder),
    notes: pitches.length,
    pitchRange: { min, max, minName: pitchName(min), maxName: pitchName(max) },
    topPitches: mostFrequent(pitches, top).map(([pitch, count]) => ({
      pitch,
      name: pitchName(pitch),
      count,
    })),
    seconds: (performance.now() - t0) / 1000,
  };
}

const USAGE = "deno run -A lib/commands/corpus_stats.ts DIR [--family tutorial|classic] " +
  "[--instrument first-instrument|first-track|all-merged|N] [--max-files N] [--top N]";

function main(): number {
  const { values: args, positionals } = parseCommandLine(
    {
      family: { type: "string", default: "tutorial" },
      instrument: { type: "string" },
      "max-files": { type: "string" },
      top: { type: "string", default: "20" },
    },
    USAGE,
    true,
  );
  if (positionals.length !== 1) {
    console.error(`expected one folder, got ${positionals.length}\n${USAGE}`);
    return 2;
  }
  if (args.family !== "tutorial" && args.family !== "classic") {
    console.error(`--family: expected "tutorial" or "classic", got "${args.family}"`);
    return 2;
  }
  const instrument = args.instrument !== undefined && /^\d+$/.test(args.instrument)
    ? Number(args.instrument)
    : args.instrument as InstrumentChoice | undefined;
  try {
    if (instrument !== undefined) checkInstrumentChoice(instrument, "--instrument");
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const numbers = { "--max-files": args["max-files"] ?? "1", "--top": args.top };
  for (const [flag, value] of Object.entries(numbers)) {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      console.error(`${flag}: expected a positive integer, got "${value}"`);
      return 2;
    }
  }
  try {
    const stats = corpusStats(positionals[0], {
      family: args.family,
      instrument,
      maxFiles: args["max-files"] ? Number(args["max-files"]) : undefined,
      top: Number(args.top),
    });
    console.log(JSON.stringify(stats, null, 2));
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}

if (import.meta.main) Deno.exit(main());
