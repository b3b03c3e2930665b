/**
 * Generation for the tutorial family, as the source tutorial does it: predict the next note
 * from a window, append it, slide the window by one, repeat. The pitch is drawn from the
 * logits divided by a temperature (or taken by argmax); step and duration are the regression
 * heads' outputs, clamped to be non-negative.
 *
 * `generateNotes` is that plain loop. `generateNotesStateful` (`run.ts`) is faster: it
 * carries the LSTM state from note to note, so by default later notes also remember notes
 * that have left the window (with `memory: "window"` it gives exactly these notes).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Note } from "../music/midi.ts";
import { sampleLogits, type SampleOptions } from "../random/sampling.ts";
import { modelInputOf } from "../train/model_input.ts";
import { decodeNote, type NoteFeaturesRow, notesInputs } from "./encode.ts";
import { appendNote, checkNoteGeneration } from "./_generation.ts";

/** Options for {@linkcode predictNextNote}: the sampling rules and the input scale. */
export interface PredictOptions extends SampleOptions {
  /**
   * Input pitches are divided by this, as in training (`dataset.pitchScale`), when the model
   * reads them scaled (an embedding model reads the pitch itself).
   * @default {128}
   */
  pitchScale?: number;
}

/**
 * Predicts the note after `window`: the model reads the window, the pitch is sampled from its
 * logits, step and duration are its regression outputs (clamped at 0).
 *
 * @param model a tutorial model, reading its input as `modelInputOf(model)` says
 * @param window the last `sequenceLength` notes, oldest first, raw pitch (not changed)
 * @returns pitch (sampled), stepSec and durationSec (both >= 0)
 * @throws {Error} naming `temperature` or `topK` when it is invalid
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildTutorialModel,
 *   predictNextNote,
 *   resolveTutorialConfig,
 *   selectBackend,
 * } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 *
 * const config = resolveTutorialConfig({ model: { sequenceLength: 4, lstmUnits: 8 } });
 * const model = buildTutorialModel(config); // untrained: the note is a guess
 * const window = [60, 62, 64, 65].map((pitch) => ({ pitch, step: 0.5, duration: 0.5 }));
 * const next = predictNextNote(model, window, { temperature: "argmax" });
 * assert.ok(next.pitch >= 0 && next.pitch < 128 && next.step >= 0 && next.duration >= 0);
 * model.dispose();
 * ```
 */
export function predictNextNote(
  model: tf.LayersModel,
  window: NoteFeaturesRow[],
  options: PredictOptions = {},
): NoteFeaturesRow {
  const heads = tf.tidy(() =>
    model.predict(
      notesInputs(window, { input: modelInputOf(model), pitchScale: options.pitchScale }),
    ) as tf.Tensor[]
  );
  const [logits, step, duration] = heads.map((t) => t.dataSync() as Float32Array);
  tf.dispose(heads);
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
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildTutorialModel,
 *   generateNotes,
 *   resolveTutorialConfig,
 *   selectBackend,
 * } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 *
 * const config = resolveTutorialConfig({ model: { sequenceLength: 4, lstmUnits: 8 } });
 * const model = buildTutorialModel(config);
 * const seed = [60, 62, 64, 65].map((pitch) => ({ pitch, step: 0.5, duration: 0.5 }));
 * const a = generateNotes(model, seed, { length: 5, temperature: 1, seed: 7 });
 * const b = generateNotes(model, seed, { length: 5, temperature: 1, seed: 7 });
 * assert.equal(a.length, 5);
 * assert.deepEqual(a, b); // the same seed gives the same notes
 * model.dispose();
 * ```
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
