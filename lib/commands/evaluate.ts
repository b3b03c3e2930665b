/**
 * `deno task evaluate`: measures a MIDI file (typically a generated one) and, given the
 * training folder, sets its metrics beside the corpus's and checks it for copied passages.
 * Prints one JSON object.
 *
 * ```
 * deno task evaluate FILE.mid [--against DIR] [--family tutorial|classic] [--n 4,8,16]
 *                    [--flag-span 16] [--bpm B] [--with-step] [--step-grid 0.125]
 * ```
 *
 * - `--family tutorial` (default) compares pitch sequences (with `--with-step`, pitch and
 *   step rounded to `--step-grid` seconds); `classic` compares note/chord tokens and adds
 *   token metrics.
 * - `--n` lists the n-gram lengths for the overlap shares (the first one is also the n of
 *   the repeated-n-gram metric); `--flag-span` is the copied span length (in symbols) that
 *   flags the file.
 * - When the file itself lies in the `--against` folder it is part of the corpus and finds
 *   itself (`corpus.fileInCorpus` says so).
 * - Beats for the empty-beat rate follow each file's first tempo (120 bpm when it has
 *   none) unless `--bpm` is given.
 *
 * Exit status: 0 on success, 2 for a usage error, 1 when a file or folder cannot be read.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import {
  listMidiFiles,
  midiToNotes,
  type Note,
  parseMidi,
  type SkippedFile,
} from "../music/midi.ts";
import { midiToTokens } from "../music/tokens.ts";
import { FAMILY_UNITS } from "../config/config.ts";
import {
  corpusMetrics,
  corpusTokenMetrics,
  metricsTable,
  pieceMetrics,
  tokenMetrics,
} from "../judge/metrics.ts";
import {
  buildCopyIndex,
  copyCheck,
  type CopySymbol,
  noteCopySequence,
} from "../judge/copy_check.ts";

const USAGE = "deno task evaluate FILE.mid [--against DIR] [--family tutorial|classic] " +
  "[--n 4,8,16] [--flag-span 16] [--bpm B] [--with-step] [--step-grid 0.125]";

function usageError(message: string): never {
  console.error(`${message}\nusage: ${USAGE}`);
  Deno.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      against: { type: "string" },
      family: { type: "string", default: "tutorial" },
      n: { type: "string", default: "4,8,16" },
      "flag-span": { type: "string", default: "16" },
      bpm: { type: "string" },
      "with-step": { type: "boolean", default: false },
      "step-grid": { type: "string", default: "0.125" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (e) {
  usageError((e as Error).message);
}
const { values: args, positionals } = parsed;

if (args.help) {
  console.log(USAGE);
  Deno.exit(0);
}
if (positionals.length !== 1) {
  usageError(`expected one MIDI file, got ${positionals.length} arguments`);
}
const family = args.family;
if (family !== "tutorial" && family !== "classic") {
  usageError(`--family: expected "tutorial" or "classic", got "${family}"`);
}
/** The classic family's copy check and metrics read tokens; the tutorial family's, notes. */
const byTokens = FAMILY_UNITS[family].unit === "token";
const ns = args.n.split(",").map((s) => Number(s.trim()));
if (ns.length === 0 || ns.some((n) => !Number.isInteger(n) || n < 1)) {
  usageError(`--n: expected comma-separated integers >= 1 such as 4,8,16, got "${args.n}"`);
}
const flagSpan = Number(args["flag-span"]);
if (!Number.isInteger(flagSpan) || flagSpan < 1) {
  usageError(`--flag-span: expected an integer >= 1, got "${args["flag-span"]}"`);
}
const fixedBpm = args.bpm === undefined ? undefined : Number(args.bpm);
if (fixedBpm !== undefined && !(fixedBpm > 0)) {
  usageError(`--bpm: expected a positive number, got "${args.bpm}"`);
}
const stepGridSec = Number(args["step-grid"]);
if (!(stepGridSec > 0)) {
  usageError(`--step-grid: expected a positive number of seconds, got "${args["step-grid"]}"`);
}

/** One MIDI file read once into everything the evaluation needs. */
interface Piece {
  path: string;
  notes: Note[];
  tokens: string[];
  bpm: number;
  sequence: CopySymbol[];
}

function readPiece(path: string): Piece {
  const midi = parseMidi(Deno.readFileSync(path), path);
  const notes = midiToNotes(midi);
  const tokens = byTokens ? midiToTokens(midi) : [];
  const bpm = fixedBpm ?? midi.header.tempos[0]?.bpm ?? 120;
  const sequence = byTokens
    ? tokens
    : noteCopySequence(notes, { withStep: args["with-step"], stepGridSec });
  return { path, notes, tokens, bpm, sequence };
}

const seconds = (t0: number) => Number(((performance.now() - t0) / 1000).toFixed(3));

try {
  const tStart = performance.now();
  const file = positionals[0];
  const piece = readPiece(file);
  if (piece.notes.length === 0) throw new Error(`${file}: the first melodic track has no notes`);
  const metrics = pieceMetrics(piece.notes, { bpm: piece.bpm, n: ns[0] });
  const generatedTokenMetrics = byTokens ? tokenMetrics(piece.tokens, { n: ns[0] }) : undefined;
  const report: Record<string, unknown> = {
    file,
    family,
    bpm: piece.bpm,
    metrics,
    ...(generatedTokenMetrics ? { tokenMetrics: generatedTokenMetrics } : {}),
  };
  const timingSec: Record<string, number> = {};

  if (args.against !== undefined) {
    const dir = args.against;
    let t = performance.now();
    const pieces: Piece[] = [];
    const skipped: SkippedFile[] = [];
    const paths = listMidiFiles(dir);
    if (paths.length === 0) throw new Error(`--against ${dir}: no .mid or .midi files found`);
    for (const path of paths) {
      try {
        const p = readPiece(path);
        if (p.notes.length === 0) skipped.push({ path, reason: "no notes" });
        else pieces.push(p);
      } catch (e) {
        skipped.push({ path, reason: (e as Error).message.replace(`${path}: `, "") });
      }
    }
    if (pieces.length === 0) {
      throw new Error(`--against ${dir}: none of ${paths.length} MIDI files gave notes`);
    }
    timingSec.readCorpus = seconds(t);

    t = performance.now();
    const corpus = corpusMetrics(pieces.map((p) => p.notes), {
      n: ns[0],
      bpmOf: (i) => pieces[i].bpm,
    });
    const corpusTokens = byTokens
      ? corpusTokenMetrics(pieces.map((p) => p.tokens), { n: ns[0] })
      : undefined;
    timingSec.corpusMetrics = seconds(t);

    t = performance.now();
    const index = buildCopyIndex(pieces.map((p) => ({ name: p.path, sequence: p.sequence })));
    timingSec.buildIndex = seconds(t);
    t = performance.now();
    const check = copyCheck(index, piece.sequence, { ns, flagSpan });
    timingSec.copyCheck = seconds(t);

    const self = resolve(file);
    report.corpus = {
      dir,
      files: pieces.length,
      symbols: index.symbolCount,
      fileInCorpus: pieces.some((p) => resolve(p.path) === self),
      skipped,
      metrics: corpus,
      ...(corpusTokens ? { tokenMetrics: corpusTokens } : {}),
    };
    report.copyCheck = {
      symbols: byTokens
        ? "tokens"
        : args["with-step"]
        ? `pitch@step (step in units of ${stepGridSec} s)`
        : "pitches",
      ...check,
    };
    report.comparison = metricsTable({ corpus, generated: metrics });
    if (corpusTokens && generatedTokenMetrics) {
      report.tokenComparison = metricsTable({
        corpus: corpusTokens,
        generated: generatedTokenMetrics,
      });
    }
  }
  timingSec.total = seconds(tStart);
  report.timingSec = timingSec;
  console.log(JSON.stringify(report, null, 2));
} catch (e) {
  console.error((e as Error).message);
  Deno.exit(1);
}
