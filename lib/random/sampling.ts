/**
 * The sampling rule both families share (temperature, top k, argmax) and the seeded choice of
 * the window generation starts from. Plain JavaScript, no TensorFlow.
 *
 * @module
 */
import { mulberry32, randomInt } from "./random.ts";

/**
 * How sharply a sampler follows the model: `"argmax"` always takes the most likely class (the
 * classic sources' choice); a number `T > 0` divides the logits by `T` before the softmax, so
 * below 1 keeps to likely classes and above 1 explores (1 samples the model's own distribution).
 */
export type Temperature = number | "argmax";

/** Options for {@linkcode sampleLogits}: the sampling rules both families share. */
export interface SampleOptions {
  /**
   * Logits are divided by this before the softmax; `"argmax"` takes the most likely class.
   * @default {1}
   */
  temperature?: Temperature;
  /**
   * Sample only among the `topK` most likely classes; `0` keeps all.
   * @default {0}
   */
  topK?: number;
  /**
   * Source of uniform numbers in [0, 1); exactly one is drawn per sample (none for argmax).
   * @default {Math.random}
   */
  random?: () => number;
}

/**
 * Checks a temperature: `"argmax"` or a finite number above 0.
 *
 * @throws {Error} naming `setting` and saying what arrived otherwise
 */
export function checkTemperature(temperature: unknown, setting = "temperature"): Temperature {
  if (temperature === "argmax") return temperature;
  if (typeof temperature === "number" && temperature > 0 && Number.isFinite(temperature)) {
    return temperature;
  }
  throw new Error(
    `${setting}: expected a number above 0 or "argmax", got ${JSON.stringify(temperature)}`,
  );
}

/**
 * Draws a class from logits: softmax of `logits / temperature` over the `topK` most likely
 * classes (all when 0), or the most likely class for `"argmax"` (the first one on a tie).
 *
 * @param logits `[classes]` unnormalised log-probabilities (not changed); `-Infinity` marks a
 *   class that can never be drawn
 * @returns the class index
 * @throws {Error} naming the setting when `temperature` or `topK` is invalid, and when
 *   `logits` is empty or every entry is `-Infinity`
 */
export function sampleLogits(logits: ArrayLike<number>, options: SampleOptions = {}): number {
  const temperature = checkTemperature(options.temperature ?? 1);
  const topK = options.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0) {
    throw new Error(`topK: expected an integer >= 0, got ${JSON.stringify(topK)}`);
  }
  if (logits.length === 0) throw new Error("logits: expected at least one class, got none");
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (logits[best] === -Infinity || Number.isNaN(logits[best])) {
    throw new Error("logits: expected at least one finite logit");
  }
  if (temperature === "argmax" || topK === 1) return best;
  // Softmax of logits / T over the kept classes, shifted by the largest for numerical
  // safety; a class left out (-Infinity, or outside the top k) weighs 0 and is never drawn.
  const n = logits.length;
  const weights = new Float64Array(n);
  const max = logits[best] / temperature;
  for (let i = 0; i < n; i++) {
    if (logits[i] > -Infinity) weights[i] = Math.exp(logits[i] / temperature - max);
  }
  if (topK > 0) {
    const ranked = Array.from({ length: n }, (_, i) => i).filter((i) => weights[i] > 0);
    if (topK < ranked.length) {
      ranked.sort((a, b) => logits[b] - logits[a] || a - b);
      for (const i of ranked.slice(topK)) weights[i] = 0;
    }
  }
  let total = 0;
  let last = best;
  for (let i = 0; i < n; i++) {
    total += weights[i];
    if (weights[i] > 0) last = i;
  }
  let r = (options.random ?? Math.random)() * total;
  for (let i = 0; i < n; i++) {
    r -= weights[i];
    if (r < 0 && weights[i] > 0) return i;
  }
  return last;
}

/** Options for {@linkcode pickSeedWindow}. */
export interface PickSeedWindowOptions {
  /**
   * Items in the window (the model's input length).
   * @default {100}
   */
  sequenceLength?: number;
  /**
   * Seed of the choice.
   * @default {0}
   */
  seed?: number;
  /**
   * What the items are called, for the error message (`notes`, `tokens`).
   * @default {"items"}
   */
  unit?: string;
}

/** A window of real data to start generation from. */
export interface SeedWindow<T> {
  /** The items (notes or token ids), oldest first (a copy). */
  window: T[];
  /** Which sequence (file) they come from. */
  file: number;
  /** Position of the first item in that sequence. */
  offset: number;
}

/**
 * Picks a seeded random window of `sequenceLength` consecutive items from one sequence, every
 * possible window of every sequence equally likely, as the sources start generation from a
 * random training window. Both families pick their seed window this way. The input is not
 * changed.
 *
 * @param sequences the items of each file (notes or token ids)
 * @throws {Error} naming `sequenceLength` when no sequence is long enough
 */
export function pickSeedWindow<T>(
  sequences: readonly (readonly T[])[],
  options: PickSeedWindowOptions = {},
): SeedWindow<T> {
  const sequenceLength = options.sequenceLength ?? 100;
  const starts = sequences.map((s) => Math.max(0, s.length - sequenceLength + 1));
  const total = starts.reduce((a, b) => a + b, 0);
  if (total === 0) {
    throw new Error(
      `sequenceLength: a seed window needs a piece of at least ${sequenceLength} ` +
        `${options.unit ?? "items"}, but the longest of the ${sequences.length} piece(s) has ` +
        `${Math.max(0, ...sequences.map((s) => s.length))}`,
    );
  }
  let pick = randomInt(mulberry32(options.seed ?? 0), total);
  let file = 0;
  while (pick >= starts[file]) pick -= starts[file++];
  return { window: sequences[file].slice(pick, pick + sequenceLength), file, offset: pick };
}
