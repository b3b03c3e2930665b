/**
 * Evaluation metrics for a piece of music: what pitches it uses, how tonal it is, how dense,
 * how polyphonic, how much of it is silence and how much it repeats itself. Computed the
 * same way for a generated piece and for every training piece, they can be set side by side
 * ({@linkcode corpusMetrics}, {@linkcode metricsTable}) to see whether the model's output
 * looks like the music it learnt from.
 *
 * Everything here is pure: plain note lists or token lists in, plain objects out; nothing
 * touches TensorFlow or the file system. Inputs are never changed.
 *
 * @module
 */
import type { Note } from "../music/midi.ts";
import { isChordToken } from "../music/tokens.ts";

/** Metrics of one piece given as notes. Times come from the notes, in seconds. */
export interface PieceMetrics {
  /** Number of notes. */
  noteCount: number;
  /** End of the last-sounding note, in seconds from 0. */
  durationSec: number;
  /** Lowest MIDI pitch. */
  pitchMin: number;
  /** Highest MIDI pitch. */
  pitchMax: number;
  /** `pitchMax - pitchMin`, in semitones. */
  pitchSpan: number;
  /** Number of different MIDI pitches used. */
  distinctPitches: number;
  /** Number of different pitch classes (0..12). */
  distinctPitchClasses: number;
  /** Shannon entropy of the 12-bin pitch-class histogram, in bits (0 to log2(12) ≈ 3.585). */
  pitchClassEntropyBits: number;
  /** Largest share of notes (0..1) that lie in one of the 24 major / natural-minor scales. */
  scaleConsistency: number;
  /** The scale that gives `scaleConsistency`, e.g. `"C major"`, `"A minor"`, `"Bb major"`. */
  scale: string;
  /** Mean number of notes sounding at each distinct onset (1 for a melody). */
  polyphony: number;
  /** Notes per second over `durationSec`. */
  notesPerSec: number;
  /** Share of beats (0..1), from 0 to `durationSec`, in which no note sounds. */
  emptyBeatRate: number;
  /** Share of pitch n-grams (0..1) that already occurred earlier in the piece. */
  repeatedNgramRate: number;
  /** Length of the longest run of one pitch repeated in consecutive notes (1 if none). */
  longestRepeatRun: number;
}

/** Metrics of one classic-family token sequence (see `lib/music/tokens.ts`). */
export interface TokenMetrics {
  /** Number of tokens. */
  tokenCount: number;
  /** Number of different tokens. */
  distinctTokens: number;
  /** Share of tokens (0..1) that are chords, such as `"0.4.7"`. */
  chordRate: number;
  /** Share of token n-grams (0..1) that already occurred earlier in the sequence. */
  repeatedNgramRate: number;
  /** Length of the longest run of one token repeated (1 if none, 0 for no tokens). */
  longestRepeatRun: number;
}

/** The numeric fields of {@linkcode PieceMetrics} (everything but `scale`). */
export type NumericPieceMetrics = Omit<PieceMetrics, "scale">;

/** Options for {@linkcode pieceMetrics} and {@linkcode corpusMetrics}. */
export interface PieceMetricsOptions {
  /**
   * Tempo that sets the beat length for `emptyBeatRate` (a beat lasts `60 / bpm` seconds).
   * @default {120}
   */
  bpm?: number;
  /**
   * Beat length in seconds; when given it replaces `bpm`.
   * @default {undefined}
   */
  beatSec?: number;
  /**
   * Length of the n-grams counted by `repeatedNgramRate`.
   * @default {4}
   */
  n?: number;
}

/** Options for {@linkcode tokenMetrics} and {@linkcode corpusTokenMetrics}. */
export interface TokenMetricsOptions {
  /**
   * Length of the n-grams counted by `repeatedNgramRate`.
   * @default {4}
   */
  n?: number;
}

/** Onsets closer than this (seconds) are one onset; ends this close to an onset have ended. */
const TIME_EPS_SEC = 1e-6;
/** Tolerance, in beats, when deciding which beats a note touches. */
const BEAT_EPS = 1e-6;

/** Pitch-class names used in scale names (sharps for C# and F#, flats otherwise). */
export const SCALE_TONIC_NAMES = [
  "C",
  "C#",
  "D",
  "Eb",
  "E",
  "F",
  "F#",
  "G",
  "Ab",
  "A",
  "Bb",
  "B",
] as const;

const SCALE_STEPS = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
} as const;

function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`n: expected an integer n-gram length >= 1, got ${n}`);
  }
}

function beatLengthSec(options: PieceMetricsOptions): number {
  if (options.beatSec !== undefined) {
    if (!(options.beatSec > 0)) {
      throw new Error(`beatSec: expected a positive number of seconds, got ${options.beatSec}`);
    }
    return options.beatSec;
  }
  const bpm = options.bpm ?? 120;
  if (!(bpm > 0)) throw new Error(`bpm: expected a positive number, got ${bpm}`);
  return 60 / bpm;
}

/** Share of n-grams whose key already occurred at an earlier position; 0 when there are none. */
function repeatedNgramShare(seq: readonly (string | number)[], n: number): number {
  const total = seq.length - n + 1;
  if (total <= 0) return 0;
  const seen = new Set<string>();
  let repeated = 0;
  for (let i = 0; i < total; i++) {
    const key = seq.slice(i, i + n).join("\u0000");
    if (seen.has(key)) repeated++;
    else seen.add(key);
  }
  return repeated / total;
}

/** Longest run of equal consecutive items; 0 for an empty sequence. */
function longestRun(seq: readonly (string | number)[]): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < seq.length; i++) {
    run = i > 0 && seq[i] === seq[i - 1] ? run + 1 : 1;
    if (run > best) best = run;
  }
  return best;
}

/** Entropy in bits of a histogram of counts. */
function entropyBits(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const c of counts) {
    if (c > 0) {
      const p = c / total;
      h -= p * Math.log2(p);
    }
  }
  return h + 0; // no -0
}

/**
 * The best of the 24 scales for a pitch-class histogram. Ties go to the scale whose tonic
 * occurs most often, then to major, then to the lower tonic (so a C major scale is "C major",
 * not "A minor", though both contain all its notes).
 */
function bestScale(pcCounts: readonly number[], total: number): { share: number; name: string } {
  let best = { inScale: -1, tonicCount: -1, name: "" };
  for (let tonic = 0; tonic < 12; tonic++) {
    for (const mode of ["major", "minor"] as const) {
      const inScale = SCALE_STEPS[mode].reduce<number>(
        (sum, s) => sum + pcCounts[(tonic + s) % 12],
        0,
      );
      const tonicCount = pcCounts[tonic];
      if (
        inScale > best.inScale || (inScale === best.inScale && tonicCount > best.tonicCount)
      ) {
        best = { inScale, tonicCount, name: `${SCALE_TONIC_NAMES[tonic]} ${mode}` };
      }
    }
  }
  return { share: best.inScale / total, name: best.name };
}

/** Mean number of notes sounding at each distinct onset. `sorted` is sorted by start. */
function meanPolyphony(sorted: readonly Note[]): number {
  let active: number[] = []; // ends of notes that began earlier
  let onsets = 0;
  let sum = 0;
  let i = 0;
  while (i < sorted.length) {
    const t = sorted[i].start;
    active = active.filter((end) => end > t + TIME_EPS_SEC);
    while (i < sorted.length && sorted[i].start <= t + TIME_EPS_SEC) {
      active.push(sorted[i].end);
      i++;
    }
    onsets++;
    sum += active.length;
  }
  return sum / onsets;
}

/** Share of beats in [0, durationSec) that no note touches. */
function emptyBeatShare(notes: readonly Note[], durationSec: number, beatSec: number): number {
  const beats = Math.max(0, Math.ceil(durationSec / beatSec - BEAT_EPS));
  if (beats === 0) return 0;
  const diff = new Int32Array(beats + 1);
  for (const note of notes) {
    const first = Math.min(beats - 1, Math.max(0, Math.floor(note.start / beatSec + BEAT_EPS)));
    const last = Math.min(beats - 1, Math.max(first, Math.ceil(note.end / beatSec - BEAT_EPS) - 1));
    diff[first]++;
    diff[last + 1]--;
  }
  let sounding = 0;
  let empty = 0;
  for (let b = 0; b < beats; b++) {
    sounding += diff[b];
    if (sounding === 0) empty++;
  }
  return empty / beats;
}

/**
 * Computes the metrics of one piece (see {@linkcode PieceMetrics} for each field). Notes may
 * come in any order; they are read in order of start, then pitch. A note with zero length
 * still sounds at its onset.
 *
 * @param notes the piece, times in seconds (not changed)
 * @throws {Error} when `notes` is empty, or `bpm`, `beatSec` or `n` is not valid
 */
export function pieceMetrics(
  notes: readonly Note[],
  options: PieceMetricsOptions = {},
): PieceMetrics {
  const n = options.n ?? 4;
  checkN(n);
  const beatSec = beatLengthSec(options);
  if (notes.length === 0) throw new Error("notes: expected at least one note, got 0");
  const sorted = [...notes].sort((a, b) => a.start - b.start || a.pitch - b.pitch);
  const pitches = sorted.map((note) => note.pitch);
  const pcCounts = new Array<number>(12).fill(0);
  for (const p of pitches) pcCounts[((Math.round(p) % 12) + 12) % 12]++;
  let pitchMin = Infinity;
  let pitchMax = -Infinity;
  let durationSec = 0;
  for (const note of sorted) {
    pitchMin = Math.min(pitchMin, note.pitch);
    pitchMax = Math.max(pitchMax, note.pitch);
    durationSec = Math.max(durationSec, note.end);
  }
  const scale = bestScale(pcCounts, notes.length);
  return {
    noteCount: notes.length,
    durationSec,
    pitchMin,
    pitchMax,
    pitchSpan: pitchMax - pitchMin,
    distinctPitches: new Set(pitches).size,
    distinctPitchClasses: pcCounts.filter((c) => c > 0).length,
    pitchClassEntropyBits: entropyBits(pcCounts),
    scaleConsistency: scale.share,
    scale: scale.name,
    polyphony: meanPolyphony(sorted),
    notesPerSec: durationSec > 0 ? notes.length / durationSec : 0,
    emptyBeatRate: emptyBeatShare(sorted, durationSec, beatSec),
    repeatedNgramRate: repeatedNgramShare(pitches, n),
    longestRepeatRun: longestRun(pitches),
  };
}

/**
 * Computes repetition metrics of a classic-family token sequence (see
 * {@linkcode TokenMetrics}): tokens are compared as whole strings, so `"C4"` and `"C5"`
 * differ and so do `"0.4.7"` and `"4.7"`.
 *
 * @param tokens the sequence, e.g. `["E4", "4.9", "C#5"]` (not changed)
 * @throws {Error} when `n` is not an integer >= 1
 */
export function tokenMetrics(
  tokens: readonly string[],
  options: TokenMetricsOptions = {},
): TokenMetrics {
  const n = options.n ?? 4;
  checkN(n);
  const chords = tokens.filter((t) => isChordToken(t)).length;
  return {
    tokenCount: tokens.length,
    distinctTokens: new Set(tokens).size,
    chordRate: tokens.length > 0 ? chords / tokens.length : 0,
    repeatedNgramRate: repeatedNgramShare(tokens, n),
    longestRepeatRun: longestRun(tokens),
  };
}

/** Mean and standard deviation of each metric over a corpus of pieces given as notes. */
export interface CorpusMetrics {
  /** Number of pieces measured. */
  pieceCount: number;
  /** Pieces passed over because they had no notes. */
  emptyCount: number;
  /** Mean of each numeric metric over the pieces. */
  mean: NumericPieceMetrics;
  /** Population standard deviation (divided by the count) of each numeric metric. */
  std: NumericPieceMetrics;
  /** How many pieces each best scale was found for, most frequent first. */
  scaleCounts: Record<string, number>;
}

/** Mean and standard deviation of each token metric over a corpus of token sequences. */
export interface CorpusTokenMetrics {
  /** Number of sequences measured. */
  pieceCount: number;
  /** Sequences passed over because they had no tokens. */
  emptyCount: number;
  /** Mean of each metric over the sequences. */
  mean: TokenMetrics;
  /** Population standard deviation (divided by the count) of each metric. */
  std: TokenMetrics;
}

/** Mean and population std of each numeric field over rows with the same keys. */
function summarize<T extends object>(rows: readonly T[], keys: readonly (keyof T)[]) {
  const mean = {} as Record<keyof T, number>;
  const std = {} as Record<keyof T, number>;
  for (const key of keys) {
    const values = rows.map((r) => r[key] as number);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    mean[key] = m;
    std[key] = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
  }
  return { mean, std };
}

/**
 * Measures every piece of a corpus with {@linkcode pieceMetrics} and gives the mean and
 * standard deviation of each numeric metric, plus how often each scale was the best fit.
 * Empty pieces are skipped and counted in `emptyCount`.
 *
 * @param pieces note lists, times in seconds (not changed)
 * @param options the same settings as {@linkcode pieceMetrics}; `options.bpmOf` may give a
 *   tempo per piece (by index), for pieces written at different tempos
 * @throws {Error} when no piece has notes, or a setting is invalid
 */
export function corpusMetrics(
  pieces: readonly (readonly Note[])[],
  options: CorpusMetricsOptions = {},
): CorpusMetrics {
  const rows: PieceMetrics[] = [];
  pieces.forEach((notes, i) => {
    if (notes.length === 0) return;
    const bpm = options.bpmOf?.(i) ?? options.bpm;
    rows.push(pieceMetrics(notes, { ...options, bpm }));
  });
  if (rows.length === 0) {
    throw new Error(`pieces: expected at least one piece with notes, got ${pieces.length} empty`);
  }
  const keys = (Object.keys(rows[0]) as (keyof PieceMetrics)[]).filter((k) => k !== "scale");
  const { mean, std } = summarize(rows, keys);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.scale, (counts.get(r.scale) ?? 0) + 1);
  const scaleCounts = Object.fromEntries(
    [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  );
  return {
    pieceCount: rows.length,
    emptyCount: pieces.length - rows.length,
    mean: mean as NumericPieceMetrics,
    std: std as NumericPieceMetrics,
    scaleCounts,
  };
}

/** Options for {@linkcode corpusMetrics}. */
export interface CorpusMetricsOptions extends PieceMetricsOptions {
  /**
   * Tempo of piece `i` for its beats; `undefined` from it falls back to `bpm` / `beatSec`.
   * @default {undefined}
   */
  bpmOf?: (index: number) => number | undefined;
}

/**
 * Measures every token sequence of a corpus with {@linkcode tokenMetrics} and gives the mean
 * and standard deviation of each metric. Empty sequences are skipped and counted.
 *
 * @param sequences token lists (not changed)
 * @throws {Error} when no sequence has tokens, or `n` is invalid
 */
export function corpusTokenMetrics(
  sequences: readonly (readonly string[])[],
  options: TokenMetricsOptions = {},
): CorpusTokenMetrics {
  const rows = sequences.filter((s) => s.length > 0).map((s) => tokenMetrics(s, options));
  if (rows.length === 0) {
    throw new Error(
      `sequences: expected at least one sequence with tokens, got ${sequences.length} empty`,
    );
  }
  const { mean, std } = summarize(rows, Object.keys(rows[0]) as (keyof TokenMetrics)[]);
  return {
    pieceCount: rows.length,
    emptyCount: sequences.length - rows.length,
    mean,
    std,
  };
}

/** Human-readable names of the metrics, with units, in table order. */
export const METRIC_LABELS: Readonly<Record<keyof PieceMetrics | keyof TokenMetrics, string>> = {
  noteCount: "notes",
  tokenCount: "tokens",
  distinctTokens: "distinct tokens",
  chordRate: "chord tokens (share)",
  durationSec: "length (s)",
  pitchMin: "lowest pitch (MIDI)",
  pitchMax: "highest pitch (MIDI)",
  pitchSpan: "pitch span (semitones)",
  distinctPitches: "distinct pitches",
  distinctPitchClasses: "distinct pitch classes",
  pitchClassEntropyBits: "pitch-class entropy (bits)",
  scaleConsistency: "scale consistency (share)",
  scale: "best scale",
  polyphony: "polyphony (notes per onset)",
  notesPerSec: "note density (notes/s)",
  emptyBeatRate: "empty beats (share)",
  repeatedNgramRate: "repeated n-grams (share)",
  longestRepeatRun: "longest repeated run",
};

/** One column of {@linkcode metricsTable}: one piece's metrics or a corpus summary. */
export type MetricsColumn =
  | PieceMetrics
  | TokenMetrics
  | CorpusMetrics
  | CorpusTokenMetrics;

/** One row of {@linkcode metricsTable}: the metric's label, then a cell per column. */
export type MetricsTableRow = { metric: string } & Record<string, string | number | null>;

/** Options for {@linkcode metricsTable}. */
export interface MetricsTableOptions {
  /**
   * Add a `"<name> std"` column after each corpus column.
   * @default {true}
   */
  std?: boolean;
  /**
   * Label of each row: human-readable (`"pitch span (semitones)"`) or the field name
   * (`"pitchSpan"`).
   * @default {"label"}
   */
  rowNames?: "label" | "key";
}

function isCorpus(c: MetricsColumn): c is CorpusMetrics | CorpusTokenMetrics {
  return "mean" in c && "std" in c;
}

/**
 * Lays metrics side by side as table rows, one row per metric that any column has, in the
 * order of {@linkcode METRIC_LABELS}. A corpus column shows the mean (and, by default, a
 * `"<name> std"` column the standard deviation); for `scale` it shows the most frequent best
 * scale. A missing metric is `null`. Ready for `showTable` in `lib/notebook/display.ts`. Inputs are
 * not changed.
 *
 * ```ts
 * const scale = [60, 62, 64, 65, 67].map((pitch, i) => ({
 *   pitch, start: i / 2, end: i / 2 + 0.5, step: i === 0 ? 0 : 0.5, duration: 0.5, velocity: 90,
 * }));
 * const corpus = corpusMetrics([scale, scale]);
 * const rows = metricsTable({ corpus, generated: pieceMetrics(scale) });
 * console.log(rows[0]); // { metric: "notes", corpus: 5, "corpus std": 0, generated: 5 }
 * ```
 *
 * @param columns column name to metrics, in column order
 */
export function metricsTable(
  columns: Readonly<Record<string, MetricsColumn>>,
  options: MetricsTableOptions = {},
): MetricsTableRow[] {
  const withStd = options.std ?? true;
  const entries = Object.entries(columns);
  const rows: MetricsTableRow[] = [];
  for (const [key, label] of Object.entries(METRIC_LABELS)) {
    const row: MetricsTableRow = { metric: options.rowNames === "key" ? key : label };
    let any = false;
    for (const [name, column] of entries) {
      if (isCorpus(column)) {
        if (key === "scale" && "scaleCounts" in column) {
          row[name] = Object.keys(column.scaleCounts)[0] ?? null;
          if (withStd) row[`${name} std`] = null;
          any = true;
          continue;
        }
        const mean = (column.mean as unknown as Record<string, number>)[key];
        const std = (column.std as unknown as Record<string, number>)[key];
        row[name] = mean ?? null;
        if (withStd) row[`${name} std`] = std ?? null;
        if (mean !== undefined) any = true;
      } else {
        const value = (column as unknown as Record<string, string | number>)[key];
        row[name] = value ?? null;
        if (value !== undefined) any = true;
      }
    }
    if (any) rows.push(row);
  }
  return rows;
}
