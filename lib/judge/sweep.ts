/**
 * "Repeat and refine" as a loop: take a base config and lists of values for a few settings
 * (sequence length, batch size, learning rate, preset, ...) or a list of chosen combinations,
 * train one short seeded run per combination, each in its own run folder (with
 * `train.maxMinutes` in the base, each under the same time budget), and compare them: final
 * training and validation loss, the best held-out loss against the n-gram and unigram
 * yardsticks, metrics of a generated sample, the copy check, and time.
 *
 * @module
 */
import { join } from "node:path";
import {
  type ClassicConfig,
  type DeepPartial,
  resolveConfig,
  type TutorialConfig,
} from "../config/config.ts";
import type { EpochInfo } from "../train/loop.ts";
import type { History } from "../train/resume.ts";
import type { HeldOutBaselines } from "../train/baseline.ts";
import type { StopReason } from "../train/controls.ts";
import { generateMusic, prepareData, readCorpus, trainRun } from "../workflow/workflow.ts";
import { compareWithBaselines, heldOutBaselines } from "../workflow/baselines.ts";
import { familyOf } from "../workflow/families.ts";
import { evaluateMusic, evaluationOptions } from "./evaluation.ts";
import { pieceMetrics } from "./metrics.ts";
import { writeJsonAtomic } from "../io/atomic_files.ts";

/** A base config and the values to try. */
export interface SweepSpec {
  /** Name of the sweep; runs go to `weights/sweeps/<name>/<label>/`. */
  name: string;
  /** Settings shared by every run (`family` picks the family; default tutorial). */
  base: DeepPartial<TutorialConfig> | DeepPartial<ClassicConfig>;
  /**
   * Values to try, by dotted setting path, e.g. `{"model.sequenceLength": [16, 32],
   * "model.learningRate": [0.005, 0.001]}`; every combination is run.
   * @default {{}} (no grid: only `runs`)
   */
  grid?: Record<string, unknown[]>;
  /**
   * Chosen combinations, run after the grid's, each a set of values by dotted setting path,
   * e.g. `[{"model.input": "scaled", "model.dropout": 0}, {"model.input": "embedding",
   * "model.dropout": 0.3}]`: for comparisons that are not a full grid.
   * @default {[]}
   */
  runs?: Record<string, unknown>[];
}

/** One finished run of a sweep. */
export interface SweepRow {
  /** Short label naming the values, e.g. `sequenceLength=16,learningRate=0.005`. */
  run: string;
  /** Final (best-epoch) training loss (NaN when no epoch finished). */
  loss: number;
  /** Final (best-epoch) validation loss, null without held-out files. */
  valLoss: number | null;
  /**
   * Lowest held-out loss in the units of the yardsticks: `val_pitch_loss` (tutorial) or
   * `val_loss` (classic); null without held-out files.
   */
  bestHeldOut: number | null;
  /** The n-gram yardstick on the same held-out labels (nats), null without held-out files. */
  ngram: number | null;
  /** The unigram yardstick on the same held-out labels (nats), null without held-out files. */
  unigram: number | null;
  /** `100 * (1 - bestHeldOut / ngram)`: percent under the n-gram (negative: over it). */
  underNgramPct: number | null;
  /** Epochs trained to the end (an epoch cut short by a stop is not counted). */
  epochs: number;
  /** Why training stopped before its last epoch (`"time"`: `train.maxMinutes`), else null. */
  stopped: StopReason | null;
  /** Seconds for training and generation. */
  seconds: number;
  /** Pitch-class entropy of the generated sample, bits. */
  entropyBits: number;
  /** Best share of the sample's notes in one major or minor scale. */
  scaleConsistency: number;
  /** Share of the sample's 4-grams that repeat earlier ones. */
  repeatedNgrams: number;
  /** Longest span of the sample copied verbatim from one training piece. */
  longestCopy: number;
  /** The values of the grid settings for this run. */
  values: Record<string, unknown>;
  /** Where the run's files are. */
  runDir: string;
}

/** What {@linkcode runSweep} returns. */
export interface SweepResult {
  rows: SweepRow[];
  /** Loss history of each run, by label. */
  histories: Record<string, History>;
  /**
   * The yardsticks of each run's held-out labels, by label (null without held-out files):
   * the same for runs whose data and windows are the same.
   */
  baselines: Record<string, HeldOutBaselines | null>;
}

/** Options for {@linkcode runSweep}. */
export interface RunSweepOptions {
  /**
   * Quick mode for every run (a few batches per epoch): to check a sweep before a long one.
   * @default {false}
   */
  quick?: boolean;
  /**
   * Folder the sweep's run folders go under.
   * @default {"weights/sweeps"}
   */
  rootDir?: string;
  /** Called before each run with its label, number (from 1) and the number of runs. */
  onRunStart?: (label: string, index: number, total: number) => void | Promise<void>;
  /** Called after each epoch of each run. */
  onEpochEnd?: (label: string, info: EpochInfo) => void | Promise<void>;
}

/**
 * The combinations a sweep runs: every combination of `spec.grid` (see
 * {@linkcode gridCombinations}), then each of `spec.runs`.
 *
 * @throws {Error} when a grid list is empty, a run is not an object of values, neither gives
 *   a combination, or two combinations get the same label (their run folders would clash)
 */
export function sweepCombinations(
  spec: Pick<SweepSpec, "grid" | "runs">,
): Record<string, unknown>[] {
  const fromGrid = spec.grid && Object.keys(spec.grid).length ? gridCombinations(spec.grid) : [];
  const runs = spec.runs ?? [];
  if (!Array.isArray(runs)) {
    throw new Error(`runs: expected a list of combinations, got ${JSON.stringify(runs)}`);
  }
  runs.forEach((r, i) => {
    if (!r || typeof r !== "object" || Array.isArray(r)) {
      throw new Error(
        `runs[${i}]: expected an object of values by setting path, got ${JSON.stringify(r)}`,
      );
    }
  });
  const combos = [...fromGrid, ...runs];
  if (combos.length === 0) {
    throw new Error("sweep: expected a grid or runs with at least one combination, got none");
  }
  const seen = new Set<string>();
  for (const c of combos) {
    const name = label(c);
    if (seen.has(name)) throw new Error(`sweep: two combinations share the label ${name}`);
    seen.add(name);
  }
  return combos;
}

/** Every combination of the grid's values, in order (the last setting varies fastest). */
export function gridCombinations(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [path, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new Error(
        `grid.${path}: expected a non-empty list of values, got ${JSON.stringify(values)}`,
      );
    }
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [path]: v })));
  }
  return combos;
}

/** Sets `value` at a dotted path in a copy of `target` (objects are copied along the path). */
function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split(".");
  const out = { ...target };
  let node = out;
  keys.slice(0, -1).forEach((k) => {
    const child = node[k];
    node[k] = child && typeof child === "object" ? { ...(child as object) } : {};
    node = node[k] as Record<string, unknown>;
  });
  node[keys[keys.length - 1]] = value;
  return out;
}

function label(values: Record<string, unknown>): string {
  return Object.entries(values).map(([k, v]) => `${k.split(".").pop()}=${v}`).join(",") || "base";
}

/**
 * Runs every combination of `spec.grid` and each of `spec.runs` over `spec.base`, one seeded
 * run each, and measures each: best training and validation loss, the best held-out loss
 * against the yardsticks, a generated sample's metrics and copy check, time. Each run keeps
 * its own folder; a summary is written to `<rootDir>/<name>/summary.json`.
 *
 * @throws {Error} naming the setting when a combination gives an invalid config (checked for
 *   all combinations before any training starts), or as {@linkcode sweepCombinations}
 */
export async function runSweep(
  spec: SweepSpec,
  options: RunSweepOptions = {},
): Promise<SweepResult> {
  const root = join(options.rootDir ?? join("weights", "sweeps"), spec.name);
  const combos = sweepCombinations(spec);
  const configs = combos.map((values) => {
    let overrides = spec.base as Record<string, unknown>;
    for (const [path, value] of Object.entries(values)) overrides = setPath(overrides, path, value);
    overrides = { ...overrides, run: `sweeps/${spec.name}/${label(values)}` };
    return {
      values,
      config: resolveConfig(overrides as DeepPartial<TutorialConfig>, { quick: options.quick }),
    };
  });
  const rows: SweepRow[] = [];
  const histories: Record<string, History> = {};
  const baselinesByRun: Record<string, HeldOutBaselines | null> = {};
  const corpora = new Map<string, ReturnType<typeof readCorpus>>();
  for (const [i, { values, config }] of configs.entries()) {
    const name = label(values);
    await options.onRunStart?.(name, i + 1, configs.length);
    const t0 = performance.now();
    const key = `${config.family}:${JSON.stringify(config.data)}:${
      JSON.stringify(familyOf(config).corpusSettings(config))
    }`;
    if (!corpora.has(key)) corpora.set(key, readCorpus(config));
    const corpus = corpora.get(key)!;
    const runDir = join(root, name);
    const prepared = prepareData(config, corpus);
    const run = await trainRun(config, {
      runDir,
      prepared,
      onEpochEnd: (info) => options.onEpochEnd?.(name, info),
    });
    const music = generateMusic(run, corpus);
    const verdict = evaluateMusic(music, corpus, evaluationOptions(config));
    const metrics = pieceMetrics(music.notes, { bpm: config.generate.bpm });
    const h = run.result.history;
    const best = run.result.bestEpoch;
    const baselines = heldOutBaselines(prepared);
    const versus = baselines &&
      compareWithBaselines(baselines, h, { config, trainWindows: prepared.data.train.count });
    rows.push({
      run: name,
      loss: h.loss?.[best] ?? NaN,
      valLoss: h.val_loss?.[best] ?? null,
      bestHeldOut: versus?.best ?? null,
      ngram: baselines?.ngram.nats ?? null,
      unigram: baselines?.unigram ?? null,
      underNgramPct: versus?.underNgramPercent ?? null,
      epochs: h.epoch.length,
      stopped: run.result.stopped ?? null,
      seconds: (performance.now() - t0) / 1000,
      entropyBits: metrics.pitchClassEntropyBits,
      scaleConsistency: metrics.scaleConsistency,
      repeatedNgrams: metrics.repeatedNgramRate,
      longestCopy: verdict.copy.longest.length,
      values,
      runDir,
    });
    histories[name] = h;
    baselinesByRun[name] = baselines;
    run.model.dispose();
  }
  await Deno.mkdir(root, { recursive: true });
  await writeJsonAtomic(join(root, "summary.json"), {
    spec,
    quick: !!options.quick,
    rows,
    histories,
    baselines: baselinesByRun,
  });
  return { rows, histories, baselines: baselinesByRun };
}

/**
 * The yardsticks every run of a sweep shares (runs on the same data, split and windows
 * share them): draw them once on the runs' curves of their `compareWith` series.
 *
 * @returns `null` when a run has none (nothing held out) or two runs' yardsticks differ
 *   (their windows differ, e.g. a grid over `model.sequenceLength`)
 */
export function sweepBaselines(
  result: Pick<SweepResult, "baselines">,
): HeldOutBaselines | null {
  const all = Object.values(result.baselines);
  if (all.length === 0 || all.some((b) => b === null)) return null;
  const first = JSON.stringify(all[0]);
  return all.every((b) => JSON.stringify(b) === first) ? all[0] : null;
}

/** Options for {@linkcode heldOutTable}. */
export interface HeldOutTableOptions {
  /**
   * Decimals of the losses.
   * @default {3}
   */
  digits?: number;
}

/**
 * A sweep's runs against their yardsticks, one table row per run: `run`, the best held-out
 * loss (named by the series the yardsticks compare with, e.g. `best val_pitch_loss`),
 * `n-gram`, `% under n-gram` (negative: over it), `unigram`, `epochs` trained to the end and
 * `seconds`. Losses are rounded to `digits` decimals, percentages and seconds to one; a value
 * a run lacks (nothing held out) is null. The result is not changed.
 */
export function heldOutTable(
  result: Pick<SweepResult, "rows" | "baselines">,
  options: HeldOutTableOptions = {},
): Record<string, string | number | null>[] {
  const digits = options.digits ?? 3;
  const round = (v: number | null, d: number) => v === null ? null : Number(v.toFixed(d));
  const series = Object.values(result.baselines).find((b) => b)?.compareWith;
  const best = series ? `best ${series}` : "best held-out";
  return result.rows.map((r) => ({
    run: r.run,
    [best]: round(r.bestHeldOut, digits),
    "n-gram": round(r.ngram, digits),
    "% under n-gram": round(r.underNgramPct, 1),
    unigram: round(r.unigram, digits),
    epochs: r.epochs,
    seconds: round(r.seconds, 1),
  }));
}
