/**
 * Judging generated music: metrics, the copy check, evaluation against a corpus, sweeps.
 *
 * @module
 */
export * from "./copy_check.ts";
export * from "./cycle.ts";
export * from "./evaluation.ts";
export * from "./metrics.ts";
export * from "./sweep.ts";
