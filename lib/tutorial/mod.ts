/**
 * The tutorial family (TensorFlow's "Generate music with an RNN"): notes as pitch, step and
 * duration; windows; the LSTM with three heads and its loss; sampling; a run end to end.
 *
 * @module
 */
export * from "./baselines.ts";
export * from "./encode.ts";
export * from "./family.ts";
export * from "./model.ts";
export * from "./run.ts";
export * from "./sample.ts";
export * from "./windows.ts";
