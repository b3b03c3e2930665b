/**
 * The validation split of both families: by file, so windows of one piece never fall on both
 * sides, then a check that training still has a file longer than a window.
 *
 * @module
 */
import { mulberry32, shuffleInPlace } from "../random/random.ts";

/** Options for {@linkcode splitByFile}. */
export interface SplitByFileOptions {
  /**
   * Share of files held out for validation, 0 (none) to below 1. At least one file stays
   * in training; with two or more files and a fraction above 0, at least one is held out.
   * @default {0.1}
   */
  validationFraction?: number;
  /**
   * Seed for choosing the held-out files.
   * @default {0}
   */
  seed?: number;
}

/**
 * Splits files into training and validation sets by file, so windows of one piece are never
 * on both sides. The input array is not changed.
 *
 * @throws {Error} when `validationFraction` is outside [0, 1)
 */
export function splitByFile<T>(
  files: T[],
  options: SplitByFileOptions = {},
): { train: T[]; validation: T[] } {
  const fraction = options.validationFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new Error(`validationFraction: expected a number in [0, 1), got ${fraction}`);
  }
  const order = shuffleInPlace(files.map((_, i) => i), mulberry32(options.seed ?? 0));
  let held = Math.round(files.length * fraction);
  if (fraction > 0 && files.length >= 2) held = Math.max(1, held);
  held = Math.min(held, files.length - 1);
  const heldSet = new Set(order.slice(0, held));
  return {
    train: files.filter((_, i) => !heldSet.has(i)),
    validation: files.filter((_, i) => heldSet.has(i)),
  };
}

/** How {@linkcode splitForWindows} measures and names what it splits. */
export interface SplitForWindowsOptions<T> extends SplitByFileOptions {
  /** Length of a file in notes or tokens. */
  lengthOf: (file: T) => number;
  /** Items per window. */
  windowLength: number;
  /** The setting that holds `windowLength`, for the error message (`model.sequenceLength`). */
  setting: string;
  /** What the items are called (`notes`, `tokens`). */
  unit: string;
  /** Where the files came from, for the error message. */
  source: string;
}

/**
 * {@linkcode splitByFile}, then a check that some training file is longer than a window, and
 * the held-out files that are (shorter ones give no window). The input is not changed.
 *
 * @throws {Error} naming `options.setting` when no training file is longer than a window
 */
export function splitForWindows<T>(
  files: T[],
  options: SplitForWindowsOptions<T>,
): { train: T[]; validation: T[] } {
  const { lengthOf, windowLength, setting, unit } = options;
  const split = splitByFile(files, options);
  const longest = Math.max(0, ...split.train.map(lengthOf));
  if (longest <= windowLength) {
    throw new Error(
      `${setting}: windows of ${windowLength} ${unit} need a training file of at least ` +
        `${windowLength + 1} ${unit}, but the longest of the ${split.train.length} training ` +
        `file(s) from ${options.source} has ${longest}; lower ${setting} or add longer pieces`,
    );
  }
  return {
    train: split.train,
    validation: split.validation.filter((f) => lengthOf(f) > windowLength),
  };
}
