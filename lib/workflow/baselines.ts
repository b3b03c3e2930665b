/**
 * The yardsticks of a run, for either family: what counting scores on the model's own
 * held-out labels (the unigram, and the n-gram whose order and smoothing are chosen on the
 * training files), and a plain verdict on whether the model beat them, with the likely
 * reasons when it did not.
 *
 * @module
 */
import type { RunConfig } from "../config/config.ts";
import type { HeldOutBaselines } from "../train/baseline.ts";
import { describeSmoothing } from "../train/ngram.ts";
import type { PreparedData } from "./workflow.ts";
import { familyNamed, familyOf } from "./families.ts";

/**
 * The unigram and n-gram cross-entropies of prepared data's held-out labels, the ones the
 * run records in `run.json` (`tutorialBaselines` / `classicBaselines`; computed once per
 * prepared data).
 *
 * @returns `null` when nothing is held out
 */
export function heldOutBaselines(prepared: PreparedData): HeldOutBaselines | null {
  return familyNamed(prepared.family).baselines(prepared.data);
}

/** What the yardsticks score, for a sentence: `"pitches"` or `"tokens"`. */
function labelsOf(baselines: HeldOutBaselines): string {
  return baselines.label === "pitch" ? "pitches" : "tokens";
}

/** `n-gram (4)`: the yardstick's name with its chosen order. */
export function ngramName(baselines: HeldOutBaselines): string {
  return `n-gram (${baselines.ngram.order})`;
}

/**
 * One line naming both yardsticks, e.g. `yardsticks for val_pitch_loss (held-out pitches,
 * nats): unigram 2.7400, n-gram (4) 1.8740 (modified Kneser-Ney; order and smoothing chosen
 * on the training files)`.
 */
export function describeBaselines(baselines: HeldOutBaselines): string {
  return `yardsticks for ${baselines.compareWith} (held-out ${labelsOf(baselines)}, nats): ` +
    `unigram ${baselines.unigram.toFixed(4)}, ${ngramName(baselines)} ` +
    `${baselines.ngram.nats.toFixed(4)} (${describeSmoothing(baselines.ngram.smoothing)}; ` +
    "order and smoothing chosen on the training files)";
}

/**
 * The yardsticks as named reference lines for the loss figure (`lossFigure`'s `baselines`
 * option): the n-gram first, then the unigram, each named with the series it compares with.
 */
export function baselineLines(baselines: HeldOutBaselines): Array<{ name: string; value: number }> {
  return [
    { name: `${ngramName(baselines)}, ${baselines.compareWith}`, value: baselines.ngram.nats },
    { name: `unigram, ${baselines.compareWith}`, value: baselines.unigram },
  ];
}

/** Options for {@linkcode compareWithBaselines}. */
export interface BaselineComparisonOptions {
  /** The run's config (its `model.input` is one of the reasons given). */
  config: RunConfig;
  /** Training windows of the run (too few is one of the reasons given). */
  trainWindows: number;
  /**
   * Below this many training windows, too little data is given as a likely reason.
   * @default {100000}
   */
  fewWindows?: number;
}

/** How a run's best held-out loss compares with its yardsticks. */
export interface BaselineComparison {
  /** The history series compared (`val_pitch_loss` or `val_loss`). */
  compareWith: HeldOutBaselines["compareWith"];
  /** Lowest value of that series (`null` when the history has none). */
  best: number | null;
  /** Epoch (1-based) of `best` (`null` with it). */
  bestEpoch: number | null;
  /** Epochs in the history. */
  epochs: number;
  /** `100 * (1 - best / ngram)`: percent under the n-gram (negative: over it). */
  underNgramPercent: number | null;
  /** `100 * (1 - best / unigram)`: percent under the unigram (negative: over it). */
  underUnigramPercent: number | null;
  /** Whether `best` is below the n-gram's cross-entropy (`null` without `best`). */
  beatsNgram: boolean | null;
  /** Likely reasons the model did not beat the n-gram (empty when it did). */
  reasons: string[];
  /** The comparison for people, one sentence a line (reasons indented). */
  lines: string[];
}

function percentText(under: number, name: string): string {
  return under >= 0
    ? `${under.toFixed(1)}% under the ${name}`
    : `${(-under).toFixed(1)}% over the ${name}`;
}

/**
 * Compares the best value of the history's `baselines.compareWith` series with the unigram
 * and the n-gram, and, when the model does not beat the n-gram, says so plainly with the
 * likely reasons that apply to this run: too few epochs (it was still improving at its last
 * epoch), or else overfitting (it stopped improving earlier); too little data (fewer than
 * `fewWindows` training windows); the scaled encoding (`model.input: "scaled"`).
 *
 * @param history losses per epoch, as training records them (not changed)
 */
export function compareWithBaselines(
  baselines: HeldOutBaselines,
  history: Readonly<Record<string, readonly number[]>>,
  options: BaselineComparisonOptions,
): BaselineComparison {
  const { compareWith, label } = baselines;
  const labels = labelsOf(baselines);
  const series = history[compareWith] ?? [];
  const ngram = baselines.ngram.nats;
  const name = ngramName(baselines);
  const yardsticks = `${name} ${ngram.toFixed(4)}, unigram ${baselines.unigram.toFixed(4)}`;
  if (series.length === 0) {
    return {
      compareWith,
      best: null,
      bestEpoch: null,
      epochs: 0,
      underNgramPercent: null,
      underUnigramPercent: null,
      beatsNgram: null,
      reasons: [],
      lines: [`no ${compareWith} in the history to compare with the ${yardsticks}`],
    };
  }
  let at = 0;
  series.forEach((v, i) => {
    if (v < series[at]) at = i;
  });
  const best = series[at];
  const underNgram = 100 * (1 - best / ngram);
  const underUnigram = 100 * (1 - best / baselines.unigram);
  const beats = best < ngram;
  const head = `best ${compareWith} ${best.toFixed(4)} at epoch ${at + 1}: ` +
    `${percentText(underNgram, `${name} ${ngram.toFixed(4)}`)}, ` +
    `${percentText(underUnigram, `unigram ${baselines.unigram.toFixed(4)}`)}`;
  const reasons: string[] = [];
  if (!beats) {
    const { config } = options;
    if (at === series.length - 1) {
      reasons.push(
        `too few epochs: ${compareWith} was still falling at the last epoch (${series.length}); ` +
          "train longer (train.epochs, --epochs)",
      );
    } else {
      reasons.push(
        `overfitting: ${compareWith} stopped improving at epoch ${at + 1} of ${series.length}, ` +
          "so more epochs alone will not help",
      );
    }
    if (options.trainWindows < (options.fewWindows ?? 100_000)) {
      reasons.push(
        `too little data: ${options.trainWindows} training windows; an LSTM needs many more ` +
          "examples than counting does (a larger corpus: data.dir, --data)",
      );
    }
    if (config.model.input === "scaled") {
      const scaled = familyOf(config).scaledInput(config);
      reasons.push(
        `the scaled encoding: model.input "scaled" feeds each ${label} as one number ` +
          `(${scaled}), so neighbouring numbers look alike to the model though the ${labels} ` +
          `are unrelated; model.input "embedding" gives each ${label} its own learned vector`,
      );
    }
  }
  const lines = beats ? [head] : [
    `${head}: the model predicts the held-out ${labels} worse than counting ` +
    `${baselines.ngram.order}-grams of the training files does.`,
    "likely reasons:",
    ...reasons.map((r) => `  - ${r}`),
  ];
  return {
    compareWith,
    best,
    bestEpoch: at + 1,
    epochs: series.length,
    underNgramPercent: underNgram,
    underUnigramPercent: underUnigram,
    beatsNgram: beats,
    reasons,
    lines,
  };
}
