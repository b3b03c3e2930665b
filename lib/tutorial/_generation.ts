/**
 * Steps both note generators share (`sample.ts`, `run.ts`): checking the seed
 * against the model's window, and placing each new note after the one before.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Note } from "../music/midi.ts";
import { mulberry32 } from "../random/random.ts";
import type { NoteFeaturesRow } from "./encode.ts";

/** The seed window (a copy), the checked length and the random stream of a generation. */
export function checkNoteGeneration(
  model: tf.LayersModel,
  seedNotes: NoteFeaturesRow[],
  options: { length?: number; seed?: number; random?: () => number },
): { window: NoteFeaturesRow[]; length: number; random: () => number } {
  const sequenceLength = model.inputs[0].shape[1];
  if (typeof sequenceLength === "number" && seedNotes.length < sequenceLength) {
    throw new Error(
      `seedNotes: expected at least ${sequenceLength} notes (the model's window), ` +
        `got ${seedNotes.length}`,
    );
  }
  const length = options.length ?? 120;
  if (!Number.isInteger(length) || length < 0) {
    throw new Error(`length: expected an integer >= 0, got ${JSON.stringify(length)}`);
  }
  return {
    window: seedNotes.slice(seedNotes.length - (sequenceLength ?? seedNotes.length)),
    length,
    random: options.random ?? mulberry32(options.seed ?? 0),
  };
}

/**
 * Appends `next` to `out` as a note starting `next.step` seconds after the start of the last
 * note in `out` (or at `next.step` for the first). Changes `out`.
 */
export function appendNote(out: Note[], next: NoteFeaturesRow, velocity = 100): void {
  const start = (out.at(-1)?.start ?? 0) + next.step;
  out.push({ ...next, start, end: start + next.duration, velocity });
}
