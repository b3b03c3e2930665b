/**
 * One typed config per run (both families), its defaults, checks and presets.
 *
 * @module
 */
export * from "./classic_presets.ts";
export * from "./config.ts";
export * from "./legacy.ts";
