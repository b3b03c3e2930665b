/**
 * "Repeat and refine" as a loop: take a base config and lists of values for a few settings
 * (sequence length, batch size, learning rate, preset, ...), train one short seeded run per
 * combination, each in its own run folder, and compare them: final training and validation
 * loss, the best held-out loss against the n-gram yardstick, metrics of a generated sample,
 * the copy check, and time.
 *
 * @module
 */
import { join } from "node:path";
import {
  type ClassicConfig,
  type DeepPartial,
  resolveConfig,
  type RunConfig,
  type TutorialConfig,
} from "../config/config.ts";
import type { EpochInfo } from "../train/loop.ts";
import type { History } from "../train/resume.ts";
import { generateMusic, prepareData, readCorpus, trainRun } from "../workflow/workflow.ts";
import { compareWithBaselines, heldOutBaselines } from "../workflow/baselines.ts";
import { evaluateMusic, evaluationOptions } from "./evaluation.ts";
import { pieceMetrics } from "./metrics.ts";
import { writeJsonAtomic } from "../io/model_files.ts";

/** A base config and the values to try. */
export interface SweepSpec {
  /** Name of the sweep; runs go to `weights/sweeps/<name>/<label>/`. */
  name: string;
  /** Settings shared by every run (`family` picks the family; default tutorial). */
  base: DeepPartial<TutorialConfig> | DeepPartial<ClassicConfig>;
  /**
   * Values to try, by dotted setting path, e.g. `{"model.sequenceLength": [16, 32],
   * "model.learningRate": [0.005, 0.001]}`; every combination is run.
   */
  grid: Record<string, unknown[]>;
}

/** One finished run of a sweep. */
export interface SweepRow {
  /** Short label naming the values, e.g. `sequenceLength=16,learningRate=0.005`. */
  run: string;
  /** Final (best-epoch) training loss. */
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
  /** `100 * (1 - bestHeldOut / ngram)`: percent under the n-gram (negative: over it). */
  underNgramPct: number | null;
  /** Epochs trained. */
  epochs: number;
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
 * Runs every combination of `spec.grid` over `spec.base`, one seeded run each, and measures
 * each: best training and validation loss, a generated sample's metrics and copy check, time.
 * Each run keeps its own folder; a summary is written to `<rootDir>/<name>/summary.json`.
 *
 * @throws {Error} naming the setting when a combination gives an invalid config (checked for
 *   all combinations before any training starts)
 */
export async function runSweep(
  spec: SweepSpec,
  options: RunSweepOptions = {},
): Promise<SweepResult> {
  const root = join(options.rootDir ?? join("weights", "sweeps"), spec.name);
  const combos = gridCombinations(spec.grid);
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
  const corpora = new Map<string, ReturnType<typeof readCorpus>>();
  for (const [i, { values, config }] of configs.entries()) {
    const name = label(values);
    await options.onRunStart?.(name, i + 1, configs.length);
    const t0 = performance.now();
    const key = `${config.family}:${JSON.stringify(config.data)}:${
      JSON.stringify(tokensOf(config))
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
      loss: h.loss[best],
      valLoss: h.val_loss?.[best] ?? null,
      bestHeldOut: versus?.best ?? null,
      ngram: baselines?.ngram.nats ?? null,
      underNgramPct: versus?.underNgramPercent ?? null,
      epochs: h.epoch.length,
      seconds: (performance.now() - t0) / 1000,
      entropyBits: metrics.pitchClassEntropyBits,
      scaleConsistency: metrics.scaleConsistency,
      repeatedNgrams: metrics.repeatedNgramRate,
      longestCopy: verdict.copy.longest.length,
      values,
      runDir,
    });
    histories[name] = h;
    run.model.dispose();
  }
  await Deno.mkdir(root, { recursive: true });
  await writeJsonAtomic(join(root, "summary.json"), {
    spec,
    quick: !!options.quick,
    rows,
    histories,
  });
  return { rows, histories };
}

function tokensOf(config: RunConfig): unknown {
  return config.family === "classic" ? config.tokens : null;
}
