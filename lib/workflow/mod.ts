/**
 * One set of steps for both families, so the commands and notebooks read the same whichever
 * family a run uses.
 *
 * @module
 */
export * from "./baselines.ts";
export * from "./families.ts";
export * from "./workflow.ts";
