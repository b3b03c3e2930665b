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
import { placeNotes } from "./_placement.ts";
import { MAX_MIDI_BYTES, prepareSmf } from "./_smf.ts";

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

/**
 * Which notes of a file to read. Drum tracks (MIDI channel 10) are never read, except by
 * index; nor are tracks without notes.
 * - `"first-instrument"`: every track playing the file's first instrument, as music21's
 *   `instrument.partitionByInstrument(midi).parts[0]` (what the classic sources read). The
 *   instrument is the General MIDI program of a track's first program change; the first
 *   instrument is that of the first track with one, and every track with the same program
 *   belongs to it, so a piano piece written as two tracks (right hand, left hand, both
 *   program 0) reads both hands. Tracks without a program change are left out, as music21
 *   leaves them out of every part; when no track has one, every track is read (music21's
 *   fallback `midi.flat.notes`). The classic family's default.
 * - `"first-track"`: the first track (pretty_midi's `instruments[0]`, what the tutorial
 *   source reads, except that a drum track is passed over). The tutorial family's default.
 * - `"all-merged"`: every track.
 * - a track index: that track only (drums included).
 * - `"first"` and `"all"`: older names of `"first-track"` and `"all-merged"`, still read so
 *   that saved runs keep their meaning.
 *
 * `"first-instrument"` follows music21 as the sources used it (2019-2020, version 5, where
 * only program changes make instruments). Two differences: music21 groups parts by
 * instrument name, which merges some programs (later versions name programs 0-5 all
 * "Piano"; version 5 gives programs it has no class for no name), where this groups by
 * program number; and music21 reads drum tracks like any other.
 *
 * Tracks are as {@linkcode midiToNotes} describes: one per (program, channel) pair of each
 * file track. A note table merges the notes of the chosen tracks; tokens (see
 * `midiToTokens` in `lib/music/tokens.ts`) keep each track's chords apart with
 * `"first-instrument"` and merge them with `"all-merged"`.
 */
export type InstrumentChoice =
  | number
  | "first-instrument"
  | "first-track"
  | "all-merged"
  | "first"
  | "all";

/** The named instrument choices (a track index is the other kind); see {@linkcode InstrumentChoice}. */
export const INSTRUMENT_CHOICES: readonly string[] = [
  "first-instrument",
  "first-track",
  "all-merged",
  "first",
  "all",
];

/** Options for {@linkcode midiToNotes}. */
export interface MidiToNotesOptions {
  /**
   * Which tracks to read (see {@linkcode InstrumentChoice}); their notes are merged.
   * @default {"first-track"}
   */
  instrument?: InstrumentChoice;
}

/** A parsed MIDI file as @tonejs/midi gives it. */
export type ParsedMidi = InstanceType<typeof Midi>;

/** One track of a parsed MIDI file. */
export type MidiTrack = ParsedMidi["tracks"][number];

/** Program of each track's first program change (null: none), for files read by parseMidi. */
const TRACK_PROGRAMS = new WeakMap<MidiTrack, number | null>();

/**
 * Parses MIDI bytes. The chunk and event structure is checked first (lengths, variable-length
 * numbers, data bytes, running status, tempo values), so a corrupt file is refused with a
 * reason instead of being half-read; unknown chunk types and anything after the last declared
 * track are skipped, malformed meta events other than tempo are dropped, and a RIFF-wrapped
 * file (`.rmi`) is unwrapped. Notes are paired in linear time (see {@linkcode midiToNotes}
 * for the rules); times follow the tempo map, with 120 bpm before the first tempo event as
 * the standard says. Files over 16 MiB are refused.
 *
 * @param bytes the contents of a `.mid` file (not changed)
 * @param name the file's name, used in the error message
 * @throws {Error} naming the file when the bytes are not a readable MIDI file
 */
export function parseMidi(bytes: Uint8Array, name = "<bytes>"): ParsedMidi {
  if (bytes.length === 0) throw new Error(`${name}: not a MIDI file (the file is empty)`);
  const smf = unwrapRiff(bytes, name);
  if (smf.length < 14) {
    throw new Error(`${name}: not a MIDI file (expected at least 14 bytes, got ${smf.length})`);
  }
  const magic = String.fromCharCode(...smf.subarray(0, 4));
  if (magic !== "MThd") {
    throw new Error(
      `${name}: not a MIDI file (expected header "MThd", got ${JSON.stringify(magic)})`,
    );
  }
  try {
    const prepared = prepareSmf(smf);
    const midi = new Midi(prepared.bytes);
    if (midi.tracks.length !== prepared.notes.length) {
      throw new Error(
        `internal error: @tonejs/midi made ${midi.tracks.length} tracks, expected ` +
          `${prepared.notes.length}`,
      );
    }
    midi.tracks.forEach((track, i) => {
      if (prepared.channels[i] >= 0) track.channel = prepared.channels[i];
      for (const note of prepared.notes[i]) track.addNote(note);
      TRACK_PROGRAMS.set(track, prepared.programs[i] >= 0 ? prepared.programs[i] : null);
    });
    // As @tonejs/midi does: a format-1 file's first track without notes (the tempo track)
    // is not an instrument.
    if (prepared.format === 1 && midi.tracks[0]?.duration === 0) midi.tracks.shift();
    const tempos = midi.header.tempos;
    if (tempos.length > 0 && tempos[0].ticks > 0) {
      tempos.unshift({ ticks: 0, bpm: 120 });
      midi.header.update();
    }
    for (const track of midi.tracks) {
      for (const n of track.notes) {
        if (!Number.isFinite(n.time) || !Number.isFinite(n.duration)) {
          throw new Error("note with a non-finite time");
        }
      }
    }
    return midi;
  } catch (e) {
    throw new Error(`${name}: could not parse MIDI (${errorMessage(e)})`);
  }
}

/** `midi-file` throws strings; everything else throws Errors. */
function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Returns the Standard MIDI File inside a RIFF "RMID" wrapper, or the bytes unchanged. */
function unwrapRiff(bytes: Uint8Array, name: string): Uint8Array {
  const ascii = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || ascii(0) !== "RIFF" || ascii(8) !== "RMID") return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let pos = 12; pos + 8 <= bytes.length;) {
    const size = view.getUint32(pos + 4, true);
    if (ascii(pos) === "data") {
      return bytes.subarray(pos + 8, Math.min(bytes.length, pos + 8 + size));
    }
    pos += 8 + size + (size & 1);
  }
  throw new Error(`${name}: not a MIDI file (a RIFF RMID file without a "data" chunk)`);
}

function isDrumTrack(track: MidiTrack): boolean {
  return track.channel === 9 || track.instrument.percussion;
}

/**
 * The General MIDI program (0..127) of a track's first program change, or `null` when the
 * track has none (@tonejs/midi reports program 0 then). For a file not read by
 * {@linkcode parseMidi}, the program @tonejs/midi reports.
 */
export function trackProgram(track: MidiTrack): number | null {
  const program = TRACK_PROGRAMS.get(track);
  return program === undefined ? track.instrument.number : program;
}

/**
 * Checks an instrument choice (see {@linkcode InstrumentChoice}).
 *
 * @param setting the setting's name, for the message
 * @throws {Error} naming the setting and the valid values when `value` is neither a named
 *   choice nor a track index (an integer >= 0)
 */
export function checkInstrumentChoice(value: unknown, setting = "instrument"): void {
  const named = typeof value === "string" && INSTRUMENT_CHOICES.includes(value);
  if (named || (Number.isInteger(value) && (value as number) >= 0)) return;
  throw new Error(
    `${setting}: expected "first-instrument", "first-track", "all-merged" or a track index, ` +
      `got ${JSON.stringify(value)}`,
  );
}

/**
 * The tracks an instrument choice reads (see {@linkcode InstrumentChoice}), in file order.
 *
 * @returns the chosen tracks; empty when the file has no non-drum notes (or, for
 *   `"first-track"`, `"first-instrument"` and `"all-merged"`, only drum notes)
 * @throws {Error} naming `instrument` when it is not a valid choice, or a track index that
 *   the file does not have
 */
export function instrumentTracks(midi: ParsedMidi, instrument: InstrumentChoice): MidiTrack[] {
  checkInstrumentChoice(instrument);
  const melodic = midi.tracks.filter((t) => !isDrumTrack(t) && t.notes.length > 0);
  switch (instrument) {
    case "first-instrument": {
      const withProgram = melodic.filter((t) => trackProgram(t) !== null);
      if (withProgram.length === 0) return melodic;
      const program = trackProgram(withProgram[0]);
      return withProgram.filter((t) => trackProgram(t) === program);
    }
    case "first-track":
    case "first":
      return melodic.slice(0, 1);
    case "all-merged":
    case "all":
      return melodic;
  }
  if ((instrument as number) >= midi.tracks.length) {
    throw new Error(
      `instrument: expected a track index in 0..${midi.tracks.length - 1}, ` +
        `"first-instrument", "first-track" or "all-merged", got ${instrument}`,
    );
  }
  return [midi.tracks[instrument as number]];
}

/**
 * Reads the notes of the chosen tracks (by default the first; see
 * {@linkcode InstrumentChoice}) into one note table.
 *
 * Tracks are as @tonejs/midi numbers them: a track that mixes channels or programs is split
 * into one track per (program, channel) pair, in order of first appearance, so a format-0
 * file (everything in one track) gives one track per channel, and a format-1 file's leading
 * tempo track without notes is left out. `"first-track"` is therefore the first channel to
 * appear in a format-0 file (pretty_midi also makes one instrument per program, channel and
 * track). Drum tracks (MIDI channel 10, index 9) are skipped by the named choices but can
 * be read by index.
 *
 * Note-ons are paired with note-offs (or note-ons of velocity 0) per track, channel and
 * pitch: each note-on takes the earliest unused note-off at or after it. So overlapping
 * notes of the same pitch are kept, paired first in, first out (on 0 s, on 1 s, off 2 s,
 * off 3 s gives 0-2 s and 1-3 s); zero-length notes (note-off at the note-on's tick) are
 * kept with `duration` 0, as they round-trip through {@linkcode notesToMidi}; a note-on
 * that is never released is dropped, and a note-off that releases nothing is ignored.
 *
 * @param midi a parsed MIDI file, or its bytes
 * @param options which tracks to read
 * @returns notes sorted by start then pitch, with `step` and `duration` filled in; empty if the
 *   chosen tracks have no notes
 * @throws {Error} when `options.instrument` is not a valid choice or names a track that does
 *   not exist, or (bytes only) as {@linkcode parseMidi}
 */
export function midiToNotes(
  midi: ParsedMidi | Uint8Array,
  options: MidiToNotesOptions = {},
): Note[] {
  const parsed = midi instanceof Uint8Array ? parseMidi(midi) : midi;
  const tracks = instrumentTracks(parsed, options.instrument ?? "first-track");
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
      else if (/\.midi?$/i.test(entry.name) && (entry.isFile || isFileLink(p))) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** True for a symbolic link to a file (links to folders are not followed: no loops). */
function isFileLink(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return true; // a dangling link is listed, and then skipped with the reason
  }
}

/**
 * Loads every MIDI file under a folder into note tables. A file that cannot be read or
 * parsed (see {@linkcode parseMidi}), that is over 16 MiB, or that has too few notes is
 * skipped and listed in `skipped` with the reason; one bad file never stops the folder.
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
      const size = Deno.statSync(path).size;
      if (size > MAX_MIDI_BYTES) {
        throw new Error(`${path}: file too large: ${size} bytes, the limit is 16 MiB`);
      }
      const midi = parseMidi(Deno.readFileSync(path), path);
      const notes = midiToNotes(midi, options);
      if (notes.length < minNotes) {
        skipped.push({
          path,
          reason: `${notes.length} notes, expected at least ${minNotes}${fewNotesWhy(midi, notes)}`,
        });
      } else files.push({ path, notes });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      skipped.push({ path, reason: message.replace(`${path}: `, "") });
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

/** Why a file gave no notes: it has none at all, or only drum notes. */
function fewNotesWhy(midi: ParsedMidi, notes: Note[]): string {
  if (notes.length > 0) return "";
  const all = midi.tracks.reduce((sum, t) => sum + t.notes.length, 0);
  if (all === 0) return " (the file has no notes)";
  const drums = midi.tracks.reduce((sum, t) => sum + (isDrumTrack(t) ? t.notes.length : 0), 0);
  if (drums === all) return " (only drum notes, MIDI channel 10)";
  return "";
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
  const placed = placeNotes(notes);
  notes.forEach((n, i) => {
    const velocity = Math.min(127, Math.max(1, n.velocity ?? options.velocity ?? 100));
    const { pitch, timeSec, durationSec } = placed[i];
    track.addNote({ midi: pitch, time: timeSec, duration: durationSec, velocity: velocity / 127 });
  });
  return midi.toArray();
}
