/**
 * midi-lstm-notebooks: LSTM music generation in Deno, as the notebooks teach it.
 *
 * This entry point (`midi-lstm`) is what a learner and the notebooks use, bottom first:
 * - `music/`: MIDI files to note tables and back; Magenta `NoteSequence` JSON; tokens; vocabulary
 * - `random/`: seeded draws: mulberry32, seeds derived from a run's seed, the sampling rule,
 *   the seed window
 * - `config/`: one typed config per run, with the classic presets
 * - `io/`: atomic files, model files, `file://` URLs for tfjs, provenance, downloads
 * - `train/`: the training loop with checkpoints and early stopping; the split by file
 * - `tutorial/`, `classic/`: each family's encode, windows, model, sample and run
 * - `workflow/`: one set of steps for both families
 * - `judge/`: metrics, the copy check, evaluation, sweeps
 * - `notebook/`: figures, tables, audio, the notebook session
 * - `web/`: the run as a web page that composes in the browser (`deno task export`)
 *
 * The speed machinery (fused LSTM, WebAssembly kernels and threads, the stateful runner,
 * Workers) is `midi-lstm/engine` (`lib/engine/mod.ts`); only backend choice is re-exported here.
 *
 * Importing it registers `file://` routers with `tf.io`, so `model.save("file://dir")` and
 * `tf.loadLayersModel("file://dir/model.json")` work in Deno (`io/file_router.ts`).
 *
 * @module
 */
import { registerFileRouters } from "./io/file_router.ts";

export * from "./music/mod.ts";
export * from "./random/mod.ts";
export * from "./config/mod.ts";
export * from "./io/mod.ts";
export * from "./train/mod.ts";
export * from "./tutorial/mod.ts";
export * from "./classic/mod.ts";
export * from "./workflow/mod.ts";
export * from "./judge/mod.ts";
export * from "./notebook/mod.ts";
export * from "./web/mod.ts";
export * from "./engine/backend.ts";

registerFileRouters();
