/**
 * Seeded randomness without TensorFlow: the mulberry32 generator, seeds derived from a run's
 * one seed, the sampling rule and the seed window. The lesson, the engine and the rest of
 * `lib/` draw from here, so a seed repeats a run exactly.
 *
 * @module
 */
export * from "./random.ts";
export * from "./sampling.ts";
export * from "./seeds.ts";
