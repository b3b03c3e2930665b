/**
 * The n-gram yardstick: a count model of the next label (a pitch, or a token id) given the
 * `order - 1` labels before it, with interpolated Kneser-Ney smoothing (optionally with a
 * Pitman-Yor strength, and counts capped per file), fitted on the training files' sequences
 * and scored on exactly the model's held-out labels. A model that does not beat it has
 * learnt less than counting does.
 *
 * ```ts
 * const result = ngramCrossEntropy(
 *   { train: [[60, 62, 64, 60, 62, 64]], heldOut: { sequences: [[60, 62, 64]], sequence: [0], position: [2] } },
 *   { classes: 128 },
 * );
 * // result.nats, result.order, result.smoothing
 * ```
 *
 * How it counts:
 * - Every position of every training sequence is a label; its context is the labels before it
 *   in the same sequence, never crossing into another file. A label with fewer than
 *   `order - 1` labels before it (the first notes of a file) is counted at the shorter
 *   orders only, and is predicted from the shorter context.
 * - The highest order counts how often each label follows each context; the lower orders
 *   count continuation counts (in how many distinct contexts one label longer a shorter
 *   n-gram occurs, the start of a file counting as one), as Kneser-Ney does.
 * - Each order interpolates with the one below it, order 1 with the uniform distribution over
 *   all `classes` labels:
 *   `p_k(w|h) = (c(h,w) - D(c) + (gamma(h) + strength) p_{k-1}(w|h')) / (c(h) + strength)`
 *   with `gamma(h)` the discounted mass, so every distribution sums to 1 over the whole label
 *   set and no label has probability 0. A `strength` above 0 (the concentration of a
 *   hierarchical Pitman-Yor model; 0 is interpolated Kneser-Ney) moves weight to the shorter
 *   contexts.
 * - Tunes repeat their own phrases, so an n-gram seen four times in one file says less about
 *   another file than one seen in four files: `perFile` caps how often one file counts it.
 * - {@linkcode selectNgram} chooses the order (1..5) and the smoothing on the training
 *   sequences alone: it fits on nine tenths of them and scores the other tenth (every tenth
 *   sequence), and on a small corpus the other tenths too, in turn (cross-validation by
 *   file). {@linkcode ngramCrossEntropy} then refits on every training sequence and scores
 *   the held-out labels. The held-out labels never choose anything.
 *
 * Contexts are keyed by numbers (`labels` in base `classes`), so `classes ** order` must stay
 * below 2^53: orders above that are left out of the choice (with 128 pitches every order up
 * to 5 fits, and so it does for vocabularies of up to 1,552 tokens).
 *
 * @module
 */

/**
 * How the counts are smoothed: `"kneser-ney"`, interpolated Kneser-Ney with one absolute
 * discount (0 < discount <= 1) at every order, or `"modified-kneser-ney"` (Chen and Goodman),
 * three discounts per order, for counts of 1, 2 and 3 or more, estimated from how many
 * n-grams occur once, twice, three and four times. Both take a `strength` and a `perFile` cap.
 */
export type NgramSmoothing =
  | { kind: "kneser-ney"; discount: number } & NgramSmoothingExtras
  | { kind: "modified-kneser-ney" } & NgramSmoothingExtras;

/** The settings every {@linkcode NgramSmoothing} takes. */
export interface NgramSmoothingExtras {
  /**
   * Added to every context's count and given to the shorter context (the Pitman-Yor
   * concentration): larger trusts long contexts less. At least 0.
   * @default {0}
   */
  strength?: number;
  /**
   * At most this many occurrences of one n-gram in one file are counted (1: the number of
   * files it occurs in); `null` counts every occurrence.
   * @default {null}
   */
  perFile?: number | null;
}

/** The orders {@linkcode selectNgram} chooses from by default. */
export const NGRAM_ORDERS: readonly number[] = [1, 2, 3, 4, 5];

/**
 * The smoothings {@linkcode selectNgram} chooses from by default: modified Kneser-Ney and
 * Kneser-Ney with discounts 0.6, 0.8 and 1, each with strengths 0, 1, 2, 4, 8 and 16, counting
 * every occurrence or one per file (48 in all).
 */
export const NGRAM_SMOOTHINGS: readonly NgramSmoothing[] = [null, 1].flatMap((perFile) =>
  [0, 1, 2, 4, 8, 16].flatMap((strength): NgramSmoothing[] => [
    { kind: "modified-kneser-ney", strength, perFile },
    ...[0.6, 0.8, 1].map((discount) => ({
      kind: "kneser-ney" as const,
      discount,
      strength,
      perFile,
    })),
  ])
);

/** One order's counts: n-gram counts, and per context their total and counts of counts. */
interface CountTable {
  /** Count of each n-gram, keyed by its labels in base `classes`, the last label lowest. */
  grams: Map<number, number>;
  /** Per context (the n-gram's key divided by `classes`): total, and n-grams seen 1, 2, 3+ times. */
  contexts: Map<number, ContextStats>;
  /** How many n-grams occur exactly 1, 2, 3 and 4 times (for the modified discounts). */
  countOfCounts: [number, number, number, number];
}

interface ContextStats {
  total: number;
  once: number;
  twice: number;
  more: number;
}

/** Counts of every order up to the highest counted, raw and (below it) continuation counts. */
interface NgramCounts {
  classes: number;
  /** `raw[k]`: how often each k-gram occurs (index 0 unused). */
  raw: CountTable[];
  /** `continuation[k]`: in how many distinct ways each k-gram is extended to the left. */
  continuation: CountTable[];
}

/** A fitted n-gram model, from {@linkcode fitNgram}. */
export interface NgramModel {
  /** Number of labels (128 pitches, or the vocabulary size). */
  readonly classes: number;
  /** Labels of context used, plus one. */
  readonly order: number;
  readonly smoothing: NgramSmoothing;
}

/** The counts and discounts behind each model {@linkcode fitNgram} made. */
const TABLES = new WeakMap<NgramModel, ModelTables>();

/** One order's counts as a model reads them, with the smoothing's discounts. */
interface Level {
  table: CountTable;
  discounts: Float64Array;
}

/**
 * The tables one model reads, per order from 1 up. A label's top level (the model's order, or
 * a lower one where its context is cut short) reads raw counts, the levels below it
 * continuation counts ({@linkcode levelAt}).
 */
interface ModelTables {
  /** Order k's raw counts at index k - 1, k up to the model's order. */
  raw: Level[];
  /** Order k's continuation counts at index k - 1, k below the model's order. */
  continuation: Level[];
  /** `classes ** k`. */
  power: Float64Array;
  /** The smoothing's strength. */
  strength: number;
}

/** Options for {@linkcode fitNgram}. */
export interface NgramFitOptions {
  /** Number of labels: every label is an integer in `0..classes-1`. */
  classes: number;
  /**
   * Labels of context plus one (1: the smoothed unigram).
   * @default {3}
   */
  order?: number;
  /**
   * How the counts are smoothed.
   * @default {{ kind: "modified-kneser-ney" }}
   */
  smoothing?: NgramSmoothing;
}

/** Held-out labels to score: label `i` is `sequences[sequence[i]][position[i]]`. */
export interface NgramLabelPositions {
  /** The sequences the labels and their contexts are read from (not changed). */
  sequences: readonly ArrayLike<number>[];
  /** Sequence of each label. */
  sequence: ArrayLike<number>;
  /** Position of each label in its sequence; its context is the labels before it. */
  position: ArrayLike<number>;
}

/** Options for {@linkcode ngramScore}. */
export interface NgramScoreOptions {
  /**
   * Labels of context a label may use at most (a model's window length): the context never
   * reaches further back than this.
   * @default {Infinity}
   */
  maxContext?: number;
}

/** Options for {@linkcode selectNgram} and {@linkcode ngramCrossEntropy}. */
export interface NgramSelectOptions {
  /** Number of labels: every label is an integer in `0..classes-1`. */
  classes: number;
  /**
   * Orders to choose from; those above `maxContext + 1`, or whose keys would pass 2^53, are
   * left out.
   * @default {NGRAM_ORDERS (1 to 5)}
   */
  orders?: readonly number[];
  /**
   * Smoothings to choose from.
   * @default {NGRAM_SMOOTHINGS (modified Kneser-Ney, and Kneser-Ney with discounts 0.6, 0.8 and 1)}
   */
  smoothings?: readonly NgramSmoothing[];
  /**
   * Labels of context the scored labels may use at most (the model's window length).
   * @default {Infinity}
   */
  maxContext?: number;
  /**
   * In the tuning sequences, only labels at this position or later are scored, as a model's
   * windows label only what follows a full window (all positions in a fold where no tuning
   * sequence is that long).
   * @default {maxContext when finite, else 0}
   */
  firstLabel?: number;
  /**
   * Folds of the training sequences are scored one after another (every tenth sequence
   * first, see {@linkcode selectNgram}) until this many labels have been scored or every
   * sequence has tuned once: a small corpus is cross-validated, a large one needs a slice.
   * @default {20000}
   */
  minTuningLabels?: number;
}

/** The setting {@linkcode selectNgram} chose, and how every candidate scored. */
export interface NgramSelection {
  order: number;
  smoothing: NgramSmoothing;
  /**
   * Cross-entropy (nats) of the chosen setting on the tuning slice of the training sequences
   * (`null` when the slice has no label).
   */
  tuningNats: number | null;
  /**
   * Labels scored in all tuning folds together (0 when there was none: then the lowest order
   * is chosen).
   */
  tuningLabels: number;
  /** Folds scored. */
  tuningFolds: number;
  /** Every candidate and its tuning cross-entropy, in the order tried. */
  candidates: Array<{ order: number; smoothing: NgramSmoothing; nats: number }>;
}

/** Training sequences and the held-out labels for {@linkcode ngramCrossEntropy}. */
export interface NgramData {
  /** Label sequences of the training files, one per file (not changed). */
  train: readonly ArrayLike<number>[];
  /** The held-out labels to score, the same ones the model is scored on. */
  heldOut: NgramLabelPositions;
}

/** What {@linkcode ngramCrossEntropy} measured. */
export interface NgramBaseline {
  /** Mean cross-entropy (nats) of the held-out labels. */
  nats: number;
  /** The chosen order (labels of context plus one). */
  order: number;
  /** The chosen smoothing. */
  smoothing: NgramSmoothing;
  /** The chosen setting's cross-entropy on the tuning slice of the training sequences. */
  tuningNats: number | null;
  /** Number of held-out labels scored. */
  labels: number;
}

const MAX_SAFE = 2 ** 53;

function checkClasses(classes: number, where: string): void {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`${where}: classes: expected a positive integer, got ${classes}`);
  }
}

function checkSmoothing(smoothing: NgramSmoothing, where: string): void {
  const strength = smoothing.strength ?? 0;
  if (!(strength >= 0 && Number.isFinite(strength))) {
    throw new Error(`${where}: smoothing.strength: expected a number >= 0, got ${strength}`);
  }
  const perFile = smoothing.perFile ?? null;
  if (perFile !== null && !(Number.isInteger(perFile) && perFile >= 1)) {
    throw new Error(
      `${where}: smoothing.perFile: expected a positive integer or null, got ${perFile}`,
    );
  }
  if (smoothing.kind === "kneser-ney") {
    if (!(smoothing.discount > 0 && smoothing.discount <= 1)) {
      throw new Error(
        `${where}: smoothing.discount: expected a number in (0, 1], got ${smoothing.discount}`,
      );
    }
  } else if (smoothing.kind !== "modified-kneser-ney") {
    throw new Error(
      `${where}: smoothing.kind: expected "kneser-ney" or "modified-kneser-ney", got ${
        JSON.stringify((smoothing as { kind: unknown }).kind)
      }`,
    );
  }
}

/** The highest order whose keys stay exact: `classes ** order <= 2^53`. */
function highestKeyedOrder(classes: number): number {
  let order = 1;
  while (order < 64 && classes ** (order + 1) <= MAX_SAFE) order++;
  return order;
}

function checkSequences(sequences: readonly ArrayLike<number>[], classes: number, where: string) {
  sequences.forEach((s, i) => {
    for (let p = 0; p < s.length; p++) {
      const y = s[p];
      if (!Number.isInteger(y) || y < 0 || y >= classes) {
        throw new Error(
          `${where}: sequence ${i}, position ${p}: expected a label in 0..${classes - 1}, got ${y}`,
        );
      }
    }
  });
}

function emptyTable(): CountTable {
  return { grams: new Map(), contexts: new Map(), countOfCounts: [0, 0, 0, 0] };
}

/** Fills each table's per-context statistics and counts of counts from its n-gram counts. */
function summarise(table: CountTable, classes: number): void {
  for (const [key, count] of table.grams) {
    const context = Math.floor(key / classes);
    let stats = table.contexts.get(context);
    if (stats === undefined) {
      stats = { total: 0, once: 0, twice: 0, more: 0 };
      table.contexts.set(context, stats);
    }
    stats.total += count;
    if (count === 1) stats.once++;
    else if (count === 2) stats.twice++;
    else stats.more++;
    if (count <= 4) table.countOfCounts[count - 1]++;
  }
}

/**
 * Counts every n-gram of orders 1..maxOrder inside each sequence (labels already checked),
 * at most `perFile` occurrences per sequence (`null`: all).
 */
function countNgrams(
  sequences: readonly ArrayLike<number>[],
  classes: number,
  maxOrder: number,
  perFile: number | null,
): NgramCounts {
  const raw = Array.from({ length: maxOrder + 1 }, emptyTable);
  const continuation = Array.from({ length: maxOrder }, emptyTable);
  const power = powers(classes, maxOrder);
  // The n-grams a file starts with: the file's start counts as one distinct left context.
  const starts = Array.from({ length: maxOrder + 1 }, () => new Set<number>());
  for (const s of sequences) {
    // Occurrences so far in this sequence, by order (only with a cap).
    const inFile = perFile === null
      ? null
      : Array.from({ length: maxOrder + 1 }, () => new Map<number, number>());
    for (let p = 0; p < s.length; p++) {
      let key = 0;
      for (let k = 1; k <= maxOrder && p - k + 1 >= 0; k++) {
        key += s[p - k + 1] * power[k - 1];
        if (inFile !== null) {
          const seen = inFile[k].get(key) ?? 0;
          inFile[k].set(key, seen + 1);
          if (seen >= perFile!) continue;
        }
        const grams = raw[k].grams;
        grams.set(key, (grams.get(key) ?? 0) + 1);
        if (p - k + 1 === 0) starts[k].add(key);
      }
    }
  }
  for (let k = 1; k < maxOrder; k++) {
    const grams = continuation[k].grams;
    for (const key of raw[k + 1].grams.keys()) {
      const rest = key % power[k];
      grams.set(rest, (grams.get(rest) ?? 0) + 1);
    }
    for (const key of starts[k]) grams.set(key, (grams.get(key) ?? 0) + 1);
  }
  for (let k = 1; k <= maxOrder; k++) {
    summarise(raw[k], classes);
    if (k < maxOrder) summarise(continuation[k], classes);
  }
  return { classes, raw, continuation };
}

function powers(classes: number, maxOrder: number): Float64Array {
  const power = new Float64Array(maxOrder + 1);
  power[0] = 1;
  for (let k = 1; k <= maxOrder; k++) power[k] = power[k - 1] * classes;
  return power;
}

/** Discounts for counts of 1, 2 and 3+ in one table. */
function discountsOf(table: CountTable, smoothing: NgramSmoothing): Float64Array {
  if (smoothing.kind === "kneser-ney") {
    const d = smoothing.discount;
    return Float64Array.of(d, d, d);
  }
  const [n1, n2, n3, n4] = table.countOfCounts;
  const y = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  const d1 = n1 > 0 ? 1 - 2 * y * n2 / n1 : 0.5;
  const d2 = n2 > 0 ? 2 - 3 * y * n3 / n2 : d1;
  const d3 = n3 > 0 ? 3 - 4 * y * n4 / n3 : d2;
  // Each discount stays positive (so every label keeps some probability) and at most the
  // count it is taken from (so no probability is negative).
  const clamp = (d: number, hi: number) => Math.min(hi, Math.max(0.05, d));
  return Float64Array.of(clamp(d1, 1), clamp(d2, 2), clamp(d3, 3));
}

/** The tables an order-`order` model reads: raw counts up to its order, continuation below. */
function modelTables(
  counts: NgramCounts,
  order: number,
  smoothing: NgramSmoothing,
): ModelTables {
  const level = (table: CountTable): Level => ({ table, discounts: discountsOf(table, smoothing) });
  return {
    raw: counts.raw.slice(1, order + 1).map(level),
    continuation: counts.continuation.slice(1, order).map(level),
    power: powers(counts.classes, order),
    strength: smoothing.strength ?? 0,
  };
}

/** The table and discounts level `k` of a label whose top level is `top` reads. */
function levelAt(tables: ModelTables, k: number, top: number): Level {
  return k === top ? tables.raw[k - 1] : tables.continuation[k - 1];
}

/** Discounted mass of a context: what its seen n-grams give to the shorter context. */
function gammaOf(stats: ContextStats, discounts: Float64Array): number {
  return discounts[0] * stats.once + discounts[1] * stats.twice + discounts[2] * stats.more;
}

/** One level's interpolation of an n-gram seen `count` times with the shorter order's `lower`. */
function interpolate(
  count: number,
  discounts: Float64Array,
  stats: ContextStats,
  gamma: number,
  strength: number,
  lower: number,
): number {
  const discount = count === 0
    ? 0
    : count === 1
    ? discounts[0]
    : count === 2
    ? discounts[1]
    : discounts[2];
  return (count - discount + (gamma + strength) * lower) / (stats.total + strength);
}

/**
 * Probability of `s[p]` given the `order - 1` labels before it (fewer when the sequence
 * starts sooner, or `maxContext` cuts it).
 */
function probabilityAt(
  model: NgramModel,
  s: ArrayLike<number>,
  p: number,
  maxContext: number,
): number {
  const tables = TABLES.get(model)!;
  const top = Math.min(model.order, p + 1, maxContext + 1);
  let prob = 1 / model.classes;
  // The level's context (the k - 1 labels before s[p]) keyed in base `classes`.
  let context = 0;
  for (let k = 1; k <= top; k++) {
    if (k > 1) context += s[p - k + 1] * tables.power[k - 2];
    const { table, discounts } = levelAt(tables, k, top);
    const stats = table.contexts.get(context);
    if (stats === undefined) continue;
    const count = table.grams.get(context * model.classes + s[p]) ?? 0;
    prob = interpolate(count, discounts, stats, gammaOf(stats, discounts), tables.strength, prob);
  }
  return prob;
}

function checkOrder(order: number, classes: number, where: string): void {
  const highest = highestKeyedOrder(classes);
  if (!Number.isInteger(order) || order < 1 || order > highest) {
    throw new Error(
      `${where}: order: expected an integer in 1..${highest} (for ${classes} classes), got ${order}`,
    );
  }
}

/**
 * Fits an n-gram model on label sequences, one per file: contexts never cross from one
 * sequence into the next.
 *
 * @param sequences labels per file, each in `0..classes-1` (not changed)
 * @throws {Error} when `classes` is not a positive integer, `order` is not an integer from 1
 *   to the highest that keys allow, the smoothing is not one of {@linkcode NgramSmoothing},
 *   or a label is out of range (naming the sequence and position)
 */
export function fitNgram(
  sequences: readonly ArrayLike<number>[],
  options: NgramFitOptions,
): NgramModel {
  const { classes } = options;
  const order = options.order ?? 3;
  const smoothing = options.smoothing ?? { kind: "modified-kneser-ney" };
  checkClasses(classes, "fitNgram");
  checkOrder(order, classes, "fitNgram");
  checkSmoothing(smoothing, "fitNgram");
  checkSequences(sequences, classes, "fitNgram");
  return modelOf(
    countNgrams(sequences, classes, order, smoothing.perFile ?? null),
    order,
    smoothing,
  );
}

function modelOf(counts: NgramCounts, order: number, smoothing: NgramSmoothing): NgramModel {
  const model: NgramModel = { classes: counts.classes, order, smoothing };
  TABLES.set(model, modelTables(counts, order, smoothing));
  return model;
}

/**
 * The model's distribution of the next label after `context` (its last `order - 1` labels are
 * used; fewer when it is shorter). It sums to 1, and no label has probability 0.
 *
 * @param context the labels so far, oldest first (not changed)
 * @returns `[classes]` probabilities
 * @throws {Error} when a context label is not in `0..classes-1`
 */
export function ngramDistribution(model: NgramModel, context: ArrayLike<number>): Float64Array {
  const used = Math.min(context.length, model.order - 1);
  const s = new Int32Array(used);
  for (let i = 0; i < used; i++) {
    const y = context[context.length - used + i];
    if (!Number.isInteger(y) || y < 0 || y >= model.classes) {
      throw new Error(
        `ngramDistribution: context[${context.length - used + i}]: expected a label in 0..${
          model.classes - 1
        }, got ${y}`,
      );
    }
    s[i] = y;
  }
  // As `probabilityAt` for every next label at once: each level's context is looked up once.
  const tables = TABLES.get(model)!;
  const top = used + 1;
  const out = new Float64Array(model.classes).fill(1 / model.classes);
  let key = 0;
  for (let k = 1; k <= top; k++) {
    if (k > 1) key += s[used - k + 1] * tables.power[k - 2];
    const { table, discounts } = levelAt(tables, k, top);
    const stats = table.contexts.get(key);
    if (stats === undefined) continue;
    const gamma = gammaOf(stats, discounts);
    const first = key * model.classes;
    for (let w = 0; w < model.classes; w++) {
      const count = table.grams.get(first + w) ?? 0;
      out[w] = interpolate(count, discounts, stats, gamma, tables.strength, out[w]);
    }
  }
  return out;
}

function checkLabels(labels: NgramLabelPositions, classes: number, where: string): void {
  const { sequences, sequence, position } = labels;
  if (sequence.length !== position.length) {
    throw new Error(
      `${where}: expected as many positions as sequence numbers, got ${position.length} and ` +
        `${sequence.length}`,
    );
  }
  if (sequence.length === 0) throw new Error(`${where}: expected held-out labels, got none`);
  const used = new Set<number>();
  for (let i = 0; i < sequence.length; i++) {
    const q = sequence[i];
    const p = position[i];
    if (!Number.isInteger(q) || q < 0 || q >= sequences.length) {
      throw new Error(
        `${where}: label ${i}: expected a sequence number in 0..${sequences.length - 1}, got ${q}`,
      );
    }
    if (!Number.isInteger(p) || p < 0 || p >= sequences[q].length) {
      throw new Error(
        `${where}: label ${i}: expected a position in 0..${
          sequences[q].length - 1
        } of sequence ${q}, got ${p}`,
      );
    }
    used.add(q);
  }
  checkSequences([...used].map((q) => sequences[q]), classes, where);
}

/**
 * Mean cross-entropy (nats) of the given labels under a fitted model, each predicted from the
 * labels before it in its sequence (at most `maxContext` of them).
 *
 * @throws {Error} when there are no labels, a sequence number or position is out of range,
 *   or a label is not in `0..classes-1`
 */
export function ngramScore(
  model: NgramModel,
  labels: NgramLabelPositions,
  options: NgramScoreOptions = {},
): number {
  checkLabels(labels, model.classes, "ngramScore");
  return meanNats(model, labels, options.maxContext ?? Infinity);
}

function meanNats(model: NgramModel, labels: NgramLabelPositions, maxContext: number): number {
  let sum = 0;
  for (let i = 0; i < labels.sequence.length; i++) {
    sum -= Math.log(
      probabilityAt(model, labels.sequences[labels.sequence[i]], labels.position[i], maxContext),
    );
  }
  return sum / labels.sequence.length;
}

/** Fitting and tuning sequences of one fold. */
interface TuningFold {
  fit: ArrayLike<number>[];
  tune: ArrayLike<number>[];
}

/**
 * The folds selection scores, in order: with `n >= 2` sequences, `min(10, n)` folds, fold `j`
 * tuning every sequence `i` with `i % folds === j` (the last fold first: every tenth sequence
 * from the tenth) and fitting on the others; a single sequence is one fold that fits its
 * first nine tenths and tunes the last tenth.
 */
function* tuningFolds(sequences: readonly ArrayLike<number>[]): Generator<TuningFold> {
  if (sequences.length === 1) {
    const s = Array.from(sequences[0]);
    const cut = Math.max(1, Math.floor(s.length * 0.9));
    yield { fit: [s.slice(0, cut)], tune: [s.slice(cut)] };
    return;
  }
  const folds = Math.min(10, sequences.length);
  for (let j = folds - 1; j >= 0; j--) {
    yield {
      fit: sequences.filter((_, i) => i % folds !== j),
      tune: sequences.filter((_, i) => i % folds === j),
    };
  }
}

function tuningLabels(tune: ArrayLike<number>[], firstLabel: number): NgramLabelPositions {
  const collect = (from: number) => {
    const sequence: number[] = [];
    const position: number[] = [];
    tune.forEach((s, q) => {
      for (let p = from; p < s.length; p++) {
        sequence.push(q);
        position.push(p);
      }
    });
    return { sequences: tune, sequence, position };
  };
  const labels = collect(firstLabel);
  return labels.sequence.length > 0 ? labels : collect(0);
}

/** The orders to try: the requested ones that `maxContext` and exact keys allow. */
function usableOrders(options: NgramSelectOptions, where: string): number[] {
  const requested = options.orders ?? NGRAM_ORDERS;
  const maxContext = options.maxContext ?? Infinity;
  if (!(maxContext >= 0)) {
    throw new Error(`${where}: maxContext: expected a number >= 0, got ${maxContext}`);
  }
  requested.forEach((order) => {
    if (!Number.isInteger(order) || order < 1) {
      throw new Error(`${where}: orders: expected positive integers, got ${order}`);
    }
  });
  const highest = Math.min(highestKeyedOrder(options.classes), maxContext + 1);
  const orders = [...new Set(requested)].filter((o) => o <= highest).sort((a, b) => a - b);
  if (orders.length === 0) {
    throw new Error(
      `${where}: orders: none of ${JSON.stringify(requested)} is at most ${highest} ` +
        `(maxContext ${maxContext}, ${options.classes} classes)`,
    );
  }
  return orders;
}

/**
 * Chooses the order and smoothing on training sequences alone, by cross-validation over
 * files: fits on all but every tenth sequence and scores every tenth, then (until
 * `minTuningLabels` labels are scored) the next tenth, up to ten folds (with a single
 * sequence: fits its first nine tenths and scores the last). Keeps the candidate with the
 * lowest cross-entropy over every label scored (the lower order, then the earlier smoothing,
 * on a tie). With nothing to score, the lowest order with the first smoothing.
 *
 * @param train labels per training file (not changed)
 * @throws {Error} as {@linkcode fitNgram}, when no training sequence is given, or when no
 *   requested order is usable
 */
export function selectNgram(
  train: readonly ArrayLike<number>[],
  options: NgramSelectOptions,
): NgramSelection {
  const { classes } = options;
  checkClasses(classes, "selectNgram");
  if (train.length === 0) throw new Error("selectNgram: expected training sequences, got none");
  checkSequences(train, classes, "selectNgram");
  const orders = usableOrders(options, "selectNgram");
  const smoothings = options.smoothings ?? NGRAM_SMOOTHINGS;
  if (smoothings.length === 0) {
    throw new Error("selectNgram: smoothings: expected at least one, got none");
  }
  smoothings.forEach((s) => checkSmoothing(s, "selectNgram"));
  const maxContext = options.maxContext ?? Infinity;
  const firstLabel = options.firstLabel ?? (Number.isFinite(maxContext) ? maxContext : 0);
  const minLabels = options.minTuningLabels ?? 20000;
  // Summed cross-entropy of every candidate (orders outer, smoothings inner) over the folds.
  const sums = new Float64Array(orders.length * smoothings.length);
  let scored = 0;
  let folds = 0;
  for (const { fit, tune } of tuningFolds(train)) {
    if (scored >= minLabels) break;
    const labels = tuningLabels(tune, firstLabel);
    if (labels.sequence.length === 0) continue;
    folds++;
    const countsByCap = new Map<number | null, NgramCounts>();
    const countsFor = (perFile: number | null) => {
      if (!countsByCap.has(perFile)) {
        countsByCap.set(perFile, countNgrams(fit, classes, orders[orders.length - 1], perFile));
      }
      return countsByCap.get(perFile)!;
    };
    const n = labels.sequence.length;
    orders.forEach((order, o) => {
      smoothings.forEach((smoothing, m) => {
        const counts = countsFor(smoothing.perFile ?? null);
        sums[o * smoothings.length + m] += n *
          meanNats(modelOf(counts, order, smoothing), labels, maxContext);
      });
    });
    scored += n;
  }
  if (scored === 0) {
    return {
      order: orders[0],
      smoothing: smoothings[0],
      tuningNats: null,
      tuningLabels: 0,
      tuningFolds: 0,
      candidates: [],
    };
  }
  const candidates: NgramSelection["candidates"] = [];
  let best = { order: orders[0], smoothing: smoothings[0], nats: Infinity };
  orders.forEach((order, o) => {
    smoothings.forEach((smoothing, m) => {
      const nats = sums[o * smoothings.length + m] / scored;
      candidates.push({ order, smoothing, nats });
      if (nats < best.nats - 1e-12) best = { order, smoothing, nats };
    });
  });
  return {
    order: best.order,
    smoothing: best.smoothing,
    tuningNats: best.nats,
    tuningLabels: scored,
    tuningFolds: folds,
    candidates,
  };
}

/**
 * The n-gram yardstick: chooses order and smoothing on the training sequences
 * ({@linkcode selectNgram}), refits the chosen model on all of them and scores the held-out
 * labels, each from at most `maxContext` labels before it.
 *
 * @throws {Error} as {@linkcode selectNgram} and {@linkcode ngramScore}
 */
export function ngramCrossEntropy(data: NgramData, options: NgramSelectOptions): NgramBaseline {
  checkClasses(options.classes, "ngramCrossEntropy");
  checkLabels(data.heldOut, options.classes, "ngramCrossEntropy: heldOut");
  const chosen = selectNgram(data.train, options);
  const model = modelOf(
    countNgrams(data.train, options.classes, chosen.order, chosen.smoothing.perFile ?? null),
    chosen.order,
    chosen.smoothing,
  );
  return {
    nats: meanNats(model, data.heldOut, options.maxContext ?? Infinity),
    order: chosen.order,
    smoothing: chosen.smoothing,
    tuningNats: chosen.tuningNats,
    labels: data.heldOut.sequence.length,
  };
}

/**
 * For people: `"modified Kneser-Ney"`, `"Kneser-Ney, discount 0.8, strength 4, each n-gram
 * counted once per file"`.
 */
export function describeSmoothing(smoothing: NgramSmoothing): string {
  const parts = [
    smoothing.kind === "kneser-ney"
      ? `Kneser-Ney, discount ${smoothing.discount}`
      : "modified Kneser-Ney",
  ];
  if (smoothing.strength) parts.push(`strength ${smoothing.strength}`);
  const perFile = smoothing.perFile ?? null;
  if (perFile !== null) {
    parts.push(
      perFile === 1
        ? "each n-gram counted once per file"
        : `each n-gram counted at most ${perFile} times per file`,
    );
  }
  return parts.join(", ");
}
