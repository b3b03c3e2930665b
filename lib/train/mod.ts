/**
 * The training loop with its checkpoint and early-stopping callbacks, the split by file, the
 * unigram baseline, and the steps both families share around a run folder (resume included).
 *
 * @module
 */
export * from "./accuracy.ts";
export * from "./baseline.ts";
export * from "./callbacks.ts";
export * from "./loop.ts";
export * from "./resume.ts";
export * from "./run_steps.ts";
export * from "./split.ts";
