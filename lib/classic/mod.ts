/**
 * The classic family ("classical piano composer"): notes and chords as tokens; windows of
 * token ids; stacked LSTMs with a softmax; sampling; a run end to end.
 *
 * @module
 */
export * from "./baselines.ts";
export * from "./encode.ts";
export * from "./family.ts";
export * from "./model.ts";
export * from "./run.ts";
export * from "./sample.ts";
export * from "./timing.ts";
export * from "./windows.ts";
