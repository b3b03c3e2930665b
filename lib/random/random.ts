/**
 * A small seeded pseudo-random generator (mulberry32), so every random choice in a run
 * (shuffles, seed windows, sampling, the bundled corpus) repeats exactly for the same seed.
 * Plain JavaScript: the lesson, the engine and the music code all draw from it.
 *
 * @module
 */

/**
 * Returns a generator of floats in [0, 1) driven by a 32-bit seed.
 *
 * @param seed any integer; the same seed gives the same sequence
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n) drawn from `random`. */
export function randomInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/** Shuffles `items` in place (Fisher-Yates) with `random` and returns the same array. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
