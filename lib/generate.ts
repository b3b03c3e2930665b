/**
 * Generation for the tutorial family: predict the next note from a window, append it, slide
 * the window, repeat. Pitch is sampled from the logits divided by a temperature; step and
 * duration are the regression heads' outputs, clamped to be non-negative.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Note } from "./midi.ts";
import { appendNote, checkNoteGeneration } from "./_note_generation.ts";
import { readTidy } from "./_read_tensors.ts";

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
