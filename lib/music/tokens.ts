/**
 * The classic family's text tokens: each moment where notes begin becomes one string.
 *
 * - A lone note is its pitch name with octave, spelled the way music21 spells a MIDI number:
 *   pitch classes 0..11 are `C C# D E- E F F# G G# A B- B` (sharps for C, F and G, flats for
 *   E and B, `-` meaning flat) and the octave is `floor(midi / 12) - 1`, so 60 is `"C4"`,
 *   61 `"C#4"`, 63 `"E-4"`, 70 `"B-4"`.
 * - Two or more notes that begin together are a chord: their pitch classes in normal order
 *   joined with dots, e.g. `"0.4.7"` (C major in any inversion or voicing), `"9.0.4"`
 *   (A minor), `"4.9"`. Octave doublings collapse, so C3+C4 gives `"0"`. Ties between
 *   equally compact orders follow Forte's rule, as current music21 does (see
 *   {@linkcode NormalOrderConvention} for Rahn's rule and for pre-2024 music21's results).
 *
 * Onsets are measured in quarter notes (`ticks / ppq`, so tempo changes do not matter) and
 * snapped to a grid before notes are grouped, as music21 does when it reads MIDI: every
 * onset goes to the nearest multiple of 1/4 or 1/3 of a quarter note (sixteenths and
 * eighth-note triplets), whichever is closer, the finer grid winning a tie and an exact
 * half-way point rounding up. The grid is the `quarterLengthDivisors` setting.
 *
 * Which tracks are read is the `instrument` option (see `InstrumentChoice` in
 * `lib/music/midi.ts`). By default, `"first-instrument"`, every track of the file's first
 * instrument is read, as the sources' `instrument.partitionByInstrument(midi).parts[0]`
 * does, and each track keeps its own chords: the two hands of a piano piece written as two
 * tracks give a right-hand token and a left-hand token when they strike together, in track
 * order, and the tokens of all tracks are interleaved by onset. `"all-merged"` instead
 * makes one chord of everything that begins together in any track; `"first-track"` reads
 * only the first track.
 *
 * Known differences from music21's reader, which the original notebooks used: music21
 * groups notes whose raw onsets lie within 1/16 of a quarter note *and* whose releases also
 * agree, puts same-onset notes with different lengths into separate voices (read back as
 * separate note tokens), and splits notes that cross a barline into tied pieces that each
 * give a token. Here every onset gives exactly one token and ties are not split.
 *
 * @module
 */
import {
  type InstrumentChoice,
  instrumentTracks,
  listMidiFiles,
  type Note,
  type ParsedMidi,
  parseMidi,
  type SkippedFile,
} from "./midi.ts";

/** music21's spelling of pitch classes 0..11 read from MIDI (`-` is a flat). */
export const PITCH_CLASS_NAMES = [
  "C",
  "C#",
  "D",
  "E-",
  "E",
  "F",
  "F#",
  "G",
  "G#",
  "A",
  "B-",
  "B",
] as const;

const LETTER_PC: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/**
 * Names a MIDI pitch with its octave, as music21 prints it: `pitchName(60) === "C4"`,
 * `pitchName(70) === "B-4"`, `pitchName(21) === "A0"`.
 *
 * Below MIDI 12 the octave is negative and, as in music21, the name becomes ambiguous
 * (`pitchName(4) === "E-1"`, the same text as E-flat 1); such pitches are below the piano.
 *
 * @throws {Error} when `midi` is not an integer in 0..127
 */
export function pitchName(midi: number): string {
  if (!Number.isInteger(midi) || midi < 0 || midi > 127) {
    throw new Error(`pitch: expected an integer MIDI number in 0..127, got ${midi}`);
  }
  return `${PITCH_CLASS_NAMES[midi % 12]}${Math.floor(midi / 12) - 1}`;
}

/**
 * Reads a pitch name with octave back into a MIDI number: a letter A-G, any number of `#`
 * (sharp) or `-` (flat) signs, then the octave (`"C4"` -> 60, `"E-4"` -> 63, `"D#4"` -> 63,
 * `"C-1"` -> 23, C-flat 1, as music21 reads that text).
 *
 * @throws {Error} naming the text when it is not a pitch name or falls outside 0..127
 */
export function parsePitchName(name: string): number {
  const m = /^([A-G])(#+|-+)?(-?\d+)$/.exec(name);
  if (!m) {
    throw new Error(
      `pitch name: expected a letter A-G, optional #/- signs and an octave (e.g. "C#4"), got ${
        JSON.stringify(name)
      }`,
    );
  }
  const signs = m[2] ?? "";
  const alter = signs.startsWith("#") ? signs.length : -signs.length;
  const midi = LETTER_PC[m[1]] + alter + 12 * (Number(m[3]) + 1);
  if (midi < 0 || midi > 127) {
    throw new Error(`pitch name ${JSON.stringify(name)}: MIDI ${midi} is outside 0..127`);
  }
  return midi;
}

/**
 * Which rule picks the normal order among the rotations of a chord's pitch classes. All
 * three first keep the rotations that span the smallest interval from first to last note.
 * - `"forte"`: ties go to the smallest interval from the first note to the second, then to
 *   the third, and so on (packed to the left, Forte's rule). This is what music21's
 *   `Chord.normalOrder` returns since its set-class tables were corrected in January 2024
 *   (music21 pull request #1664).
 * - `"rahn"`: ties go to the smallest interval from the first note to the second-to-last,
 *   then to the third-to-last, and so on (Rahn's rule, used by many textbooks).
 * - `"music21-legacy"`: what music21 returned before that fix, and so what the original
 *   notebooks (2019-2020) produced. A chord in the same orientation as its Forte prime form
 *   got the Forte normal order; a chord in the inverted orientation got the prime form's
 *   mirror image (`max - x` of each member, ascending) transposed onto it, which is not
 *   always the most compact order. Trichords never differ from `"forte"`; 12 tetrachords
 *   do, all transpositions of 4-19B, such as C-E-G-A-flat (legacy `0.4.7.8`, Forte
 *   `4.7.8.0`), and 36 pentachords, 48 hexachords, 48 heptachords, 24 octachords and 36
 *   nonachords.
 *
 * Forte and Rahn differ for a few set classes, e.g. {0,1,3,7,8}: Forte `0.1.3.7.8`, Rahn
 * `7.8.0.1.3`.
 */
export type NormalOrderConvention = "forte" | "rahn" | "music21-legacy";

/** Options for {@linkcode normalOrder} and {@linkcode chordToken}. */
export interface NormalOrderOptions {
  /**
   * Rule that picks the normal order; see {@linkcode NormalOrderConvention}.
   * @default {"forte"}
   */
  convention?: NormalOrderConvention;
}

/**
 * The normal order of a set of pitch classes: the rotation of its sorted distinct pitch
 * classes that spans the smallest interval from first to last, ties broken by
 * `options.convention` (see {@linkcode NormalOrderConvention}; the default, Forte's rule,
 * is what current music21 returns). A rotation that is still tied (a symmetric chord such as the diminished seventh
 * {2,5,8,11} or {0,1,6,7}) starts on the lowest pitch class, as music21 does.
 *
 * Values are reduced mod 12, so MIDI pitches may be passed directly; duplicates and octave
 * doublings collapse. One distinct pitch class gives a one-element order (`[0]` for C3+C4);
 * an empty input gives `[]`, as in music21. The input is not changed.
 *
 * `normalOrder([4, 7, 0])` is `[0, 4, 7]`; `normalOrder([9, 0, 4])` is `[9, 0, 4]`.
 *
 * @throws {Error} when a value is not an integer, or the convention is unknown
 */
export function normalOrder(
  pitchClasses: readonly number[],
  options: NormalOrderOptions = {},
): number[] {
  const convention = options.convention ?? "forte";
  if (convention !== "forte" && convention !== "rahn" && convention !== "music21-legacy") {
    throw new Error(
      `convention: expected "forte", "rahn" or "music21-legacy", got ${JSON.stringify(convention)}`,
    );
  }
  for (const pc of pitchClasses) {
    if (!Number.isInteger(pc)) throw new Error(`pitch classes: expected integers, got ${pc}`);
  }
  const pcs = [...new Set(pitchClasses.map((p) => ((p % 12) + 12) % 12))].sort((a, b) => a - b);
  if (pcs.length <= 1) return pcs;
  if (convention !== "music21-legacy") return compactRotation(pcs, convention);
  const normal = compactRotation(pcs, "forte");
  const fromZero = transposeToZero(normal);
  const inverted = pcs.map((pc) => (12 - pc) % 12).sort((a, b) => a - b);
  const inversion = transposeToZero(compactRotation(inverted, "forte"));
  // Forte's prime form: the more left-packed of the two orientations.
  if (!lexLess(inversion, fromZero)) return normal;
  const last = inversion[inversion.length - 1];
  const mirror = inversion.map((x) => last - x).reverse();
  const wanted = pcs.join();
  for (const t of pcs) {
    const candidate = mirror.map((x) => (x + t) % 12);
    if ([...candidate].sort((a, b) => a - b).join() === wanted) return candidate;
  }
  throw new Error(`normal order: no transposition of ${mirror} gives ${pcs} (please report)`);
}

function transposeToZero(rotation: number[]): number[] {
  return rotation.map((pc) => (pc - rotation[0] + 12) % 12);
}

/** The most compact rotation of sorted distinct pitch classes under Forte's or Rahn's rule. */
function compactRotation(pcs: number[], convention: "forte" | "rahn"): number[] {
  const n = pcs.length;
  let best: number[] = pcs;
  let bestKey: number[] | null = null;
  for (let r = 0; r < n; r++) {
    const rotation = [...pcs.slice(r), ...pcs.slice(0, r)];
    const fromFirst = transposeToZero(rotation);
    // Compare the span first, then the inner intervals in the convention's order.
    const inner = fromFirst.slice(1, n - 1);
    const key = [fromFirst[n - 1], ...(convention === "forte" ? inner : inner.reverse())];
    if (bestKey === null || lexLess(key, bestKey)) {
      best = rotation;
      bestKey = key;
    }
  }
  return best;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/**
 * The token of notes that begin together: their pitch classes in normal order joined with
 * dots (`chordToken([60, 64, 67]) === "0.4.7"`, `chordToken([64, 60, 67]) === "0.4.7"`,
 * `chordToken([48, 60]) === "0"`). The input is not changed.
 *
 * @param pitches MIDI pitches (or pitch classes)
 * @throws {Error} when `pitches` is empty or holds a non-integer
 */
export function chordToken(pitches: readonly number[], options: NormalOrderOptions = {}): string {
  if (pitches.length === 0) throw new Error("chord: expected at least one pitch, got none");
  return normalOrder(pitches, options).join(".");
}

/**
 * The token of one onset: a lone note gives its pitch name (`"C#4"`), two or more notes a
 * chord token (`"0.4.7"`). Two notes of the same pitch are still a chord (`"0"`), as in music21.
 *
 * @throws {Error} when `pitches` is empty or holds something other than a MIDI pitch
 */
export function onsetToken(pitches: readonly number[], options: NormalOrderOptions = {}): string {
  if (pitches.length === 1) return pitchName(pitches[0]);
  return chordToken(pitches, options);
}

/** True when `token` is a chord token (digits joined by dots, e.g. `"4.9"` or `"0"`). */
export function isChordToken(token: string): boolean {
  return /^\d+(\.\d+)*$/.test(token);
}

/**
 * The MIDI pitches a token stands for: a note token its own pitch, a chord token its
 * pitch classes placed in octave `chordOctave` (octave 4: pitch class 0 is MIDI 60), the
 * way music21 sounds a pitch class that has no octave.
 *
 * @throws {Error} naming the token when it is neither a note nor a chord token
 */
export function tokenPitches(token: string, chordOctave = 4): number[] {
  if (isChordToken(token)) {
    return token.split(".").map((part) => {
      const pc = Number(part);
      if (pc > 11) {
        throw new Error(`token ${JSON.stringify(token)}: pitch class ${pc} is outside 0..11`);
      }
      const midi = 12 * (chordOctave + 1) + pc;
      if (midi > 127) {
        throw new Error(`chordOctave: ${chordOctave} puts pitch class ${pc} above MIDI 127`);
      }
      return midi;
    });
  }
  try {
    return [parsePitchName(token)];
  } catch {
    throw new Error(
      `token ${
        JSON.stringify(token)
      }: expected a note name such as "C#4" or a chord such as "0.4.7"`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// Quantisation

/** music21's default MIDI quantisation grid: sixteenths (4 per quarter) and triplet eighths (3). */
export const DEFAULT_QUARTER_LENGTH_DIVISORS: readonly number[] = [4, 3];

function checkDivisors(divisors: readonly number[]): void {
  for (const d of divisors) {
    if (!Number.isInteger(d) || d < 1) {
      throw new Error(
        `quarterLengthDivisors: expected positive integers such as [4, 3], got ${
          JSON.stringify(divisors)
        }`,
      );
    }
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Snaps `beats` to the grid; returns [numerator, divisor] of the chosen grid point. */
function snap(beats: number, divisors: readonly number[]): [number, number] {
  let best: [number, number] = [0, 1];
  let bestError = Infinity;
  for (const d of divisors) {
    const k = Math.round(beats * d);
    // Rounded like music21, so floating-point noise cannot decide between grids.
    const error = Math.round(Math.abs(beats - k / d) * 1e7);
    if (error < bestError || (error === bestError && d > best[1])) {
      best = [k, d];
      bestError = error;
    }
  }
  return best;
}

/**
 * Snaps a time in quarter notes to the nearest point of the grid made of multiples of
 * `1 / d` for each divisor `d` (music21's rule: smallest error wins, a tie goes to the finer
 * grid, an exact half-way point rounds up). An empty grid returns `beats` unchanged.
 *
 * `quantizeBeats(0.3) === 1/3`, `quantizeBeats(0.26) === 0.25`.
 *
 * @param divisors grid divisions per quarter note
 * @throws {Error} naming `quarterLengthDivisors` when a divisor is not a positive integer
 */
export function quantizeBeats(
  beats: number,
  divisors: readonly number[] = DEFAULT_QUARTER_LENGTH_DIVISORS,
): number {
  checkDivisors(divisors);
  if (divisors.length === 0) return beats;
  const [k, d] = snap(beats, divisors);
  return k / d;
}

// ---------------------------------------------------------------------------------------
// MIDI -> tokens

/** Options for {@linkcode midiToTokens} and {@linkcode midiToTokenEvents}. */
export interface MidiToTokensOptions extends NormalOrderOptions {
  /**
   * Which tracks to read (see `InstrumentChoice` in `lib/music/midi.ts`): `"first-instrument"`
   * (every track of the first instrument, as music21 groups them; each track's chords kept
   * apart, tokens interleaved by onset, tracks at the same onset in file order),
   * `"first-track"`, `"all-merged"` (notes of different tracks that begin together form
   * one chord) or a track index. Drum tracks (MIDI channel 10) are read only by index.
   * @default {"first-instrument"}
   */
  instrument?: InstrumentChoice;
  /**
   * Onset grid, in divisions of a quarter note; onsets snap to the nearest multiple of
   * `1 / d` over all `d`. `[4, 3]` is music21's default (sixteenths and eighth-note
   * triplets); `[]` turns quantisation off (only exactly equal ticks form chords).
   * @default {[4, 3]}
   */
  quarterLengthDivisors?: readonly number[];
}

/** One onset of a piece: its token and quantised timing. */
export interface TokenEvent {
  /** The note or chord token. */
  token: string;
  /** Quantised onset in quarter notes from the start of the piece. */
  offsetBeats: number;
  /**
   * Quantised length in quarter notes of the longest note that begins here; never less than
   * one step of the finest grid (a note cannot vanish by rounding).
   */
  durationBeats: number;
  /** MIDI pitches that begin here, ascending (duplicates kept). */
  pitches: number[];
}

/**
 * Reads the chosen tracks of a MIDI file into onsets: notes are quantised in quarter notes
 * (`ticks / ppq`), grouped by quantised onset (per track with `"first-instrument"`, across
 * tracks with `"all-merged"`), and each group becomes one token (a note name or a chord).
 * Events are in onset order; groups of different tracks at the same onset follow the
 * tracks' order in the file (music21 keeps that order for ties too).
 *
 * @param midi a parsed MIDI file, or its bytes (not changed)
 * @returns events in onset order; empty if the chosen tracks have no notes
 * @throws {Error} when the bytes are not MIDI, or a setting is invalid
 */
export function midiToTokenEvents(
  midi: ParsedMidi | Uint8Array,
  options: MidiToTokensOptions = {},
): TokenEvent[] {
  const parsed = midi instanceof Uint8Array ? parseMidi(midi) : midi;
  const divisors = options.quarterLengthDivisors ?? DEFAULT_QUARTER_LENGTH_DIVISORS;
  checkDivisors(divisors);
  const ppq = parsed.header.ppq;
  // Grid points as integers: multiples of 1/unit of a quarter note (ticks when unquantised).
  const unit = divisors.length === 0 ? ppq : divisors.reduce((a, b) => (a * b) / gcd(a, b), 1);
  const minDurationUnits = divisors.length === 0 ? 1 : unit / Math.max(...divisors);
  const toUnits = (ticks: number): number => {
    if (divisors.length === 0) return ticks;
    const [k, d] = snap(ticks / ppq, divisors);
    return k * (unit / d);
  };
  const instrument = options.instrument ?? "first-instrument";
  const tracks = instrumentTracks(parsed, instrument);
  // One lane per track keeps each track's chords apart; a single lane merges them.
  const lanes = instrument === "first-instrument" ? tracks.length : 1;
  type Group = { onset: number; lane: number; pitches: number[]; durationUnits: number };
  const groups = new Map<number, Group>();
  tracks.forEach((track, t) => {
    const lane = lanes > 1 ? t : 0;
    for (const n of track.notes) {
      const onset = toUnits(n.ticks);
      const duration = Math.max(minDurationUnits, toUnits(n.ticks + n.durationTicks) - onset);
      const key = onset * lanes + lane; // onsets are whole grid units (or ticks)
      const group = groups.get(key);
      if (group) {
        group.pitches.push(n.midi);
        group.durationUnits = Math.max(group.durationUnits, duration);
      } else groups.set(key, { onset, lane, pitches: [n.midi], durationUnits: duration });
    }
  });
  const scale = divisors.length === 0 ? ppq : unit;
  return [...groups.values()]
    .sort((a, b) => a.onset - b.onset || a.lane - b.lane)
    .map(({ onset, ...g }) => {
      const pitches = g.pitches.sort((a, b) => a - b);
      return {
        token: onsetToken(pitches, options),
        offsetBeats: onset / scale,
        durationBeats: g.durationUnits / scale,
        pitches,
      };
    });
}

/**
 * Reads the chosen tracks of a MIDI file into their token sequence (see the module notes
 * and {@linkcode midiToTokenEvents}): `["E4", "4.9", "C#5", ...]`.
 *
 * @param midi a parsed MIDI file, or its bytes (not changed)
 * @throws {Error} when the bytes are not MIDI, or a setting is invalid
 */
export function midiToTokens(
  midi: ParsedMidi | Uint8Array,
  options: MidiToTokensOptions = {},
): string[] {
  return midiToTokenEvents(midi, options).map((e) => e.token);
}

// ---------------------------------------------------------------------------------------
// Tokens -> notes

/** Onset and length of one token, in quarter notes (as {@linkcode TokenEvent} carries). */
export interface TokenTiming {
  offsetBeats: number;
  durationBeats: number;
}

/** Options for {@linkcode tokensToNotes}. */
export interface TokensToNotesOptions {
  /**
   * Quarter notes between consecutive tokens (the original notebooks' fixed 0.5).
   * @default {0.5}
   */
  stepBeats?: number;
  /**
   * Length of every note in quarter notes (music21's default note, a quarter, which the
   * notebooks kept, so notes overlap the next onset).
   * @default {1}
   */
  durationBeats?: number;
  /**
   * Tempo used to turn quarter notes into seconds; write the same tempo into the file.
   * @default {120}
   */
  bpm?: number;
  /**
   * Octave in which chord pitch classes sound (4: pitch class 0 is MIDI 60).
   * @default {4}
   */
  chordOctave?: number;
  /**
   * Velocity of every note, 1..127.
   * @default {100}
   */
  velocity?: number;
  /**
   * Timing per token (for example from {@linkcode midiToTokenEvents}); when given it
   * replaces `stepBeats` and `durationBeats` and must have one entry per token.
   * @default {undefined}
   */
  timing?: readonly TokenTiming[];
}

/**
 * Turns tokens back into notes (times in seconds): each token starts `stepBeats` after the
 * previous one, a chord's pitch classes sound together in `chordOctave`. The result is
 * ready for `notesToMidi` from `lib/music/midi.ts` (pass the same `bpm`). The input is not changed.
 *
 * @returns notes sorted by start then pitch, `step` filled in as in `midiToNotes`
 * @throws {Error} naming the token and its position when a token cannot be read, or when
 *   `timing` does not have one entry per token
 */
export function tokensToNotes(
  tokens: readonly string[],
  options: TokensToNotesOptions = {},
): Note[] {
  const stepBeats = options.stepBeats ?? 0.5;
  const durationBeats = options.durationBeats ?? 1;
  const bpm = options.bpm ?? 120;
  const velocity = options.velocity ?? 100;
  if (!(bpm > 0)) throw new Error(`bpm: expected a positive number, got ${bpm}`);
  if (!(stepBeats >= 0)) throw new Error(`stepBeats: expected a number >= 0, got ${stepBeats}`);
  if (!(durationBeats > 0)) {
    throw new Error(`durationBeats: expected a positive number, got ${durationBeats}`);
  }
  const timing = options.timing;
  if (timing && timing.length !== tokens.length) {
    throw new Error(
      `timing: expected one entry per token (${tokens.length}), got ${timing.length}`,
    );
  }
  const secondsPerBeat = 60 / bpm;
  const raw: Array<Omit<Note, "step">> = [];
  tokens.forEach((token, i) => {
    let pitches;
    try {
      pitches = tokenPitches(token, options.chordOctave ?? 4);
    } catch (e) {
      throw new Error(`token ${i}: ${(e as Error).message}`);
    }
    const start = (timing ? timing[i].offsetBeats : i * stepBeats) * secondsPerBeat;
    const duration = (timing ? timing[i].durationBeats : durationBeats) * secondsPerBeat;
    for (const pitch of pitches) {
      raw.push({ pitch, start, end: start + duration, duration, velocity });
    }
  });
  raw.sort((a, b) => a.start - b.start || a.pitch - b.pitch);
  let prevStart = raw.length ? raw[0].start : 0;
  return raw.map((n) => {
    const note = { ...n, step: n.start - prevStart };
    prevStart = n.start;
    return note;
  });
}

// ---------------------------------------------------------------------------------------
// Folders

/** Options for {@linkcode loadTokenFolder}. */
export interface LoadTokenFolderOptions extends MidiToTokensOptions {
  /**
   * Files with fewer tokens than this are skipped (reported with the reason).
   * @default {1}
   */
  minTokens?: number;
  /**
   * Read at most this many files (in sorted path order); `Infinity` reads all.
   * @default {Infinity}
   */
  maxFiles?: number;
  /**
   * Called after each file with the number of files done and the total.
   * @default {undefined}
   */
  onProgress?: (done: number, total: number) => void;
}

/** One MIDI file read into tokens. */
export interface MidiFileTokens {
  /** Path of the file as found. */
  path: string;
  /** Tokens in time order. */
  tokens: string[];
}

/** What {@linkcode loadTokenFolder} found. */
export interface TokenFolder {
  /** Files that gave tokens, in sorted path order. */
  files: MidiFileTokens[];
  /** Files that were passed over, each with its reason. */
  skipped: SkippedFile[];
}

/**
 * Reads every MIDI file under a folder into token sequences. A file that cannot be read or
 * parsed, or that gives too few tokens, is skipped and listed with the reason; one bad file
 * never stops the folder.
 *
 * @param dir folder searched recursively for `.mid` / `.midi` files
 * @throws {Error} naming the folder when it is missing, holds no MIDI files, or no file
 *   gave enough tokens
 */
export function loadTokenFolder(dir: string, options: LoadTokenFolderOptions = {}): TokenFolder {
  const minTokens = options.minTokens ?? 1;
  const paths = listMidiFiles(dir).slice(0, options.maxFiles ?? Infinity);
  if (paths.length === 0) throw new Error(`data folder ${dir}: no .mid or .midi files found`);
  const files: MidiFileTokens[] = [];
  const skipped: SkippedFile[] = [];
  paths.forEach((path, i) => {
    try {
      const tokens = midiToTokens(parseMidi(Deno.readFileSync(path), path), options);
      if (tokens.length < minTokens) {
        skipped.push({ path, reason: `${tokens.length} tokens, expected at least ${minTokens}` });
      } else files.push({ path, tokens });
    } catch (e) {
      skipped.push({ path, reason: (e as Error).message.replace(`${path}: `, "") });
    }
    options.onProgress?.(i + 1, paths.length);
  });
  if (files.length === 0) {
    throw new Error(
      `data folder ${dir}: none of ${paths.length} MIDI files gave tokens (first problem: ${
        skipped[0]?.path
      }: ${skipped[0]?.reason})`,
    );
  }
  return { files, skipped };
}
