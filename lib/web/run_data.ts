/**
 * What an exported run hands to its page: `run.js` sets `globalThis.midiLstmRun` to a
 * {@linkcode WebRun}, the family's generation settings, the vocabulary or pitch scale, and
 * the pieces seed windows are taken from. Plain data: written by `deno task export`, read in
 * the browser.
 *
 * @module
 */
import type { Temperature } from "../random/sampling.ts";

/** The format tag of {@linkcode WebRun}; the page refuses data of another format. */
export const WEB_RUN_FORMAT = "midi-lstm-web-run/1";

/** A piece of the tutorial family: its notes as the model reads them. */
export interface WebNotePiece {
  /** File name (without folders). */
  name: string;
  /** MIDI pitches, one per note. */
  pitch: number[];
  /** Base64 of the little-endian float32 steps in seconds (the model reads float32). */
  stepF32: string;
  /** Base64 of the little-endian float32 durations in seconds. */
  durationF32: string;
}

/** A piece of the classic family: its token ids (tokens outside the vocabulary dropped). */
export interface WebTokenPiece {
  /** File name (without folders). */
  name: string;
  /** Token ids, oldest first. */
  ids: number[];
}

/** What both families' exports hold. */
export interface WebRunCommon {
  /** Always {@linkcode WEB_RUN_FORMAT}. */
  format: typeof WEB_RUN_FORMAT;
  /** The run folder's name. */
  name: string;
  /** Notes or tokens in a seed window (the model's input length). */
  sequenceLength: number;
  /** The run's generation defaults (`length`: notes or tokens to generate). */
  defaults: { seed: number; temperature: Temperature; length: number };
  /** Sample among the k most likely pitches or tokens (0: all). */
  topK: number;
  /** Tempo and General MIDI program of the `.mid` file. */
  midi: { bpm: number; program: number };
  /**
   * The run's `generate.memory`. The page always re-reads the window (`"window"`); with
   * `"carried"`, `deno task generate` gives other notes.
   */
  memory: "window" | "carried";
}

/** An exported tutorial-family run. */
export interface WebTutorialRun extends WebRunCommon {
  family: "tutorial";
  /** Input pitches are divided by this (`dataset.pitchScale`). */
  pitchScale: number;
  /** The pieces with at least `sequenceLength` notes, in corpus order. */
  pieces: WebNotePiece[];
}

/** The rhythm a classic run learnt, by token (the run's `timing.json`). */
export interface WebTimingTable {
  /** Quarter notes from a token's onset to the next, by token. */
  stepBeats: Record<string, number>;
  /** Quarter notes a token sounds, by token. */
  durationBeats: Record<string, number>;
  /** For tokens the table lacks. */
  fallback: { stepBeats: number; durationBeats: number };
}

/** An exported classic-family run. */
export interface WebClassicRun extends WebRunCommon {
  family: "classic";
  /** The token of each id. */
  vocabulary: string[];
  /** Quarter notes between onsets with fixed timing. */
  stepBeats: number;
  /** The learnt rhythm when the run plays with `timing: "learned"`, else null. */
  timing: WebTimingTable | null;
  /** Pieces in corpus order, as ids. */
  pieces: WebTokenPiece[];
}

/** An exported run of either family. */
export type WebRun = WebTutorialRun | WebClassicRun;

/** Notes or tokens in a piece of an exported run. */
export function pieceLength(piece: WebNotePiece | WebTokenPiece): number {
  return "pitch" in piece ? piece.pitch.length : piece.ids.length;
}

/** Encodes numbers as base64 of little-endian float32 values (rounding each to float32). */
export function encodeFloat32(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/**
 * Decodes what {@linkcode encodeFloat32} wrote.
 *
 * @throws {Error} when the bytes are not a whole number of float32 values
 */
export function decodeFloat32(base64: string): Float32Array {
  const text = atob(base64);
  if (text.length % 4 !== 0) {
    throw new Error(`float32 data: expected a multiple of 4 bytes, got ${text.length}`);
  }
  const view = new DataView(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) view.setUint8(i, text.charCodeAt(i));
  const out = new Float32Array(text.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
