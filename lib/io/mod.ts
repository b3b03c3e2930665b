/**
 * Files: atomic writes, model files, the run folder (its file names and its lock), run
 * provenance, dataset downloads.
 *
 * @module
 */
export * from "./download.ts";
export * from "./model_files.ts";
export * from "./provenance.ts";
export * from "./run_folder.ts";
