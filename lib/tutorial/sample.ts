/**
 * Generation for the tutorial family, as the source tutorial does it: predict the next note
 * from a window, append it, slide the window by one, repeat. The pitch is drawn from the
 * logits divided by a temperature (or taken by argmax); step and duration are the regression
 * heads' outputs, clamped to be non-negative.
 *
 * `generateNotes` is that plain loop. `generateNotesStateful` gives the same notes faster by
 * carrying the LSTM state from note to note (`lib/engine/stateful.ts`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Note } from "../music/midi.ts";
import { mulberry32, sampleLogits, type SampleOptions } from "../engine/random.ts";
import { createStatefulRunner, type LayerMath, type StateMemory } from "../engine/stateful.ts";
import { readTidy } from "../engine/read_tensors.ts";
import {
  decodeNote,
  DEFAULT_PITCH_SCALE,
  encodeNotes,
  type NoteFeaturesRow,
  notesTensor,
} from "./encode.ts";

/** Options for {@linkcode predictNextNote}: the sampling rules and the input scale. */
export interface PredictOptions extends SampleOptions {
  /**
   * Input pitches are divided by this, as in training (`dataset.pitchScale`).
   * @default {128}
   */
  pitchScale?: number;
}

/**
 * Predicts the note after `window`: the model reads the window, the pitch is sampled from its
 * logits, step and duration are its regression outputs (clamped at 0).
 *
 * @param model a tutorial model (input `[1, sequenceLength, 3]`)
 * @param window the last `sequenceLength` notes, oldest first, raw pitch (not changed)
 * @returns pitch (sampled), stepSec and durationSec (both >= 0)
 * @throws {Error} naming `temperature` or `topK` when it is invalid
 */
export function predictNextNote(
  model: tf.LayersModel,
  window: NoteFeaturesRow[],
  options: PredictOptions = {},
): NoteFeaturesRow {
  const [logits, step, duration] = readTidy(() =>
    model.predict(notesTensor(window, options.pitchScale)) as tf.Tensor[]
  );
  return decodeNote(sampleLogits(logits, options), { stepSec: step[0], durationSec: duration[0] });
}

/** Options for {@linkcode generateNotes}. */
export interface GenerateNotesOptions extends PredictOptions {
  /**
   * Notes to generate.
   * @default {120}
   */
  length?: number;
  /**
   * Seed of the sampling, used when `random` is not given.
   * @default {0}
   */
  seed?: number;
  /**
   * Velocity given to generated notes.
   * @default {100}
   */
  velocity?: number;
  /** Called after each note with (notes so far, `length`). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Generates notes one by one from a seed window (usually a window of the training data),
 * re-feeding the whole window for every note. The seed is copied, not changed; only the new
 * notes are returned, with `start` and `end` counted from the end of nothing (the first new
 * note starts at its step).
 *
 * @param seedNotes at least `sequenceLength` notes; the last `sequenceLength` start the generation
 * @throws {Error} when the seed is shorter than the model's window, or naming the setting
 *   when `length`, `temperature` or `topK` is invalid
 */
export function generateNotes(
  model: tf.LayersModel,
  seedNotes: NoteFeaturesRow[],
  options: GenerateNotesOptions = {},
): Note[] {
  const { window, length, random } = checkNoteGeneration(model, seedNotes, options);
  const out: Note[] = [];
  for (let i = 0; i < length; i++) {
    const next = predictNextNote(model, window, { ...options, random });
    appendNote(out, next, options.velocity);
    window.shift();
    window.push(next);
    options.onProgress?.(i + 1, length);
  }
  return out;
}

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
  const scale = options.pitchScale ?? DEFAULT_PITCH_SCALE;
  const out: Note[] = [];
  if (length <= 0) return out;
  const runner = createStatefulRunner(model, {
    memory: options.memory,
    windowLength: window.length,
    layerMath: options.layerMath,
  });
  let outputs = runner.feed(encodeNotes(window, scale));
  for (let i = 0; i < length; i++) {
    const [logits, step, duration] = outputs;
    const pitch = sampleLogits(logits, { ...options, random });
    const next = decodeNote(pitch, { stepSec: step[0], durationSec: duration[0] });
    appendNote(out, next, options.velocity);
    options.onProgress?.(i + 1, length);
    if (i + 1 < length) outputs = runner.feed(encodeNotes([next], scale));
  }
  return out;
}

/** The seed window (a copy), the checked length and the random stream of a generation. */
function checkNoteGeneration(
  model: tf.LayersModel,
  seedNotes: NoteFeaturesRow[],
  options: GenerateNotesOptions,
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
function appendNote(out: Note[], next: NoteFeaturesRow, velocity = 100): void {
  const start = (out.at(-1)?.start ?? 0) + next.step;
  out.push({ ...next, start, end: start + next.duration, velocity });
}
