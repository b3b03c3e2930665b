/**
 * midi-lstm-notebooks: LSTM music generation in Deno, as the notebooks teach it.
 *
 * The modules, in the order data flows through them:
 * - `midi.ts`: MIDI files to note tables and back
 * - `tokens.ts`, `vocabulary.ts`: notes and chords as tokens (classic family)
 * - `dataset.ts`, `classic_dataset.ts`: windows, the split by file, `tf.data` pipelines
 * - `loss.ts`, `model.ts`, `classic_model.ts`, `fused_lstm.ts`: models and their losses
 * - `train.ts`: the training loop with checkpoints and early stopping
 * - `generate.ts`, `classic_generate.ts`: sampling new music
 * - `tutorial.ts`, `classic.ts`, `workflow.ts`: the steps end to end, around a run folder
 * - `metrics.ts`, `copy_check.ts`: judging generated music, checking it for copying
 * - `config.ts`, `backend.ts`, `model_io.ts`: settings, backend choice, saving
 * - `plot.ts`, `display.ts`, `synth.ts`, `session.ts`: figures, notebook output, audio
 *
 * @module
 */
export * from "./midi.ts";
export * from "./tokens.ts";
export * from "./vocabulary.ts";
export * from "./dataset.ts";
export * from "./classic_dataset.ts";
export * from "./loss.ts";
export * from "./model.ts";
export * from "./classic_model.ts";
export * from "./fused_lstm.ts";
export * from "./train.ts";
export * from "./generate.ts";
export * from "./classic_generate.ts";
export * from "./config.ts";
export * from "./tutorial.ts";
export * from "./classic.ts";
export * from "./workflow.ts";
export * from "./metrics.ts";
export * from "./copy_check.ts";
export * from "./backend.ts";
export * from "./model_io.ts";
export * from "./plot.ts";
export * from "./display.ts";
export * from "./synth.ts";
export * from "./session.ts";
export * from "./download.ts";
export * from "./evaluation.ts";
export * from "./sweep.ts";
export * from "./provenance.ts";
export * from "./stateful.ts";
export * from "./parallel_train.ts";
