/**
 * Judging a generated piece against the corpus it learnt from: the musical metrics of both
 * side by side, and the copy check (how much of the piece stands verbatim in a training
 * piece). Used by `05_generate` and the experiments notebook.
 *
 * @module
 */
import type { RunConfig } from "../config/config.ts";
import type { MidiFolder, Note } from "../music/midi.ts";
import type { TokenFolder } from "../music/tokens.ts";
import { familyNamed, familyOf } from "../workflow/families.ts";
import { corpusMetrics, metricsTable, type MetricsTableRow, pieceMetrics } from "./metrics.ts";
import {
  buildCopyIndex,
  copyCheck,
  type CopyCheckResult,
  type CopySymbol,
  noteCopySequence,
} from "./copy_check.ts";

/** Options for {@linkcode evaluateMusic}. */
export interface EvaluateMusicOptions {
  /**
   * n-gram lengths of the overlap measure.
   * @default {[4, 8, 16]}
   */
  ns?: number[];
  /**
   * A copied span of this many notes (tutorial) or tokens (classic) or more flags the piece.
   * @default {16}
   */
  flagSpan?: number;
  /**
   * Tempo the metrics measure beats at (the run's `generate.bpm`).
   * @default {120}
   */
  bpm?: number;
  /**
   * Quarter notes between classic tokens when the corpus's tokens are played back (the run's
   * `generate.stepBeats`).
   * @default {0.5}
   */
  stepBeats?: number;
}

/** The verdict on one generated piece. */
export interface MusicEvaluation {
  /** Rows `{metric, corpus, corpus std, generated}` for a table. */
  table: MetricsTableRow[];
  /** n-gram overlap and the longest span copied from one training piece. */
  copy: CopyCheckResult;
  /** True when the longest copied span reaches `flagSpan`. */
  flagged: boolean;
  /** One line for people: the longest copied span and where it comes from. */
  summary: string;
}

/** What a piece and a corpus are for {@linkcode evaluateMusic}. */
export interface EvaluatedCorpus {
  family: "tutorial" | "classic";
  folder: MidiFolder | TokenFolder;
}

/**
 * Measures a generated piece against the corpus: metrics of the piece beside the corpus's
 * mean and spread, and the copy check over pitches (tutorial) or tokens (classic). For the
 * classic family the corpus is measured as its tokens sound with the config's fixed step,
 * the way the generated tokens are played (`evaluationOptions(config)` gives a run's tempo and
 * step). Nothing is changed.
 *
 * @throws {Error} when the piece has no notes
 */
export function evaluateMusic(
  music: { notes: Note[]; tokens?: string[] },
  corpus: EvaluatedCorpus,
  options: EvaluateMusicOptions = {},
): MusicEvaluation {
  const bpm = options.bpm ?? 120;
  const family = familyNamed(corpus.family);
  // The copy check compares the family's own steps: tokens, or pitches read off the notes.
  const byTokens = family.unit === "token";
  const symbolsOf = (p: { notes: Note[]; tokens?: string[] }): CopySymbol[] =>
    byTokens ? p.tokens ?? [] : noteCopySequence(p.notes);
  const pieces = family.judgePieces(corpus.folder, { bpm, stepBeats: options.stepBeats })
    .map((p) => ({ ...p, symbols: symbolsOf(p) }));
  const generated = symbolsOf(music);
  const table = metricsTable({
    corpus: corpusMetrics(pieces.map((p) => p.notes), { bpm }),
    generated: pieceMetrics(music.notes, { bpm }),
  });
  const index = buildCopyIndex(pieces.map((p) => ({ name: p.name, sequence: p.symbols })));
  const copy = copyCheck(index, generated, {
    ns: options.ns ?? [4, 8, 16],
    flagSpan: options.flagSpan ?? 16,
  });
  const unit = family.units;
  const { longest } = copy;
  const summary = longest.length === 0
    ? `nothing copied: no ${unit} sequence of the piece occurs in the corpus`
    : `longest copied span: ${longest.length} ${unit} (generated ${longest.generatedStart}..${
      longest.generatedStart + longest.length - 1
    }) from ${longest.source} at ${longest.sourceStart}` +
      (copy.flagged ? ` — FLAGGED: ${copy.flagSpan} or more ${unit} copied verbatim` : "");
  return { table, copy, flagged: copy.flagged, summary };
}

/** A run's tempo and classic step, as {@linkcode evaluateMusic} measures with them. */
export function evaluationOptions(config: RunConfig): EvaluateMusicOptions {
  return {
    bpm: config.generate.bpm,
    stepBeats: familyOf(config).fixedStepBeats(config),
  };
}
