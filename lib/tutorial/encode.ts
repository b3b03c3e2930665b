/**
 * The one place notes become the model's numbers and back. A note is read as three numbers:
 * its pitch divided by `pitchScale` (so MIDI pitches 0..127 land in [0, 1)), its step (seconds
 * since the previous note's start) and its duration (seconds). The model answers with pitch
 * logits and a step and duration, which become a note again.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Note } from "../music/midi.ts";

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
 */
export function notesToFeatures(notes: Note[], path = "<notes>"): NoteFeatures {
  const values = new Float32Array(notes.length * 3);
  notes.forEach((n, i) => values.set([n.pitch, n.step, n.duration], i * 3));
  return { path, values, count: notes.length };
}

/**
 * The model's input for a window of notes: `[notes, 3]` row-major, pitch divided by
 * `pitchScale`. The notes are not changed.
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

/** A window of notes as the model's input tensor `[1, notes, 3]`. */
export function notesTensor(
  notes: readonly NoteFeaturesRow[],
  pitchScale: number = DEFAULT_PITCH_SCALE,
): tf.Tensor3D {
  return tf.tensor3d(encodeNotes(notes, pitchScale), [1, notes.length, 3]);
}

/** What the step and duration heads predicted for one note, in seconds. */
export interface PredictedTiming {
  stepSec: number;
  durationSec: number;
}

/**
 * The note the model's answer stands for: the chosen pitch, and the predicted step and
 * duration clamped to be non-negative (a regression head can overshoot below zero).
 */
export function decodeNote(pitch: number, timing: PredictedTiming): NoteFeaturesRow {
  return { pitch, step: Math.max(0, timing.stepSec), duration: Math.max(0, timing.durationSec) };
}
