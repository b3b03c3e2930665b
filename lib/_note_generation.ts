/**
 * Steps shared by the note generators (`generateNotes` re-feeding the window,
 * `generateNotesStateful`): checking the seed against the model's window, and placing each
 * picked note after the one before.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Note } from "./midi.ts";
import type { GenerateOptions, NoteFeaturesRow } from "./generate.ts";
import { mulberry32 } from "./_random.ts";

/** What a note generator needs once its inputs are checked. */
export interface CheckedNoteGeneration {
  /** The last `seqLength` seed notes (a copy). */
  window: NoteFeaturesRow[];
  count: number;
  random: () => number;
}

/**
 * Validates a note generation request.
 *
 * @throws {Error} when the seed is shorter than the model's window
 */
export function checkNoteGeneration(
  model: tf.LayersModel,
  seedNotes: NoteFeaturesRow[],
  options: GenerateOptions,
): CheckedNoteGeneration {
  const seqLength = model.inputs[0].shape[1];
  if (typeof seqLength === "number" && seedNotes.length < seqLength) {
    throw new Error(`seedNotes: expected at least ${seqLength} notes, got ${seedNotes.length}`);
  }
  return {
    window: seedNotes.slice(seedNotes.length - (seqLength ?? seedNotes.length)),
    count: options.count ?? 120,
    random: options.random ?? mulberry32(options.seed ?? 0),
  };
}

/**
 * Appends `next` to `out` as a note starting `next.step` seconds after the start of the last
 * note in `out` (or at `next.step` for the first). Changes `out`.
 */
export function appendNote(out: Note[], next: NoteFeaturesRow, velocity: number): void {
  const start = (out.at(-1)?.start ?? 0) + next.step;
  out.push({ ...next, start, end: start + next.duration, velocity });
}
