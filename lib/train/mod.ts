/**
 * The training loop with its checkpoint and early-stopping callbacks, its stop and progress
 * controls, the windowing both families share (index, labels, epoch shuffle, `tf.data`), the
 * split by file, the unigram and n-gram baselines, and the steps both families
 * share around a run folder (resume included).
 *
 * @module
 */
export * from "./accuracy.ts";
export * from "./baseline.ts";
export * from "./callbacks.ts";
export * from "./controls.ts";
export * from "./family.ts";
export * from "./loop.ts";
export * from "./model_input.ts";
export * from "./ngram.ts";
export * from "./resume.ts";
export * from "./run_steps.ts";
export * from "./split.ts";
export * from "./windows.ts";
