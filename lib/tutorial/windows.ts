/**
 * The tutorial family's training data: note tables cut into windows of `sequenceLength` notes,
 * each labelled with the note that follows, served as a `tf.data` pipeline
 * (shuffle -> batch -> prefetch), each epoch in an order fixed by the seed and the epoch.
 *
 * The index of windows, the labels, the shuffle rule and the pipeline are the windowing both
 * families share (`lib/train/windows.ts`); this file says how a window of notes becomes the
 * model's tensors. Windows are built on the fly from per-file feature arrays, one batch at a
 * time, so memory holds the notes once rather than every overlapping window. Windows never
 * cross from one file into the next (unless `crossFiles` is set), and the validation split is
 * made by file, so no window leaks across it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { MidiFileNotes } from "../music/midi.ts";
import {
  DEFAULT_PITCH_SCALE,
  type NoteFeatures,
  notesToFeatures,
  noteWindowInputs,
} from "./encode.ts";
import type { ModelInput } from "../config/classic_presets.ts";
import {
  labelStart,
  windowDataset,
  type WindowDatasetOptions,
  type WindowIndex,
  windowIndex,
  windowLabels,
  windowSequence,
} from "../train/windows.ts";

/** Options for {@linkcode tutorialWindows}. */
export interface TutorialWindowOptions {
  /**
   * Notes per input window.
   * @default {25}
   */
  sequenceLength?: number;
  /**
   * Join all files into one sequence first, so windows may span the end of one file and the
   * start of the next.
   * @default {false}
   */
  crossFiles?: boolean;
  /**
   * Input pitches are divided by this (the number of MIDI pitches) with `input: "scaled"`.
   * @default {128}
   */
  pitchScale?: number;
  /**
   * How the model reads a pitch: `"scaled"` (one input `[batch, notes, 3]`) or `"embedding"`
   * (pitch ids `[batch, notes]` and timing `[batch, notes, 2]`); see `encode.ts`.
   * @default {"scaled"}
   */
  input?: ModelInput;
}

/**
 * Where every window starts (`lib/train/windows.ts`); each sequence is a file's notes as
 * `[notes, 3]` (raw pitch, stepSec, durationSec), so `width` is 3.
 */
export interface TutorialWindowIndex extends WindowIndex<Float32Array> {
  pitchScale: number;
  input: ModelInput;
}

/**
 * Indexes every window of `sequenceLength` notes that has a following note to predict, within
 * each file. Files shorter than `sequenceLength + 1` notes give no windows. Nothing is copied
 * per window.
 *
 * @throws {Error} naming `sequenceLength` when it is not a positive integer, or when no file is
 *   long enough to give a single window
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tutorialLabels, tutorialWindows } from "midi-lstm";
 *
 * const notes = [60, 62, 64, 65, 67].map((pitch, i) => ({
 *   pitch, start: i / 2, end: i / 2 + 0.5, step: i === 0 ? 0 : 0.5, duration: 0.5, velocity: 90,
 * }));
 * // 5 notes in windows of 3: two windows, each labelled with the note after it
 * const index = tutorialWindows([{ path: "scale.mid", notes }], { sequenceLength: 3 });
 * assert.equal(index.count, 2);
 * assert.deepEqual(Array.from(tutorialLabels(index)), [65, 67]);
 * ```
 */
export function tutorialWindows(
  files: Array<NoteFeatures | MidiFileNotes>,
  options: TutorialWindowOptions = {},
): TutorialWindowIndex {
  const features = files.map((f) => "values" in f ? f : notesToFeatures(f.notes, f.path));
  const index = windowIndex(features.map((f) => f.values), {
    sequenceLength: options.sequenceLength ?? 25,
    width: 3,
    crossFiles: options.crossFiles,
    unit: "notes",
  });
  return {
    ...index,
    pitchScale: options.pitchScale ?? DEFAULT_PITCH_SCALE,
    input: options.input ?? "scaled",
  };
}

/**
 * The label pitch of every window: the raw pitch (0..127) of the note after it.
 *
 * @param index windows from {@linkcode tutorialWindows} (not changed)
 * @returns `[index.count]`, window order
 */
export function tutorialLabels(index: TutorialWindowIndex): Int32Array {
  return windowLabels(index);
}

/** One batch as the tutorial model takes it. */
export interface TutorialBatch {
  /**
   * `"scaled"`: `[batch, sequenceLength, 3]` (pitch / pitchScale, stepSec, durationSec);
   * `"embedding"`: pitch ids `[batch, sequenceLength]` and timing `[batch, sequenceLength, 2]`.
   */
  xs: tf.Tensor3D | [tf.Tensor2D, tf.Tensor3D];
  ys: {
    /** `[batch]` int32 pitch of the next note, 0..127. */
    pitch: tf.Tensor1D;
    /** `[batch, 1]` step of the next note, seconds. */
    step: tf.Tensor2D;
    /** `[batch, 1]` duration of the next note, seconds. */
    duration: tf.Tensor2D;
  };
}

/**
 * Builds the tensors of one batch from window numbers. The caller owns (and disposes) the
 * returned tensors.
 *
 * @param index windows from {@linkcode tutorialWindows}
 * @param windows window numbers, each in `[0, index.count)`
 * @throws {Error} when a window number is out of range
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { gatherTutorialBatch, selectBackend, tutorialWindows } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 *
 * const notes = [60, 62, 64, 65, 67].map((pitch, i) => ({
 *   pitch, start: i / 2, end: i / 2 + 0.5, step: i === 0 ? 0 : 0.5, duration: 0.5, velocity: 90,
 * }));
 * const index = tutorialWindows([{ path: "scale.mid", notes }], { sequenceLength: 3 });
 * const { xs, ys } = gatherTutorialBatch(index, [1, 0]); // window 1, then window 0
 * // [batch, notes, 3]: pitch / 128, step, duration
 * assert.deepEqual((xs as tf.Tensor).shape, [2, 3, 3]);
 * assert.deepEqual(Array.from(ys.pitch.dataSync()), [67, 65]);
 * tf.dispose([xs, ys.pitch, ys.step, ys.duration]);
 * ```
 */
export function gatherTutorialBatch(
  index: TutorialWindowIndex,
  windows: ArrayLike<number>,
): TutorialBatch {
  const { sequenceLength, pitchScale, input } = index;
  const n = windows.length;
  const xs = new Float32Array(n * sequenceLength * 3);
  const pitch = new Int32Array(n);
  const step = new Float32Array(n);
  const duration = new Float32Array(n);
  for (let b = 0; b < n; b++) {
    const w = windows[b];
    const values = windowSequence(index, w);
    const from = index.offset[w] * 3;
    xs.set(values.subarray(from, from + sequenceLength * 3), b * sequenceLength * 3);
    const next = labelStart(index, w);
    pitch[b] = values[next];
    step[b] = values[next + 1];
    duration[b] = values[next + 2];
  }
  return {
    xs: noteWindowInputs(xs, [n, sequenceLength], { input, pitchScale }),
    ys: {
      pitch: tf.tensor1d(pitch, "int32"),
      step: tf.tensor2d(step, [n, 1]),
      duration: tf.tensor2d(duration, [n, 1]),
    },
  };
}

/**
 * The tutorial's input pipeline: window numbers -> shuffle -> batch -> gather -> prefetch
 * (`windowDataset` of `lib/train/windows.ts` with {@linkcode gatherTutorialBatch}). Each
 * element is a {@linkcode TutorialBatch}, as `model.fitDataset` expects. Each iteration is one
 * epoch with its own seeded order (see `seed` and `epoch`).
 *
 * @throws {Error} naming `batchSize` when it is not a positive integer
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend, tutorialDataset, tutorialWindows } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 *
 * const notes = Array.from({ length: 12 }, (_, i) => ({
 *   pitch: 60 + i, start: i / 2, end: i / 2 + 0.5, step: i === 0 ? 0 : 0.5, duration: 0.5,
 *   velocity: 90,
 * }));
 * const index = tutorialWindows([{ path: "run.mid", notes }], { sequenceLength: 4 });
 * const dataset = tutorialDataset(index, { batchSize: 3, seed: 1 }); // 8 windows: 3 + 3 + 2
 * const sizes: number[] = [];
 * await dataset.forEachAsync((batch) => {
 *   const { ys } = batch as unknown as { ys: { pitch: tf.Tensor } };
 *   sizes.push(ys.pitch.shape[0]);
 *   tf.dispose(batch);
 * });
 * assert.deepEqual(sizes, [3, 3, 2]);
 * ```
 */
export function tutorialDataset(
  index: TutorialWindowIndex,
  options: WindowDatasetOptions = {},
): tf.data.Dataset<tf.TensorContainer> {
  return windowDataset(index, gatherTutorialBatch, options);
}
