/**
 * Turn notes into audio so notebooks can play what a model generated.
 *
 * {@linkcode renderWav} is a small built-in synthesiser (piano-like decaying harmonics) that
 * needs nothing installed. {@linkcode renderMidiToWav} uses the `fluidsynth` program with a
 * General MIDI SoundFont when both are installed, and otherwise falls back to the built-in
 * synthesiser, reporting which one it used and why.
 *
 * Both give 16-bit PCM mono WAV bytes, ready for an `<audio>` element.
 *
 * @module
 */
import { midiToNotes, type Note, notesToMidi, parseMidi } from "../music/midi.ts";
import { decodeWav, encodeWav } from "./_wav.ts";
import { join } from "node:path";

/**
 * A note to play: `pitch` and `duration` (seconds) are required; the onset comes from `start`
 * when present, otherwise from accumulating `step` (as in {@linkcode notesToMidi}).
 */
export type SynthNote = Pick<Note, "pitch" | "duration"> & Partial<Note>;

/** Options for {@linkcode renderWav}. */
export interface RenderWavOptions {
  /**
   * Samples per second of the output.
   * @default {22050}
   */
  sampleRate?: number;
  /**
   * Fade-in at each onset, in seconds, so notes start without a click.
   * @default {0.005}
   */
  attackSec?: number;
  /**
   * Fade-out after each note's end, in seconds; the audio lasts until the last note's end
   * plus this.
   * @default {0.25}
   */
  releaseSec?: number;
  /**
   * Velocity (1..127) for notes that have none.
   * @default {100}
   */
  velocity?: number;
  /**
   * Highest absolute sample value; louder passages (dense chords) are turned down smoothly
   * by a look-ahead limiter instead of clipping. 0.89 is about -1 dBFS.
   * @default {0.89}
   */
  ceiling?: number;
}

/** Harmonic amplitudes of the built-in tone, fundamental first. */
const HARMONICS = [1, 0.5, 0.28, 0.15, 0.08, 0.05];
/** Piano-string stiffness: partial h sounds at h*f*sqrt(1 + B*h^2). */
const INHARMONICITY = 0.0003;
/** Peak level of one note at velocity 127, before the limiter. */
const NOTE_LEVEL = 0.4;
/** Limiter gain recovery, in seconds for a full 0 -> 1 swing. */
const LIMITER_RELEASE_SEC = 0.12;

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name}: expected a number in ${min}..${max}, got ${value}`);
  }
  return value;
}

/**
 * One pitch's tone without envelope shaping beyond its natural decay: a sum of decaying,
 * slightly stretched harmonics, scaled so its peak is at most 1.
 */
function pitchTable(pitch: number, length: number, sampleRate: number): Float32Array {
  const table = new Float32Array(length);
  const freq = 440 * 2 ** ((pitch - 69) / 12);
  // Low notes ring longer than high ones, as on a piano.
  const tauSec = Math.min(4, Math.max(0.25, 1.6 * 2 ** (-(pitch - 60) / 20)));
  let total = 0;
  for (let h = 1; h <= HARMONICS.length; h++) {
    const f = h * freq * Math.sqrt(1 + INHARMONICITY * h * h);
    if (f >= 0.45 * sampleRate) break;
    const amp = HARMONICS[h - 1];
    total += amp;
    const w = (2 * Math.PI * f) / sampleRate;
    const decay = Math.exp(-(1 + 0.7 * (h - 1)) / (tauSec * sampleRate));
    // Sine by recurrence: s[n] = 2cos(w) s[n-1] - s[n-2]; no Math.sin per sample.
    const k = 2 * Math.cos(w);
    let s1 = 0; // sin(0)
    let s2 = -Math.sin(w); // sin(-w)
    let env = amp;
    for (let i = 0; i < length; i++) {
      table[i] += env * s1;
      const s0 = k * s1 - s2;
      s2 = s1;
      s1 = s0;
      env *= decay;
    }
  }
  if (total > 0) { for (let i = 0; i < length; i++) table[i] /= total; }
  return table;
}

/**
 * Turns down passages whose peak exceeds `ceiling` with a smooth gain curve that never lets
 * a sample through above it: the gain falls ahead of a peak (look-ahead attack) and recovers
 * gradually after it. Changes `samples` in place.
 */
function limit(samples: Float32Array, ceiling: number, sampleRate: number): void {
  let over = false;
  for (let i = 0; i < samples.length; i++) {
    if (samples[i] > ceiling || samples[i] < -ceiling) {
      over = true;
      break;
    }
  }
  if (!over) return;
  const n = samples.length;
  const gain = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.abs(samples[i]);
    gain[i] = a > ceiling ? ceiling / a : 1;
  }
  const releaseStep = 1 / (LIMITER_RELEASE_SEC * sampleRate);
  const attackStep = 1 / (0.005 * sampleRate);
  for (let i = 1; i < n; i++) gain[i] = Math.min(gain[i], gain[i - 1] + releaseStep);
  for (let i = n - 2; i >= 0; i--) gain[i] = Math.min(gain[i], gain[i + 1] + attackStep);
  for (let i = 0; i < n; i++) samples[i] *= gain[i];
}

/**
 * Renders notes to raw mono samples with the built-in synthesiser.
 *
 * @param notes notes to play (not changed); order does not matter when `start` is given
 * @returns samples in [-ceiling, ceiling]; length `ceil((last end + releaseSec) * sampleRate)`,
 *   or 0 when there are no notes
 * @throws {Error} naming the note when a pitch, start or duration is not a finite number, or
 *   naming the option when an option is out of range
 */
export function renderSamples(notes: SynthNote[], options: RenderWavOptions = {}): Float32Array {
  const sampleRate = checkRange("sampleRate", options.sampleRate ?? 22050, 1000, 192000);
  if (!Number.isInteger(sampleRate)) {
    throw new Error(`sampleRate: expected a whole number, got ${sampleRate}`);
  }
  const attackSec = checkRange("attackSec", options.attackSec ?? 0.005, 0, 1);
  const releaseSec = checkRange("releaseSec", options.releaseSec ?? 0.25, 0, 10);
  const defaultVelocity = checkRange("velocity", options.velocity ?? 100, 1, 127);
  const ceiling = checkRange("ceiling", options.ceiling ?? 0.89, 0.01, 1);

  // Resolve onsets and check every note once.
  const count = notes.length;
  const pitches = new Int32Array(count);
  const startIdx = new Int32Array(count);
  const holdLen = new Int32Array(count);
  const levels = new Float32Array(count);
  let prevStart = 0;
  let endSec = 0;
  for (let j = 0; j < count; j++) {
    const n = notes[j];
    const start = n.start ?? prevStart + (n.step ?? 0);
    prevStart = start;
    if (!Number.isFinite(n.pitch) || !Number.isFinite(start) || !Number.isFinite(n.duration)) {
      throw new Error(
        `notes[${j}]: expected finite pitch, start and duration, got pitch ${n.pitch}, start ${start}, duration ${n.duration}`,
      );
    }
    const s = Math.max(0, start);
    const d = Math.max(0, n.duration);
    pitches[j] = Math.min(127, Math.max(0, Math.round(n.pitch)));
    startIdx[j] = Math.round(s * sampleRate);
    holdLen[j] = Math.round(d * sampleRate);
    const v = Math.min(127, Math.max(1, n.velocity ?? defaultVelocity));
    levels[j] = NOTE_LEVEL * (v / 127) ** 1.5;
    endSec = Math.max(endSec, s + d);
  }
  if (count === 0) return new Float32Array(0);
  const total = Math.ceil((endSec + releaseSec) * sampleRate - 1e-9);
  const out = new Float32Array(total);
  const attackLen = Math.max(1, Math.round(attackSec * sampleRate));
  const releaseLen = Math.round(releaseSec * sampleRate);

  // One table per pitch, as long as that pitch's longest note needs.
  const needed = new Int32Array(128);
  for (let j = 0; j < count; j++) {
    needed[pitches[j]] = Math.max(needed[pitches[j]], holdLen[j] + releaseLen);
  }
  const tables: (Float32Array | undefined)[] = new Array(128);
  for (let p = 0; p < 128; p++) {
    if (needed[p] > 0) tables[p] = pitchTable(p, needed[p], sampleRate);
  }

  for (let j = 0; j < count; j++) {
    const table = tables[pitches[j]];
    if (!table) continue;
    const hold = holdLen[j];
    const level = levels[j];
    const first = startIdx[j];
    const len = Math.min(hold + releaseLen, total - first);
    for (let i = 0; i < len; i++) {
      let env = i < attackLen ? i / attackLen : 1;
      if (i >= hold) {
        const r = 1 - (i - hold) / releaseLen;
        env *= r * r;
      }
      out[first + i] += level * env * table[i];
    }
  }
  limit(out, ceiling, sampleRate);
  return out;
}

/**
 * Renders notes to a WAV file with the built-in synthesiser: a piano-like tone (decaying
 * harmonics, short attack and release), louder for higher velocity, chords summed and held
 * under `ceiling` by a smooth limiter so they never clip.
 *
 * @param notes notes to play (not changed)
 * @returns the bytes of a 16-bit PCM mono WAV file lasting until the last note's end plus
 *   `releaseSec` (a valid, empty WAV when there are no notes)
 * @throws {Error} as {@linkcode renderSamples} does
 */
export function renderWav(notes: SynthNote[], options: RenderWavOptions = {}): Uint8Array {
  return encodeWav(renderSamples(notes, options), options.sampleRate ?? 22050);
}

/** Options for {@linkcode renderMidiToWav}. */
export interface RenderMidiToWavOptions extends RenderWavOptions {
  /**
   * Try `fluidsynth` first; `false` always uses the built-in synthesiser.
   * @default {true}
   */
  useFluidsynth?: boolean;
  /**
   * The fluidsynth program: a name looked up on PATH, or a path.
   * @default {"fluidsynth"}
   */
  fluidsynthPath?: string;
  /**
   * SoundFont (.sf2 / .sf3) for fluidsynth. When not set, the `MIDI_SOUNDFONT` environment
   * variable and then common install paths are tried (see {@linkcode findSoundFont}).
   * @default {undefined}
   */
  soundFont?: string;
  /**
   * General MIDI program for notes given as a note table (0 is Acoustic Grand Piano).
   * MIDI bytes keep their own programs.
   * @default {0}
   */
  program?: number;
  /**
   * Give up on fluidsynth (and fall back) after this many seconds.
   * @default {120}
   */
  timeoutSec?: number;
}

/** What {@linkcode renderMidiToWav} made. */
export interface RenderedWav {
  /** The bytes of a 16-bit PCM mono WAV file. */
  wav: Uint8Array;
  /** Which synthesiser made it. */
  renderer: "fluidsynth" | "builtin";
  /** Samples per second of `wav`. */
  sampleRate: number;
  /** Length of the audio in seconds. */
  durationSec: number;
  /** The SoundFont fluidsynth used (only when `renderer` is `"fluidsynth"`). */
  soundFont?: string;
  /** Why fluidsynth was not used (only when `renderer` is `"builtin"`). */
  fallbackReason?: string;
}

/** SoundFonts tried, in order, after `options.soundFont` and `$MIDI_SOUNDFONT`. */
export const COMMON_SOUNDFONT_PATHS: readonly string[] = [
  "/usr/share/sounds/sf2/FluidR3_GM.sf2",
  "/usr/share/sounds/sf2/default-GM.sf2",
  "/usr/share/sounds/sf3/default-GM.sf3",
  "/usr/share/sounds/sf2/TimGM6mb.sf2",
  "/usr/share/sounds/sf3/MuseScore_General.sf3",
  "/usr/share/soundfonts/default.sf2",
  "/usr/share/soundfonts/FluidR3_GM.sf2",
  "/usr/local/share/soundfonts/default.sf2",
  "/opt/homebrew/share/soundfonts/default.sf2",
];

/** Why `path` is not a usable SoundFont, or undefined when it is one. */
function soundFontProblem(path: string): string | undefined {
  let file;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    return `SoundFont ${path}: cannot open (${(e as Error).name})`;
  }
  try {
    const head = new Uint8Array(12);
    const got = file.readSync(head) ?? 0;
    const text = String.fromCharCode(...head.subarray(0, got));
    if (text.slice(0, 4) !== "RIFF" || text.slice(8, 12) !== "sfbk") {
      return `SoundFont ${path}: expected a RIFF "sfbk" file, got ${JSON.stringify(text)}`;
    }
    return undefined;
  } finally {
    file.close();
  }
}

function envSoundFont(): string | undefined {
  try {
    return Deno.env.get("MIDI_SOUNDFONT") || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

/**
 * Finds a readable SoundFont: `path` if given, else `$MIDI_SOUNDFONT` if set, else the first
 * of {@linkcode COMMON_SOUNDFONT_PATHS} that exists.
 *
 * @returns the path, or undefined when none was found or the one named is not a SoundFont
 */
export function findSoundFont(path?: string): string | undefined {
  const named = path ?? envSoundFont();
  if (named !== undefined) return soundFontProblem(named) ? undefined : named;
  return COMMON_SOUNDFONT_PATHS.find((p) => !soundFontProblem(p));
}

/** Renders with fluidsynth; returns mono samples or a reason it could not. */
async function fluidsynthSamples(
  midiBytes: Uint8Array,
  soundFont: string,
  sampleRate: number,
  options: RenderMidiToWavOptions,
): Promise<Float32Array | string> {
  const program = options.fluidsynthPath ?? "fluidsynth";
  let dir;
  try {
    dir = await Deno.makeTempDir({ prefix: "synth-" });
  } catch (e) {
    return `cannot make a temporary folder (${(e as Error).message})`;
  }
  try {
    const midPath = join(dir, "in.mid");
    const wavPath = join(dir, "out.wav");
    await Deno.writeFile(midPath, midiBytes);
    const timeoutSec = options.timeoutSec ?? 120;
    const signal = AbortSignal.timeout(timeoutSec * 1000);
    const tooSlow = `${program} took longer than timeoutSec=${timeoutSec}`;
    let result;
    try {
      result = await new Deno.Command(program, {
        args: [
          "-ni",
          "-q",
          "-g",
          "0.5",
          "-r",
          String(sampleRate),
          "-T",
          "wav",
          "-O",
          "s16",
          "-F",
          wavPath,
          soundFont,
          midPath,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal,
      }).output();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return `program ${program} not found`;
      if (signal.aborted) return tooSlow;
      return `could not run ${program} (${(e as Error).message})`;
    }
    const stderr = new TextDecoder().decode(result.stderr).trim().split("\n").slice(-3).join(" | ");
    if (signal.aborted) return tooSlow;
    if (!result.success) {
      return `${program} exited with code ${result.code}${stderr ? `: ${stderr}` : ""}`;
    }
    let bytes;
    try {
      bytes = await Deno.readFile(wavPath);
    } catch {
      return `${program} wrote no audio file${stderr ? `: ${stderr}` : ""}`;
    }
    const decoded = decodeWav(bytes, `${program} output`);
    if (decoded.sampleRate !== sampleRate) {
      return `${program} wrote ${decoded.sampleRate} Hz, expected ${sampleRate} Hz`;
    }
    // Mix down to mono and normalise the peak to the ceiling.
    const frames = decoded.channels[0].length;
    const mono = new Float32Array(frames);
    for (const ch of decoded.channels) {
      for (let i = 0; i < frames; i++) mono[i] += ch[i] / decoded.channels.length;
    }
    let peak = 0;
    for (let i = 0; i < frames; i++) peak = Math.max(peak, Math.abs(mono[i]));
    if (peak === 0) {
      return `${program} rendered silence with ${soundFont}${stderr ? `: ${stderr}` : ""}`;
    }
    const scale = (options.ceiling ?? 0.89) / peak;
    for (let i = 0; i < frames; i++) mono[i] *= scale;
    return mono;
  } catch (e) {
    return `fluidsynth render failed (${(e as Error).message})`;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Renders MIDI to a WAV file, with `fluidsynth` and a General MIDI SoundFont when both are
 * installed (its stereo output mixed to mono and its peak set to `ceiling`), otherwise with
 * the built-in synthesiser ({@linkcode renderWav}). A missing program or SoundFont, or a
 * failing fluidsynth run, is not an error: the result says `renderer: "builtin"` and gives
 * the `fallbackReason`.
 *
 * Needs `--allow-run` and `--allow-write` (temporary folder) for fluidsynth; without them it
 * falls back.
 *
 * @param midi the bytes of a MIDI file, or a note table (written as one track with
 *   `options.program`); not changed. The built-in synthesiser plays every non-drum track of a
 *   MIDI file.
 * @throws {Error} naming the problem when MIDI bytes cannot be parsed, or as
 *   {@linkcode renderSamples} does for bad notes or options
 */
export async function renderMidiToWav(
  midi: Uint8Array | SynthNote[],
  options: RenderMidiToWavOptions = {},
): Promise<RenderedWav> {
  const sampleRate = options.sampleRate ?? 22050;
  const builtin = (fallbackReason: string): RenderedWav => {
    const notes = midi instanceof Uint8Array
      ? midiToNotes(parseMidi(midi, "midi"), { instrument: "all" })
      : midi;
    const samples = renderSamples(notes, options);
    return {
      wav: encodeWav(samples, sampleRate),
      renderer: "builtin",
      sampleRate,
      durationSec: samples.length / sampleRate,
      fallbackReason,
    };
  };
  if (options.useFluidsynth === false) return builtin("useFluidsynth is false");
  // Check inputs and options before running anything, so bad input throws either way.
  renderSamples([], options);
  if (midi instanceof Uint8Array) parseMidi(midi, "midi");
  const named = options.soundFont ?? envSoundFont();
  let soundFont: string | undefined;
  if (named !== undefined) {
    const problem = soundFontProblem(named);
    if (problem) return builtin(problem);
    soundFont = named;
  } else {
    soundFont = findSoundFont();
    if (!soundFont) {
      return builtin(`no SoundFont found (set MIDI_SOUNDFONT or options.soundFont)`);
    }
  }
  const bytes = midi instanceof Uint8Array ? midi : notesToMidi(midi, {
    program: options.program ?? 0,
    velocity: options.velocity ?? 100,
  });
  const samples = await fluidsynthSamples(bytes, soundFont, sampleRate, options);
  if (typeof samples === "string") return builtin(samples);
  return {
    wav: encodeWav(samples, sampleRate),
    renderer: "fluidsynth",
    sampleRate,
    durationSec: samples.length / sampleRate,
    soundFont,
  };
}
