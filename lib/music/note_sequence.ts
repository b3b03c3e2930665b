/**
 * Notes as a Magenta `NoteSequence`: the JSON object magenta-js works with (`mm.NoteSequence`,
 * field names as its protobuf `toJSON` writes them, in camelCase), so a generated piece can go
 * to magenta-js tools (players, visualizers, `mm.sequences`, `mm.sequenceProtoToMidi`).
 *
 * Times stay in seconds, as in a note table; the sequence is not quantized. The tempo and
 * time signature are what the MIDI file of {@linkcode notesToMidi} holds for the same notes
 * and options (one tempo; 4/4, which magenta-js also assumes for a file without one).
 *
 * @example A two-note piece
 * ```ts
 * import { toNoteSequence } from "midi-lstm/music";
 *
 * const ns = toNoteSequence([
 *   { pitch: 60, start: 0, duration: 0.5, velocity: 90 },
 *   { pitch: 64, step: 0.5, duration: 1 },
 * ], { bpm: 100 });
 * console.log(ns.notes[1].startTime, ns.totalTime, ns.tempos[0].qpm); // 0.5 1.5 100
 * ```
 *
 * @module
 */
import type { Note } from "./midi.ts";
import { placeNotes } from "./_placement.ts";

/** One note of a {@linkcode NoteSequence} (magenta's `NoteSequence.Note`). */
export interface NoteSequenceNote {
  /** MIDI pitch, 0..127. */
  pitch: number;
  /** Velocity, 1..127 (an integer). */
  velocity: number;
  /** Onset in seconds. */
  startTime: number;
  /** Release in seconds. */
  endTime: number;
  /** Instrument number within the sequence (magenta numbers each track's notes so). */
  instrument: number;
  /** General MIDI program, 0-based. */
  program: number;
  /** Whether the note is a drum hit (MIDI channel 10). */
  isDrum: boolean;
}

/** A tempo change (magenta's `NoteSequence.Tempo`). */
export interface NoteSequenceTempo {
  /** When it starts, in seconds. */
  time: number;
  /** Quarter notes per minute. */
  qpm: number;
}

/** A time signature (magenta's `NoteSequence.TimeSignature`). */
export interface NoteSequenceTimeSignature {
  /** When it starts, in seconds. */
  time: number;
  numerator: number;
  denominator: number;
}

/** A piece as magenta-js's `mm.NoteSequence` (the fields this project fills). */
export interface NoteSequence {
  /** MIDI ticks per quarter note, what `mm.sequenceProtoToMidi` writes. */
  ticksPerQuarter: number;
  timeSignatures: NoteSequenceTimeSignature[];
  tempos: NoteSequenceTempo[];
  /** The notes, in the order given. */
  notes: NoteSequenceNote[];
  /** The last release, in seconds (0 without notes). */
  totalTime: number;
}

/** Options for {@linkcode toNoteSequence}. */
export interface NoteSequenceOptions {
  /**
   * General MIDI program (0-based: 0 is Acoustic Grand Piano) of every note.
   * @default {0}
   */
  program?: number;
  /**
   * Velocity for notes that have none, 1..127.
   * @default {100}
   */
  velocity?: number;
  /**
   * Tempo, in quarter notes (beats) per minute. Note times stay in seconds.
   * @default {120}
   */
  bpm?: number;
  /**
   * Time signature.
   * @default {{ numerator: 4, denominator: 4 }}
   */
  timeSignature?: { numerator: number; denominator: number };
  /**
   * MIDI ticks per quarter note (the resolution of a MIDI file made from the sequence).
   * @default {480 (what `notesToMidi` writes)}
   */
  ticksPerQuarter?: number;
  /**
   * Instrument number of every note.
   * @default {0}
   */
  instrument?: number;
  /**
   * Mark every note as a drum hit.
   * @default {false}
   */
  isDrum?: boolean;
}

/**
 * The notes as a magenta-js `NoteSequence` (write it with `JSON.stringify`; magenta-js reads
 * it with `mm.NoteSequence.fromObject` or uses it as it is). Onsets come from `start` when
 * present, otherwise from accumulating `step`, as {@linkcode notesToMidi} reads them; pitches
 * are rounded and clamped to 0..127 and velocities to 1..127 as there. The input is not
 * changed.
 *
 * @param notes the piece (for example what `generateMusic` returns)
 * @returns a new object; every number finite
 * @throws {Error} naming the note when a pitch, onset, duration or velocity is not a finite
 *   number, or the option when `bpm`, `ticksPerQuarter` or the time signature is not positive
 */
export function toNoteSequence(
  notes: ReadonlyArray<Pick<Note, "pitch" | "duration"> & Partial<Note>>,
  options: NoteSequenceOptions = {},
): NoteSequence {
  const bpm = options.bpm ?? 120;
  const ticksPerQuarter = options.ticksPerQuarter ?? 480;
  const { numerator, denominator } = options.timeSignature ?? { numerator: 4, denominator: 4 };
  if (!(Number.isFinite(bpm) && bpm > 0)) {
    throw new Error(`bpm: expected a number above 0, got ${bpm}`);
  }
  for (
    const [name, value] of [
      ["ticksPerQuarter", ticksPerQuarter],
      ["timeSignature.numerator", numerator],
      ["timeSignature.denominator", denominator],
    ] as const
  ) {
    if (!(Number.isInteger(value) && value > 0)) {
      throw new Error(`${name}: expected a positive integer, got ${value}`);
    }
  }
  const program = options.program ?? 0;
  const instrument = options.instrument ?? 0;
  const isDrum = options.isDrum ?? false;
  const placed = placeNotes(notes);
  let totalTime = 0;
  const out = notes.map((n, i): NoteSequenceNote => {
    const { onsetSec, timeSec, durationSec, pitch } = placed[i];
    const velocity = n.velocity ?? options.velocity ?? 100;
    const fields = { pitch: n.pitch, start: onsetSec, duration: n.duration, velocity };
    for (const [name, value] of Object.entries(fields)) {
      if (!Number.isFinite(value)) {
        throw new Error(`note ${i}: expected a finite ${name}, got ${value}`);
      }
    }
    const endTime = timeSec + durationSec;
    totalTime = Math.max(totalTime, endTime);
    return {
      pitch,
      velocity: Math.min(127, Math.max(1, Math.round(velocity))),
      startTime: timeSec,
      endTime,
      instrument,
      program,
      isDrum,
    };
  });
  return {
    ticksPerQuarter,
    timeSignatures: [{ time: 0, numerator, denominator }],
    tempos: [{ time: 0, qpm: bpm }],
    notes: out,
    totalTime,
  };
}
