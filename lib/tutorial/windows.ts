/**
 * The tutorial family's training data: note tables cut into windows of `sequenceLength` notes,
 * each labelled with the note that follows, served as a `tf.data` pipeline
 * (shuffle -> batch -> prefetch), each epoch in an order fixed by the seed and the epoch.
 *
 * Windows are built on the fly from per-file feature arrays, one batch at a time, so memory
 * holds the notes once rather than every overlapping window. Windows never cross from one
 * file into the next, and the validation split is made by file, so no window leaks across it.
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
import { mulberry32, randomInt } from "../random/random.ts";
import { deriveSeed, SEED_TAG } from "../random/seeds.ts";

/** Options for {@linkcode tutorialWindows} and {@linkcode tutorialDataset}. */
export interface WindowOptions {
  /**
   * Notes per input window.
   * @default {25}
   */
  sequenceLength?: number;
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

/** Where every window starts, as (file index, first note) pairs. */
export interface WindowIndex {
  files: NoteFeatures[];
  /** File index of each window. */
  file: Int32Array;
  /** First note of each window within its file. */
  offset: Int32Array;
  /** Number of windows. */
  count: number;
  sequenceLength: number;
  pitchScale: number;
  input: ModelInput;
}

/**
 * Indexes every window of `sequenceLength` notes that has a following note to predict, within
 * each file. Files shorter than `sequenceLength + 1` notes give no windows. Nothing is copied.
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
  options: WindowOptions = {},
): WindowIndex {
  const sequenceLength = options.sequenceLength ?? 25;
  if (!Number.isInteger(sequenceLength) || sequenceLength < 1) {
    throw new Error(`sequenceLength: expected a positive integer, got ${sequenceLength}`);
  }
  const features = files.map((f) => "values" in f ? f : notesToFeatures(f.notes, f.path));
  const perFile = features.map((f) => Math.max(0, f.count - sequenceLength));
  const count = perFile.reduce((a, b) => a + b, 0);
  if (count === 0 && features.length > 0) {
    const longest = Math.max(...features.map((f) => f.count));
    throw new Error(
      `sequenceLength: ${sequenceLength} needs files of at least ${
        sequenceLength + 1
      } notes, but the longest of ${features.length} has ${longest}`,
    );
  }
  const file = new Int32Array(count);
  const offset = new Int32Array(count);
  let w = 0;
  perFile.forEach((n, fi) => {
    for (let i = 0; i < n; i++, w++) {
      file[w] = fi;
      offset[w] = i;
    }
  });
  return {
    files: features,
    file,
    offset,
    count,
    sequenceLength,
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
export function tutorialLabels(index: WindowIndex): Int32Array {
  const labels = new Int32Array(index.count);
  for (let w = 0; w < index.count; w++) {
    labels[w] = index.files[index.file[w]].values[labelRow(index, w)];
  }
  return labels;
}

/** Where window `w`'s label note (pitch, step, duration) starts in its file's `values`. */
function labelRow(index: WindowIndex, w: number): number {
  return (index.offset[w] + index.sequenceLength) * 3;
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
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { gatherBatch, selectBackend, tutorialWindows } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 *
 * const notes = [60, 62, 64, 65, 67].map((pitch, i) => ({
 *   pitch, start: i / 2, end: i / 2 + 0.5, step: i === 0 ? 0 : 0.5, duration: 0.5, velocity: 90,
 * }));
 * const index = tutorialWindows([{ path: "scale.mid", notes }], { sequenceLength: 3 });
 * const { xs, ys } = gatherBatch(index, [1, 0]); // window 1, then window 0
 * // [batch, notes, 3]: pitch / 128, step, duration
 * assert.deepEqual((xs as tf.Tensor).shape, [2, 3, 3]);
 * assert.deepEqual(Array.from(ys.pitch.dataSync()), [67, 65]);
 * tf.dispose([xs, ys.pitch, ys.step, ys.duration]);
 * ```
 */
export function gatherBatch(index: WindowIndex, windows: ArrayLike<number>): TutorialBatch {
  const { sequenceLength, pitchScale, input } = index;
  const n = windows.length;
  const xs = new Float32Array(n * sequenceLength * 3);
  const pitch = new Int32Array(n);
  const step = new Float32Array(n);
  const duration = new Float32Array(n);
  for (let b = 0; b < n; b++) {
    const w = windows[b];
    const { values } = index.files[index.file[w]];
    const from = index.offset[w] * 3;
    xs.set(values.subarray(from, from + sequenceLength * 3), b * sequenceLength * 3);
    const next = labelRow(index, w);
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

/** Options for {@linkcode tutorialDataset}. */
export interface TutorialDatasetOptions {
  /**
   * Windows per batch.
   * @default {64}
   */
  batchSize?: number;
  /**
   * Shuffle buffer, in windows; 0 turns shuffling off. A buffer at least as large as the
   * number of windows gives a full shuffle.
   * @default {10000}
   */
  shuffleBuffer?: number;
  /**
   * Seed of the shuffle. Each pass over the data is one epoch and reshuffles; the order of
   * epoch `e` depends only on `seed` and `e`, so a resumed run sees the same order as an
   * uninterrupted one.
   * @default {0}
   */
  seed?: number;
  /**
   * Epoch (0-based) of the first pass; later passes count up from it. A run resumed after
   * `n` epochs passes `n`.
   * @default {0}
   */
  epoch?: number;
  /**
   * Stop each pass after this many batches (`null`: all windows). Quick runs use it.
   * @default {null}
   */
  maxBatches?: number | null;
  /**
   * Batches prepared ahead of the one being trained on.
   * @default {2}
   */
  prefetch?: number;
}

/**
 * Window numbers `0..count-1` in the order a shuffle buffer of `buffer` windows gives them
 * (as `tf.data`'s `shuffle`): the buffer fills with the first windows, then each step emits a
 * random window of the buffer and puts the next one in its place. A buffer as large as
 * `count` gives a uniformly random permutation.
 */
function shuffledOrder(count: number, buffer: number, random: () => number): Int32Array {
  const order = new Int32Array(count);
  const held: number[] = [];
  let out = 0;
  for (let id = 0; id < count; id++) {
    if (held.length < buffer) {
      held.push(id);
      continue;
    }
    const j = randomInt(random, held.length);
    order[out++] = held[j];
    held[j] = id;
  }
  while (held.length > 0) {
    const j = randomInt(random, held.length);
    order[out++] = held[j];
    held[j] = held[held.length - 1];
    held.pop();
  }
  return order;
}

/**
 * The tutorial's input pipeline: window numbers -> shuffle -> batch -> gather -> prefetch.
 * Each element is a {@linkcode TutorialBatch}, as `model.fitDataset` expects. Each
 * iteration is one epoch with its own seeded order (see `seed` and `epoch`).
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
  index: WindowIndex,
  options: TutorialDatasetOptions = {},
): tf.data.Dataset<tf.TensorContainer> {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize: expected a positive integer, got ${batchSize}`);
  }
  const buffer = options.shuffleBuffer ?? 10000;
  const seed = options.seed ?? 0;
  let epoch = options.epoch ?? 0;
  function* batches(): Iterator<tf.TensorContainer> {
    const order = buffer > 0
      ? shuffledOrder(index.count, buffer, mulberry32(deriveSeed(seed, SEED_TAG.shuffle, epoch)))
      : Int32Array.from({ length: index.count }, (_, i) => i);
    epoch++;
    const end = Math.min(order.length, (options.maxBatches ?? Infinity) * batchSize);
    for (let from = 0; from < end; from += batchSize) {
      yield gatherBatch(
        index,
        order.subarray(from, Math.min(end, from + batchSize)),
      ) as unknown as tf.TensorContainer;
    }
  }
  return tf.data.generator(batches).prefetch(options.prefetch ?? 2);
}
