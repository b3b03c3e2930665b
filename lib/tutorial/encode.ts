/**
 * The one place notes become the model's numbers and back. A note is read as three numbers:
 * its pitch, its step (seconds since the previous note's start) and its duration (seconds).
 * How the pitch is given depends on the model's `input` (`model.input` in the config):
 *
 * - `"scaled"` (the source tutorial): pitch divided by `pitchScale`, so MIDI pitches 0..127
 *   land in [0, 1), and the three numbers form one input `[notes, 3]`;
 * - `"embedding"`: the pitch itself, an index into a learned table of vectors, as one input
 *   `[notes]`, with step and duration as a second input `[notes, 2]`.
 *
 * The model answers with pitch logits and a step and duration, which become a note again.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Note } from "../music/midi.ts";
import type { ModelInput } from "../config/classic_presets.ts";

/** The three numbers the model reads for each note, in order. */
export const FEATURES = ["pitch", "step", "duration"] as const;

/** Input pitches are divided by this unless a config says otherwise (`dataset.pitchScale`). */
export const DEFAULT_PITCH_SCALE = 128;

/** The three features of a note: raw MIDI pitch, stepSec and durationSec (`step`, `duration`). */
export type NoteFeaturesRow = Pick<Note, "pitch" | "step" | "duration">;

/** Notes of one file as a flat feature array (raw pitch, so labels can be read from it). */
export interface NoteFeatures {
  /** Where the notes came from. */
  path: string;
  /** `[notes, 3]` row-major: raw pitch (0..127), stepSec, durationSec. */
  values: Float32Array;
  /** Number of notes. */
  count: number;
}

/**
 * Turns a note table into a flat `[notes, 3]` feature array (raw pitch, step, duration).
 * The notes are not changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { notesToFeatures } from "midi-lstm";
 *
 * const notes = [
 *   { pitch: 60, start: 0, end: 0.5, step: 0, duration: 0.5, velocity: 90 },
 *   { pitch: 64, start: 0.5, end: 1.5, step: 0.5, duration: 1, velocity: 90 },
 * ];
 * const features = notesToFeatures(notes, "two-notes.mid");
 * assert.equal(features.count, 2);
 * // one row per note: pitch, step, duration
 * assert.deepEqual(Array.from(features.values), [60, 0, 0.5, 64, 0.5, 1]);
 * ```
 */
export function notesToFeatures(notes: Note[], path = "<notes>"): NoteFeatures {
  const values = new Float32Array(notes.length * 3);
  notes.forEach((n, i) => values.set([n.pitch, n.step, n.duration], i * 3));
  return { path, values, count: notes.length };
}

/**
 * The model's input for a window of notes: `[notes, 3]` row-major, pitch divided by
 * `pitchScale`. The notes are not changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNotes } from "midi-lstm";
 *
 * const window = [{ pitch: 60, step: 0, duration: 0.5 }, { pitch: 64, step: 0.5, duration: 1 }];
 * // the pitch divided by 128 lands in [0, 1); step and duration stay in seconds
 * assert.deepEqual(Array.from(encodeNotes(window)), [0.46875, 0, 0.5, 0.5, 0.5, 1]);
 * ```
 */
export function encodeNotes(
  notes: readonly NoteFeaturesRow[],
  pitchScale: number = DEFAULT_PITCH_SCALE,
): Float32Array {
  const x = new Float32Array(notes.length * 3);
  notes.forEach((n, i) => x.set([n.pitch / pitchScale, n.step, n.duration], i * 3));
  return x;
}

/**
 * Scales the pitch column of `[rows, 3]` raw features in place (`values` is changed), as
 * {@linkcode encodeNotes} does for notes.
 */
export function scalePitches(values: Float32Array, pitchScale: number): void {
  for (let i = 0; i < values.length; i += 3) values[i] /= pitchScale;
}

/** A window of notes as the model's input tensor `[1, notes, 3]` (a `"scaled"` model). */
export function notesTensor(
  notes: readonly NoteFeaturesRow[],
  pitchScale: number = DEFAULT_PITCH_SCALE,
): tf.Tensor3D {
  return tf.tensor3d(encodeNotes(notes, pitchScale), [1, notes.length, 3]);
}

/** Options for {@linkcode noteWindowInputs} and {@linkcode notesInputs}. */
export interface NotesInputOptions {
  /**
   * How the model reads a pitch (see the module notes).
   * @default {"scaled"}
   */
  input?: ModelInput;
  /**
   * Pitches are divided by this with `input: "scaled"`.
   * @default {128}
   */
  pitchScale?: number;
}

/**
 * The model's inputs for a batch of windows of raw features.
 *
 * @param raw `[batch, notes, 3]` row-major: raw pitch, stepSec, durationSec (not changed)
 * @param shape `[batch, notes]`
 * @returns `"scaled"`: `[batch, notes, 3]` with pitch / pitchScale; `"embedding"`: pitch
 *   ids `[batch, notes]` and timing `[batch, notes, 2]` (step, duration)
 * @throws {Error} when `raw` does not hold `batch * notes * 3` numbers
 */
export function noteWindowInputs(
  raw: Float32Array,
  shape: readonly [number, number],
  options: NotesInputOptions = {},
): tf.Tensor3D | [tf.Tensor2D, tf.Tensor3D] {
  const [batch, notes] = shape;
  if (raw.length !== batch * notes * 3) {
    throw new Error(
      `noteWindowInputs: expected ${batch} x ${notes} notes x 3 = ${batch * notes * 3} numbers, ` +
        `got ${raw.length}`,
    );
  }
  if ((options.input ?? "scaled") === "scaled") {
    const x = raw.slice();
    scalePitches(x, options.pitchScale ?? DEFAULT_PITCH_SCALE);
    return tf.tensor3d(x, [batch, notes, 3]);
  }
  const n = batch * notes;
  const pitch = new Float32Array(n);
  const timing = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    pitch[i] = raw[i * 3];
    timing[i * 2] = raw[i * 3 + 1];
    timing[i * 2 + 1] = raw[i * 3 + 2];
  }
  return [tf.tensor2d(pitch, [batch, notes]), tf.tensor3d(timing, [batch, notes, 2])];
}

/**
 * A window of notes as the model's inputs, batch of one (see {@linkcode noteWindowInputs}).
 * The notes are not changed.
 */
export function notesInputs(
  notes: readonly NoteFeaturesRow[],
  options: NotesInputOptions = {},
): tf.Tensor3D | [tf.Tensor2D, tf.Tensor3D] {
  if ((options.input ?? "scaled") === "scaled") return notesTensor(notes, options.pitchScale);
  return noteWindowInputs(encodeNotes(notes, 1), [1, notes.length], options);
}

/**
 * The rows the stateful runner reads for these notes, `[notes, 3]`: a `"scaled"` model's
 * input rows, or an `"embedding"` model's two inputs side by side (raw pitch, then step and
 * duration), in the order of the model's inputs.
 */
export function runnerRows(
  notes: readonly NoteFeaturesRow[],
  options: NotesInputOptions = {},
): Float32Array {
  const scaled = (options.input ?? "scaled") === "scaled";
  return encodeNotes(notes, scaled ? options.pitchScale ?? DEFAULT_PITCH_SCALE : 1);
}

/** What the step and duration heads predicted for one note, in seconds. */
export interface PredictedTiming {
  stepSec: number;
  durationSec: number;
}

/**
 * The note the model's answer stands for: the chosen pitch, and the predicted step and
 * duration clamped to be non-negative (a regression head can overshoot below zero).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeNote } from "midi-lstm";
 *
 * // a regression head may predict a negative step: the note starts with the previous one
 * const note = decodeNote(67, { stepSec: -0.02, durationSec: 0.25 });
 * assert.deepEqual(note, { pitch: 67, step: 0, duration: 0.25 });
 * ```
 */
export function decodeNote(pitch: number, timing: PredictedTiming): NoteFeaturesRow {
  return { pitch, step: Math.max(0, timing.stepSec), duration: Math.max(0, timing.durationSec) };
}
