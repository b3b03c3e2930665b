/**
 * MIDI in and out: read files into note tables, write note tables back to MIDI.
 *
 * A {@linkcode Note} is one row of the tutorial's note table: pitch and timing in
 * seconds, plus `step` (time since the previous note's start) and `duration`.
 *
 * @module
 */
import tonejs from "@tonejs/midi";
import { join } from "node:path";

const { Midi } = tonejs;

/** One note, with times in seconds. */
export interface Note {
  /** MIDI pitch, 0..127 (60 is middle C). */
  pitch: number;
  /** Onset time in seconds from the start of the piece. */
  start: number;
  /** Release time in seconds. */
  end: number;
  /** Seconds since the previous note's onset (0 for the first note and for chord tones). */
  step: number;
  /** Seconds the note sounds (`end - start`). */
  duration: number;
  /** Velocity, 0..127. */
  velocity: number;
}

/** One MIDI file read into notes. */
export interface MidiFileNotes {
  /** Path of the file as found. */
  path: string;
  /** Notes sorted by start, then pitch. */
  notes: Note[];
}

/** A file that was passed over, with the reason. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** Options for {@linkcode midiToNotes}. */
export interface MidiToNotesOptions {
  /**
   * Which instrument to read: a track index, `"first"` (the first track with notes that is
   * not a drum track; drums are MIDI channel 10) or `"all"` (every non-drum track merged).
   * @default {"first"}
   */
  instrument?: number | "first" | "all";
}

/** A parsed MIDI file as @tonejs/midi gives it. */
export type ParsedMidi = InstanceType<typeof Midi>;

/**
 * Parses MIDI bytes.
 *
 * @param bytes the contents of a `.mid` file (not changed)
 * @param name the file's name, used in the error message
 * @throws {Error} naming the file when the bytes are not a readable MIDI file
 */
export function parseMidi(bytes: Uint8Array, name = "<bytes>"): ParsedMidi {
  if (bytes.length < 14) {
    throw new Error(`${name}: not a MIDI file (expected at least 14 bytes, got ${bytes.length})`);
  }
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== "MThd") {
    throw new Error(
      `${name}: not a MIDI file (expected header "MThd", got ${JSON.stringify(magic)})`,
    );
  }
  const problem = checkChunks(bytes);
  if (problem) throw new Error(`${name}: could not parse MIDI (${problem})`);
  try {
    const midi = new Midi(bytes);
    for (const track of midi.tracks) {
      for (const n of track.notes) {
        if (!Number.isFinite(n.time) || !Number.isFinite(n.duration)) {
          throw new Error("note with a non-finite time");
        }
      }
    }
    return midi;
  } catch (e) {
    throw new Error(`${name}: could not parse MIDI (${(e as Error).message})`);
  }
}

/** Walks the chunk structure; returns what is wrong, or undefined when it is whole. */
function checkChunks(bytes: Uint8Array): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4);
  const declared = view.getUint16(10);
  let pos = 8 + headerLength;
  let tracks = 0;
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos + 4);
    const isTrack = view.getUint32(pos) === 0x4d54726b; // "MTrk"
    if (pos + 8 + length > bytes.length) {
      return `truncated: a chunk declares ${length} bytes but ${bytes.length - pos - 8} remain`;
    }
    if (isTrack) tracks++;
    pos += 8 + length;
  }
  if (tracks < declared) return `truncated: header declares ${declared} tracks, found ${tracks}`;
  return undefined;
}

function isDrumTrack(track: ParsedMidi["tracks"][number]): boolean {
  return track.channel === 9 || track.instrument.percussion;
}

/**
 * Reads the notes of one instrument into a note table.
 *
 * @param midi a parsed MIDI file, or its bytes
 * @param options which instrument to read
 * @returns notes sorted by start then pitch, with `step` and `duration` filled in; empty if the
 *   chosen instrument has no notes
 * @throws {Error} when `options.instrument` names a track that does not exist
 */
export function midiToNotes(
  midi: ParsedMidi | Uint8Array,
  options: MidiToNotesOptions = {},
): Note[] {
  const parsed = midi instanceof Uint8Array ? parseMidi(midi) : midi;
  const instrument = options.instrument ?? "first";
  const melodic = parsed.tracks.filter((t) => !isDrumTrack(t) && t.notes.length > 0);
  let tracks;
  if (instrument === "first") tracks = melodic.slice(0, 1);
  else if (instrument === "all") tracks = melodic;
  else {
    if (!Number.isInteger(instrument) || instrument < 0 || instrument >= parsed.tracks.length) {
      throw new Error(
        `instrument: expected a track index in 0..${
          parsed.tracks.length - 1
        }, "first" or "all", got ${instrument}`,
      );
    }
    tracks = [parsed.tracks[instrument]];
  }
  const raw = tracks.flatMap((t) =>
    t.notes.map((n) => ({
      pitch: n.midi,
      start: n.time,
      end: n.time + n.duration,
      velocity: Math.round(n.velocity * 127),
    }))
  );
  raw.sort((a, b) => a.start - b.start || a.pitch - b.pitch);
  let prevStart = raw.length ? raw[0].start : 0;
  return raw.map((n) => {
    const note = { ...n, step: n.start - prevStart, duration: n.end - n.start };
    prevStart = n.start;
    return note;
  });
}

/** Options for {@linkcode loadMidiFolder}. */
export interface LoadMidiFolderOptions extends MidiToNotesOptions {
  /**
   * Files with fewer notes than this are skipped (reported with the reason).
   * @default {1}
   */
  minNotes?: number;
  /**
   * Read at most this many files (in sorted path order); `Infinity` reads all.
   * @default {Infinity}
   */
  maxFiles?: number;
}

/** What {@linkcode loadMidiFolder} found. */
export interface MidiFolder {
  /** Files that gave notes, in sorted path order. */
  files: MidiFileNotes[];
  /** Files that were passed over, each with its reason. */
  skipped: SkippedFile[];
}

/**
 * Lists every `.mid` / `.midi` file under a folder, recursively, in sorted order.
 *
 * @throws {Error} naming the folder when it does not exist or is not a folder
 */
export function listMidiFiles(dir: string): string[] {
  let info;
  try {
    info = Deno.statSync(dir);
  } catch {
    throw new Error(`data folder ${dir}: not found`);
  }
  if (!info.isDirectory) throw new Error(`data folder ${dir}: expected a folder, got a file`);
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of Deno.readDirSync(d)) {
      const p = join(d, entry.name);
      if (entry.isDirectory) walk(p);
      else if (entry.isFile && /\.midi?$/i.test(entry.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Loads every MIDI file under a folder into note tables. A file that cannot be read or
 * parsed, or that has too few notes, is skipped and listed in `skipped` with the reason;
 * one bad file never stops the folder.
 *
 * @param dir folder to search recursively for `.mid` / `.midi` files
 * @throws {Error} naming the folder when it is missing, holds no MIDI files, or no file
 *   gave any notes
 */
export function loadMidiFolder(dir: string, options: LoadMidiFolderOptions = {}): MidiFolder {
  const minNotes = options.minNotes ?? 1;
  const paths = listMidiFiles(dir).slice(0, options.maxFiles ?? Infinity);
  if (paths.length === 0) throw new Error(`data folder ${dir}: no .mid or .midi files found`);
  const files: MidiFileNotes[] = [];
  const skipped: SkippedFile[] = [];
  for (const path of paths) {
    try {
      const notes = midiToNotes(parseMidi(Deno.readFileSync(path), path), options);
      if (notes.length < minNotes) {
        skipped.push({ path, reason: `${notes.length} notes, expected at least ${minNotes}` });
      } else files.push({ path, notes });
    } catch (e) {
      skipped.push({ path, reason: (e as Error).message.replace(`${path}: `, "") });
    }
  }
  if (files.length === 0) {
    throw new Error(
      `data folder ${dir}: none of ${paths.length} MIDI files gave notes (first problem: ${
        skipped[0]?.path
      }: ${skipped[0]?.reason})`,
    );
  }
  return { files, skipped };
}

/** Options for {@linkcode notesToMidi}. */
export interface NotesToMidiOptions {
  /**
   * General MIDI program (0-based: 0 is Acoustic Grand Piano).
   * @default {0}
   */
  program?: number;
  /**
   * Velocity for notes that have none, 0..127.
   * @default {100}
   */
  velocity?: number;
  /**
   * Tempo written to the file, in beats per minute. Note times stay in seconds.
   * @default {120}
   */
  bpm?: number;
  /**
   * Track name.
   * @default {"generated"}
   */
  name?: string;
}

/**
 * Writes notes to a single-track MIDI file. Onsets come from `start` when present,
 * otherwise from accumulating `step`; the input is not changed.
 *
 * @returns the bytes of a Standard MIDI File (format 1)
 */
export function notesToMidi(
  notes: Array<Pick<Note, "pitch" | "duration"> & Partial<Note>>,
  options: NotesToMidiOptions = {},
): Uint8Array {
  const midi = new Midi();
  midi.header.setTempo(options.bpm ?? 120);
  const track = midi.addTrack();
  track.name = options.name ?? "generated";
  track.instrument.number = options.program ?? 0;
  let prevStart = 0;
  for (const n of notes) {
    const start = n.start ?? prevStart + (n.step ?? 0);
    prevStart = start;
    const velocity = Math.min(127, Math.max(1, n.velocity ?? options.velocity ?? 100));
    track.addNote({
      midi: Math.min(127, Math.max(0, Math.round(n.pitch))),
      time: Math.max(0, start),
      duration: Math.max(0, n.duration),
      velocity: velocity / 127,
    });
  }
  return midi.toArray();
}
