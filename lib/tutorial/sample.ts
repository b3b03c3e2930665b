/**
 * Generation for the tutorial family: predict the next note from a window, append it, slide
 * the window, repeat. Pitch is sampled from the logits divided by a temperature; step and
 * duration are the regression heads' outputs, clamped to be non-negative.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Note } from "../music/midi.ts";
import { mulberry32 } from "../engine/random.ts";
import { createStatefulRunner, type LayerMath, type StateMemory } from "../engine/stateful.ts";
import { readTidy } from "../engine/read_tensors.ts";

/** The three features the model reads for a note. */
export type NoteFeaturesRow = Pick<Note, "pitch" | "step" | "duration">;

/** Options for {@linkcode predictNextNote}. */
export interface PredictOptions {
  /**
   * Softmax temperature for pitch: logits are divided by it before sampling. Below 1 keeps
   * to likely pitches, above 1 explores.
   * @default {1}
   */
  temperature?: number;
  /**
   * Source of uniform numbers in [0, 1) for sampling.
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * Input pitches are divided by this, as in training.
   * @default {128}
   */
  pitchScale?: number;
}

/**
 * Draws a class from logits divided by `temperature` (softmax sampling).
 *
 * @param logits unnormalised scores (not changed)
 * @throws {Error} naming `temperature` when it is not above 0
 */
export function sampleLogits(
  logits: ArrayLike<number>,
  temperature: number,
  random: () => number,
): number {
  if (!(temperature > 0)) {
    throw new Error(`temperature: expected a number above 0, got ${temperature}`);
  }
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] / temperature);
  const weights = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    sum += weights[i] = Math.exp(logits[i] / temperature - max);
  }
  let r = random() * sum;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Predicts the note after `window`.
 *
 * @param model a tutorial model (input `[1, seqLength, 3]`)
 * @param window the last `seqLength` notes, oldest first, raw pitch (not changed)
 * @returns pitch (sampled), stepSec and durationSec (both >= 0)
 * @throws {Error} naming `temperature` when it is not above 0
 */
export function predictNextNote(
  model: tf.LayersModel,
  window: NoteFeaturesRow[],
  options: PredictOptions = {},
): NoteFeaturesRow {
  const scale = options.pitchScale ?? 128;
  const x = new Float32Array(window.length * 3);
  window.forEach((n, i) => x.set([n.pitch / scale, n.step, n.duration], i * 3));
  const [logits, step, duration] = readTidy(() =>
    model.predict(tf.tensor3d(x, [1, window.length, 3])) as tf.Tensor[]
  );
  return {
    pitch: sampleLogits(logits, options.temperature ?? 1, options.random ?? Math.random),
    step: Math.max(0, step[0]),
    duration: Math.max(0, duration[0]),
  };
}

/** Options for {@linkcode generateNotes}. */
export interface GenerateOptions extends PredictOptions {
  /**
   * Notes to generate.
   * @default {120}
   */
  count?: number;
  /**
   * Seed for sampling, used when `random` is not given.
   * @default {0}
   */
  seed?: number;
  /**
   * Velocity given to generated notes.
   * @default {100}
   */
  velocity?: number;
  /** Called after each note with (notes so far, count). */
  onNote?: (done: number, count: number) => void;
}

/**
 * Generates notes one by one, starting from a seed window (usually a window of the training
 * data). The seed is copied, not changed; only the new notes are returned, with `start` and
 * `end` counted from the end of nothing (the first new note starts at its step).
 *
 * @param seedNotes at least `seqLength` notes; the last `seqLength` start the generation
 */
export function generateNotes(
  model: tf.LayersModel,
  seedNotes: NoteFeaturesRow[],
  options: GenerateOptions = {},
): Note[] {
  const { window, count, random } = checkNoteGeneration(model, seedNotes, options);
  const out: Note[] = [];
  for (let i = 0; i < count; i++) {
    const next = predictNextNote(model, window, { ...options, random });
    appendNote(out, next, options.velocity ?? 100);
    window.shift();
    window.push(next);
    options.onNote?.(i + 1, count);
  }
  return out;
}

/** Options for {@linkcode generateNotesStateful}: those of `generateNotes`, plus the memory. */
export interface GenerateNotesStatefulOptions extends GenerateOptions {
  /**
   * What the LSTM state remembers: `"carried"` (one step per note; differs from
   * `generateNotes` from the second note on) or `"window"` (the same notes as
   * `generateNotes`). See the module notes.
   * @default {"carried"}
   */
  memory?: StateMemory;
  /**
   * How the heads are computed; see {@linkcode StatefulRunnerOptions.layerMath}.
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
 * @param seedNotes at least `seqLength` notes; the last `seqLength` start the generation
 *   (not changed)
 * @returns only the new notes, `start` counted from the end of nothing (as `generateNotes`)
 * @throws {Error} when the seed is too short, `temperature` is not above 0, or the model
 *   holds a layer that cannot be stepped
 */
export function generateNotesStateful(
  model: tf.LayersModel,
  seedNotes: NoteFeaturesRow[],
  options: GenerateNotesStatefulOptions = {},
): Note[] {
  const { window, count, random } = checkNoteGeneration(model, seedNotes, options);
  const temperature = options.temperature ?? 1;
  const scale = options.pitchScale ?? 128;
  const runner = createStatefulRunner(model, {
    memory: options.memory,
    windowLength: window.length,
    layerMath: options.layerMath,
  });
  const features = (notes: NoteFeaturesRow[]) => {
    const x = new Float32Array(notes.length * 3);
    notes.forEach((n, i) => x.set([n.pitch / scale, n.step, n.duration], i * 3));
    return x;
  };
  const out: Note[] = [];
  if (count <= 0) return out;
  let outputs = runner.feed(features(window));
  for (let i = 0; i < count; i++) {
    const [logits, step, duration] = outputs;
    const next: NoteFeaturesRow = {
      pitch: sampleLogits(logits, temperature, random),
      step: Math.max(0, step[0]),
      duration: Math.max(0, duration[0]),
    };
    appendNote(out, next, options.velocity ?? 100);
    options.onNote?.(i + 1, count);
    if (i + 1 < count) outputs = runner.feed(features([next]));
  }
  return out;
}

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
