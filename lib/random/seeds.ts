/**
 * Seeds derived from the run's one `seed`, so every random stream of a run (the shuffle of
 * epoch 3, the dropout masks of epoch 3, ...) is a function of `(seed, what, epoch)` alone
 * and a resumed run draws exactly what an uninterrupted one would.
 *
 * @module
 */
import { mulberry32 } from "./random.ts";

/** Tags that keep the streams derived from one seed apart. */
export const SEED_TAG = { shuffle: 1, dropout: 2 } as const;

/**
 * A 32-bit seed derived from `seed` and any number of integer parts (a stream tag, an epoch,
 * ...). Different parts give unrelated seeds; the same parts always give the same seed.
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (mulberry32(seed)() * 4294967296) >>> 0;
  for (const part of parts) {
    h = (mulberry32((h ^ Math.imul(part >>> 0, 0x9e3779b1)) >>> 0)() * 4294967296) >>> 0;
  }
  return h;
}
