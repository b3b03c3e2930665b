/**
 * Files: atomic writes, model files, `file://` URLs for tfjs, the run folder (its file names
 * and its lock), run provenance, dataset downloads.
 *
 * Importing this module registers the `file://` save and load routers with `tf.io`
 * (`file_router.ts`), once.
 *
 * @module
 */
import { registerFileRouters } from "./file_router.ts";

export * from "./atomic_files.ts";
export * from "./download.ts";
export * from "./file_router.ts";
export * from "./legacy_model_files.ts";
export * from "./model_files.ts";
export * from "./provenance.ts";
export * from "./run_folder.ts";

registerFileRouters();
