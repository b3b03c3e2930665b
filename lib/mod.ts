/**
 * midi-lstm-notebooks: LSTM music generation in Deno, as the notebooks teach it.
 *
 * The modules, in the order data flows through them:
 * - `midi.ts`: MIDI files to note tables and back
 * - `dataset.ts`: windows of notes, the tf.data pipeline, the split by file
 * - `loss.ts`, `model.ts`: the tutorial model and its losses
 * - `train.ts`: the training loop with checkpoints and early stopping
 * - `generate.ts`: sampling new notes
 * - `tutorial.ts`: those steps end to end, with a run folder
 * - `backend.ts`, `model_io.ts`, `config.ts`: backend choice, saving, settings
 * - `plot.ts`, `display.ts`, `synth.ts`, `session.ts`: figures, notebook output, audio
 *
 * @module
 */
export * from "./midi.ts";
export * from "./dataset.ts";
export * from "./loss.ts";
export * from "./model.ts";
export * from "./train.ts";
export * from "./generate.ts";
export * from "./config.ts";
export * from "./tutorial.ts";
export * from "./backend.ts";
export * from "./model_io.ts";
export * from "./plot.ts";
export * from "./display.ts";
export * from "./synth.ts";
export * from "./session.ts";
