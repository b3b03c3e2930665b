/**
 * Generation on the exported page, with `lib/`'s own sampling: the same seed window choice,
 * the same seeded random stream and the same sampling loops (`generateNotes`,
 * `generateTokens`) as `deno task generate`, run a few notes at a time so that the page can
 * show progress and stay responsive between them. No browser API is used, so Deno runs it
 * too (the tests compare it with `generateMusic`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Note } from "../music/midi.ts";
import { tokensToNotes } from "../music/tokens.ts";
import { mulberry32 } from "../random/random.ts";
import { checkTemperature, pickSeedWindow, type Temperature } from "../random/sampling.ts";
import { generateNotes } from "../tutorial/sample.ts";
import type { NoteFeaturesRow } from "../tutorial/encode.ts";
import { generateTokens } from "../classic/sample.ts";
import { learnedTiming } from "../classic/timing.ts";
import { type Family, FAMILY_UNITS } from "../config/config.ts";
import {
  decodeFloat32,
  pieceLength,
  type WebClassicRun,
  type WebNotePiece,
  type WebRun,
  type WebTutorialRun,
} from "./run_data.ts";

/** A seed window: a piece (its index in the run's pieces) and the position of its first note. */
export interface WindowChoice {
  /** Index into the exported run's `pieces`. */
  piece: number;
  /** Note or token where the window starts. */
  offset: number;
}

/** Options for {@linkcode generateInPage}. */
export interface GenerateInPageOptions {
  /**
   * Seed of the window choice and of the sampling.
   * @default {the run's seed}
   */
  seed?: number;
  /**
   * Logits are divided by it; `"argmax"` takes the likeliest.
   * @default {the run's temperature}
   */
  temperature?: Temperature;
  /**
   * Notes (tutorial) or tokens (classic) to generate.
   * @default {the run's length}
   */
  length?: number;
  /**
   * A seed window to start from instead of the one the seed picks; sampling then draws from
   * a fresh stream of the seed.
   * @default {undefined (the seed picks it, as deno task generate does)}
   */
  window?: WindowChoice;
  /**
   * Called after each chunk with (done, length), and awaited: the page yields to the
   * browser there.
   * @default {undefined}
   */
  onProgress?: (done: number, total: number) => void | Promise<void>;
  /**
   * Notes or tokens generated between two progress calls.
   * @default {1}
   */
  chunk?: number;
}

/** What the page generated. */
export interface PageMusic {
  /** The generated notes (times in seconds from the first new note). */
  notes: Note[];
  /** The tokens the notes came from (classic family only). */
  tokens?: string[];
  /** The seed window used. */
  window: WindowChoice;
}

function pieceRows(piece: WebNotePiece): NoteFeaturesRow[] {
  const step = decodeFloat32(piece.stepF32);
  const duration = decodeFloat32(piece.durationF32);
  return piece.pitch.map((pitch, i) => ({ pitch, step: step[i], duration: duration[i] }));
}

/**
 * The seed, the checked temperature and the seed window of a generation: the window asked
 * for (checked), else the one the seed picks, as `deno task generate` does.
 */
function settingsOf(
  run: WebRun,
  options: GenerateInPageOptions,
  sequences: ReadonlyArray<readonly unknown[]>,
): { seed: number; temperature: Temperature; choice: WindowChoice } {
  const seed = options.seed ?? run.defaults.seed;
  const temperature = checkTemperature(options.temperature ?? run.defaults.temperature);
  if (options.window) {
    checkWindow(run, options.window);
    return { seed, temperature, choice: options.window };
  }
  const picked = pickSeedWindow(sequences, {
    sequenceLength: run.sequenceLength,
    seed,
    unit: FAMILY_UNITS[run.family].units,
  });
  return { seed, temperature, choice: { piece: picked.file, offset: picked.offset } };
}

/**
 * Generates `length` items `options.chunk` at a time with `next(n)`, reporting progress (and
 * yielding to the browser) after each chunk.
 */
async function inChunks<T>(
  length: number,
  options: GenerateInPageOptions,
  next: (n: number) => T[],
): Promise<T[]> {
  const out: T[] = [];
  const chunk = Math.max(1, options.chunk ?? 1);
  while (out.length < length) {
    out.push(...next(Math.min(chunk, length - out.length)));
    await options.onProgress?.(out.length, length);
  }
  return out;
}

function checkWindow(run: WebRun, choice: WindowChoice): void {
  const piece = run.pieces[choice.piece];
  if (!Number.isInteger(choice.piece) || !piece) {
    throw new Error(
      `seed window: expected a piece 0..${run.pieces.length - 1}, got ${choice.piece}`,
    );
  }
  const last = pieceLength(piece) - run.sequenceLength;
  if (!Number.isInteger(choice.offset) || choice.offset < 0 || choice.offset > last) {
    throw new Error(
      `seed window: a window of ${run.sequenceLength} in ${piece.name} (${pieceLength(piece)} ${
        FAMILY_UNITS[run.family].units
      }) starts at 0..${last}, got ${choice.offset}`,
    );
  }
}

async function generateTutorial(
  model: tf.LayersModel,
  run: WebTutorialRun,
  options: GenerateInPageOptions,
  length: number,
): Promise<PageMusic> {
  const { seed, temperature, choice } = settingsOf(run, options, run.pieces.map((p) => p.pitch));
  // As generateFromTutorialRun: the window comes from the seed, the sampling from seed + 1.
  const random = mulberry32(seed + 1);
  let window = pieceRows(run.pieces[choice.piece])
    .slice(choice.offset, choice.offset + run.sequenceLength);
  const parts = await inChunks(length, options, (n) => {
    const part = generateNotes(model, window, {
      length: n,
      temperature,
      topK: run.topK,
      random,
      pitchScale: run.pitchScale,
    });
    window = [...window, ...part].slice(-run.sequenceLength);
    return part;
  });
  // Each chunk counts its starts from 0: place every note after the one before.
  const notes: Note[] = [];
  for (const n of parts) {
    const start = (notes.at(-1)?.start ?? 0) + n.step;
    notes.push({ ...n, start, end: start + n.duration });
  }
  return { notes, window: choice };
}

async function generateClassic(
  model: tf.LayersModel,
  run: WebClassicRun,
  options: GenerateInPageOptions,
  length: number,
): Promise<PageMusic> {
  const { seed, temperature, choice } = settingsOf(run, options, run.pieces.map((p) => p.ids));
  let window = run.pieces[choice.piece].ids
    .slice(choice.offset, choice.offset + run.sequenceLength);
  // As generateFromClassicRun: the window comes from the seed, the sampling from seed + 1.
  const random = mulberry32(seed + 1);
  const ids = await inChunks(length, options, (n) => {
    const part = generateTokens(model, window, { length: n, temperature, topK: run.topK, random });
    window = [...window, ...part].slice(-run.sequenceLength);
    return part;
  });
  const tokens = ids.map((id) => run.vocabulary[id]);
  const timing = run.timing ? learnedTiming(tokens, run.timing) : undefined;
  const notes = tokensToNotes(tokens, { stepBeats: run.stepBeats, bpm: run.midi.bpm, timing });
  return { notes, tokens, window: choice };
}

/**
 * Generates music with an exported run's model, in chunks (see the module notes).
 *
 * @param model the run's model, loaded with `tf.loadLayersModel`
 * @throws {Error} naming the setting when the temperature, length or window is out of range
 */
export async function generateInPage(
  model: tf.LayersModel,
  run: WebRun,
  options: GenerateInPageOptions = {},
): Promise<PageMusic> {
  const length = options.length ?? run.defaults.length;
  if (!Number.isInteger(length) || length < 1) {
    throw new Error(`length: expected a positive integer, got ${length}`);
  }
  return await GENERATE[run.family](model, run, options, length);
}

/** Each family's generation in the page, by `run.family`. */
const GENERATE: Readonly<
  Record<
    Family,
    (
      model: tf.LayersModel,
      run: WebRun,
      options: GenerateInPageOptions,
      length: number,
    ) => Promise<PageMusic>
  >
> = {
  tutorial: (model, run, options, length) =>
    generateTutorial(model, run as WebTutorialRun, options, length),
  classic: (model, run, options, length) =>
    generateClassic(model, run as WebClassicRun, options, length),
};
