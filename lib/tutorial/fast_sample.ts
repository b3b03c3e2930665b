/**
 * Fast generation for the tutorial family: the same notes as `generateNotes` of `sample.ts`,
 * computed by carrying the LSTM state from note to note with the engine's stateful runner
 * (`lib/engine/stateful.ts`) instead of re-reading the whole window for every note.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Note } from "../music/midi.ts";
import { sampleLogits } from "../random/sampling.ts";
import { createStatefulRunner, type LayerMath, type StateMemory } from "../engine/stateful.ts";
import { modelInputOf } from "../train/model_input.ts";
import { decodeNote, type NoteFeaturesRow, runnerRows } from "./encode.ts";
import type { GenerateNotesOptions } from "./sample.ts";
import { appendNote, checkNoteGeneration } from "./_generation.ts";

/** Options for {@linkcode generateNotesStateful}: those of `generateNotes`, plus the memory. */
export interface GenerateNotesStatefulOptions extends GenerateNotesOptions {
  /**
   * What the LSTM state remembers: `"carried"` (one step per note; differs from
   * `generateNotes` from the second note on) or `"window"` (the same notes as
   * `generateNotes`). See `lib/engine/stateful.ts`.
   * @default {"carried"}
   */
  memory?: StateMemory;
  /**
   * How the heads are computed; see `StatefulRunnerOptions.layerMath`.
   * @default {"js"}
   */
  layerMath?: LayerMath;
}

/**
 * Generates notes as `generateNotes` does (same options, same sampling, same random numbers
 * drawn in the same order, same return value), but steps the LSTM once per note from its
 * carried state instead of re-reading the whole window.
 *
 * With `memory: "carried"` (the default) the first note equals `generateNotes`'s for the
 * same seed; later notes also depend on notes that have left the window (exactly as feeding
 * the whole history from a zero state would). With `memory: "window"` every note equals
 * `generateNotes`'s (up to float rounding of the heads; bit for bit with
 * `layerMath: "tfjs"` and a `fusedLstm` model).
 *
 * @param model a tutorial model (outputs pitch logits `[batch, 128]`, step `[batch, 1]`,
 *   duration `[batch, 1]`)
 * @param seedNotes at least `sequenceLength` notes; the last `sequenceLength` start the
 *   generation (not changed)
 * @returns only the new notes, `start` counted from the end of nothing (as `generateNotes`)
 * @throws {Error} as `generateNotes`, and when the model holds a layer that cannot be stepped
 */
export function generateNotesStateful(
  model: tf.LayersModel,
  seedNotes: NoteFeaturesRow[],
  options: GenerateNotesStatefulOptions = {},
): Note[] {
  const { window, length, random } = checkNoteGeneration(model, seedNotes, options);
  const encoding = { input: modelInputOf(model), pitchScale: options.pitchScale };
  const out: Note[] = [];
  if (length <= 0) return out;
  const runner = createStatefulRunner(model, {
    memory: options.memory,
    windowLength: window.length,
    layerMath: options.layerMath,
  });
  let outputs = runner.feed(runnerRows(window, encoding));
  for (let i = 0; i < length; i++) {
    const [logits, step, duration] = outputs;
    const pitch = sampleLogits(logits, { ...options, random });
    const next = decodeNote(pitch, { stepSec: step[0], durationSec: duration[0] });
    appendNote(out, next, options.velocity);
    options.onProgress?.(i + 1, length);
    if (i + 1 < length) outputs = runner.feed(runnerRows([next], encoding));
  }
  return out;
}
