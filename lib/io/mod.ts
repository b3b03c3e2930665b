/**
 * Files: atomic writes, model files, run provenance, dataset downloads.
 *
 * @module
 */
export * from "./download.ts";
export * from "./model_files.ts";
export * from "./provenance.ts";
