/**
 * Where a generated sequence falls into a loop. A generator that picks the next item from
 * the last `windowLength` items alone and without chance (argmax) gives the same next item
 * whenever the same window comes back, so from the first repeated window on it repeats
 * itself forever. {@linkcode findCycle} finds that first repeat.
 *
 * @module
 */

/** Options for {@linkcode findCycle}. */
export interface FindCycleOptions {
  /** Items the generator reads to choose the next one (the model's window). */
  windowLength: number;
}

/** A loop in a sequence, as {@linkcode findCycle} finds it. */
export interface Cycle {
  /** Index of the first item of the window that came back (its first occurrence). */
  start: number;
  /** Index at which the same window occurs again. */
  repeatAt: number;
  /** Items in one turn of the loop: `repeatAt - start`. */
  period: number;
  /** The items of one turn, starting at `start`. */
  loop: Array<string | number>;
}

/**
 * Finds the first window of `windowLength` consecutive items that occurs again later in
 * `items` (compared as whole windows). For an argmax generator everything from `start` on
 * repeats with `period`. The input is not changed.
 *
 * @param items the sequence, e.g. the seed window followed by the generated ids
 * @returns the earliest repeat (smallest `repeatAt`), or `null` when no window repeats
 * @throws {Error} naming `windowLength` when it is not a positive integer
 */
export function findCycle(
  items: readonly (string | number)[],
  options: FindCycleOptions,
): Cycle | null {
  const n = options.windowLength;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`windowLength: expected a positive integer, got ${JSON.stringify(n)}`);
  }
  const seen = new Map<string, number>();
  for (let i = 0; i + n <= items.length; i++) {
    const key = JSON.stringify(items.slice(i, i + n));
    const first = seen.get(key);
    if (first !== undefined) {
      return { start: first, repeatAt: i, period: i - first, loop: items.slice(first, i) };
    }
    seen.set(key, i);
  }
  return null;
}
