/**
 * Writes the bundled training corpus: `data/tunes/*.mid` and `data/README.md`.
 *
 * Every piece is authored here, by code: short tonal studies built from a seeded random
 * generator, plus a few public-domain melodies written out note by note and harmonised
 * simply. Each file is one piano track (program 0) holding melody and left-hand chords.
 * The output is the same on every run (seeded PRNG, no dates).
 *
 * Run from the repository root: `deno run -A data/make_corpus.ts`
 *
 * @module
 */
import tonejs from "@tonejs/midi";
import { join } from "node:path";
import { mulberry32, randomInt } from "../lib/random/random.ts";
import { loadMidiFolder } from "../lib/music/midi.ts";

const { Midi } = tonejs;

/** Seed of the pseudo-random generator; changing it changes every generated study. */
const SEED = 1729;
/** How many generated studies to write (the public-domain tunes come on top). */
const STUDY_COUNT = 50;

const DATA_DIR = import.meta.dirname ?? ".";
const TUNES_DIR = join(DATA_DIR, "tunes");

// ---------------------------------------------------------------------------------------------
// Music basics

type Mode = "major" | "minor";
type Style = "block" | "half-block" | "bass-chord" | "alberti" | "arpeggio";

interface Key {
  /** Pitch class of the tonic, 0 = C. */
  tonic: number;
  mode: Mode;
}

interface Chord {
  /** Pitch classes, root first. */
  pcs: number[];
  /** Roman numeral or chord name, for the README. */
  label: string;
}

/** One melody event: a pitch (MIDI number) or a rest (null), lasting `beats`. */
interface MelodyEvent {
  pitch: number | null;
  beats: number;
}

interface Piece {
  file: string;
  title: string;
  origin: string;
  key: Key;
  bpm: number;
  beatsPerBar: number;
  /** Beats of melody before bar 1 (an upbeat); the accompaniment starts at bar 1. */
  pickupBeats: number;
  melody: MelodyEvent[];
  /** One entry per bar; a bar with two chords splits evenly. */
  chords: Chord[][];
  style: Style;
  /** How many times the whole piece is played. */
  repeats: number;
  /** Melody notes sound for this fraction of their length (1 = fully legato). */
  articulation: number;
  form: string;
}

const NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];
const LETTER_PC: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
const MAJOR = [0, 2, 4, 5, 7, 9, 11];
const NATURAL_MINOR = [0, 2, 3, 5, 7, 8, 10];
function keyName(key: Key): string {
  return `${NOTE_NAMES[key.tonic]} ${key.mode}`;
}

const mod12 = (n: number) => ((n % 12) + 12) % 12;

/** Diatonic triad on a scale degree (0 = I); in minor, V is major (raised 7th). */
function degreeChord(key: Key, degree: number): Chord {
  const steps = key.mode === "major" ? MAJOR : NATURAL_MINOR;
  const pcs = [0, 2, 4].map((k) => mod12(key.tonic + steps[(degree + k) % 7]));
  if (key.mode === "minor" && degree === 4) pcs[1] = mod12(key.tonic + 11);
  const majorLabels = ["I", "ii", "iii", "IV", "V", "vi", "vii°"];
  const minorLabels = ["i", "ii°", "III", "iv", "V", "VI", "VII"];
  return { pcs, label: (key.mode === "major" ? majorLabels : minorLabels)[degree] };
}

/** Parses a chord name such as "G", "Em", "D7", "F#m", "Bb". */
function namedChord(name: string): Chord {
  const m = /^([A-G])(#|b)?(m|7|m7)?$/.exec(name);
  if (!m) throw new Error(`chord ${JSON.stringify(name)}: expected e.g. "G", "Em", "D7"`);
  const root = mod12(LETTER_PC[m[1]] + (m[2] === "#" ? 1 : m[2] === "b" ? -1 : 0));
  const minor = m[3] === "m" || m[3] === "m7";
  const pcs = [root, mod12(root + (minor ? 3 : 4)), mod12(root + 7)];
  if (m[3] === "7") pcs.push(mod12(root + 10));
  if (m[3] === "m7") pcs.push(mod12(root + 10));
  return { pcs, label: name };
}

/** The melody's scale under a chord: in minor, the leading tone replaces the 7th under V. */
function scaleUnder(key: Key, chord: Chord): number[] {
  const steps = key.mode === "major" ? MAJOR : NATURAL_MINOR;
  const pcs = steps.map((s) => mod12(key.tonic + s));
  const leading = mod12(key.tonic + 11);
  if (key.mode === "minor" && chord.pcs.includes(leading)) pcs[6] = leading;
  return pcs;
}

function pitchesWithin(pcs: number[], lo: number, hi: number): number[] {
  const out = [];
  for (let p = lo; p <= hi; p++) if (pcs.includes(mod12(p))) out.push(p);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generated studies

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[randomInt(random, items.length)];
}

/** Picks a candidate pitch, preferring ones near `prev` and near the middle of the range. */
function pickNear(random: Random, candidates: number[], prev: number, center: number): number {
  if (candidates.length === 0) throw new Error("pickNear: no candidates");
  const weights = candidates.map((c) =>
    Math.exp(-Math.abs(c - prev) / 2.5) * (c === prev ? 0.35 : 1) *
    Math.exp(-(((c - center) / 8) ** 2))
  );
  let r = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < candidates.length; i++) {
    r -= weights[i];
    if (r <= 0) return candidates[i];
  }
  return candidates[candidates.length - 1];
}

const RHYTHMS: Record<number, number[][]> = {
  4: [
    [1, 1, 1, 1],
    [1, 0.5, 0.5, 1, 1],
    [2, 1, 1],
    [0.5, 0.5, 0.5, 0.5, 1, 1],
    [1.5, 0.5, 1, 1],
    [1, 1, 2],
    [1, 0.5, 0.5, 2],
    [0.5, 0.5, 1, 0.5, 0.5, 1],
  ],
  3: [
    [1, 1, 1],
    [2, 1],
    [1, 0.5, 0.5, 1],
    [1.5, 0.5, 1],
    [0.5, 0.5, 1, 1],
    [1, 1, 0.5, 0.5],
  ],
};
const HALF_CADENCE_RHYTHMS: Record<number, number[][]> = {
  4: [[2, 2], [1, 1, 2], [4]],
  3: [[3], [2, 1], [1, 2]],
};
const FULL_CADENCE_RHYTHMS: Record<number, number[][]> = {
  4: [[2, 2], [1, 1, 2]],
  3: [[3], [1, 2]],
};

/** Four-bar progressions as scale degrees (0 = I); antecedents and B phrases end on V. */
const PROGRESSIONS = {
  major: {
    antecedent: [
      [0, 3, 0, 4],
      [0, 5, 3, 4],
      [0, 5, 1, 4],
      [0, 3, 1, 4],
      [0, 4, 5, 4],
      [0, 2, 3, 4],
    ],
    consequentBar3: [3, 1, 4],
    bridge: [[3, 0, 1, 4], [5, 3, 1, 4], [5, 2, 3, 4], [1, 4, 0, 4], [3, 4, 0, 4]],
  },
  minor: {
    antecedent: [[0, 3, 0, 4], [0, 5, 3, 4], [0, 6, 5, 4], [0, 2, 3, 4]],
    consequentBar3: [3, 5, 4],
    bridge: [[2, 6, 0, 4], [5, 2, 3, 4], [3, 0, 5, 4]],
  },
};

interface MelodyContext {
  random: Random;
  key: Key;
  beatsPerBar: number;
  lo: number;
  hi: number;
}

interface Bar {
  chords: Chord[];
  notes: MelodyEvent[];
}

/**
 * One bar of melody: chord tones on strong beats, scale steps between, and on the last note
 * the tonic (`"tonic"`) or a tone of the bar's last chord (`"half"`).
 */
function melodyBar(
  ctx: MelodyContext,
  chords: Chord[],
  rhythm: number[],
  prev: number,
  center: number,
  ending?: "tonic" | "half",
  firstPitch?: number,
): MelodyEvent[] {
  const { random, key, beatsPerBar, lo, hi } = ctx;
  const out: MelodyEvent[] = [];
  let pos = 0;
  let dir = random() < 0.5 ? 1 : -1;
  for (let k = 0; k < rhythm.length; k++) {
    const beats = rhythm[k];
    const chord =
      chords[Math.min(chords.length - 1, Math.floor(pos / (beatsPerBar / chords.length)))];
    const scale = pitchesWithin(scaleUnder(key, chord), lo, hi);
    const tones = scale.filter((p) => chord.pcs.includes(mod12(p)));
    const last = k === rhythm.length - 1;
    const strong = (Number.isInteger(pos) && (pos === 0 || (beatsPerBar === 4 && pos === 2))) ||
      beats >= 2;
    let pitch: number;
    if (k === 0 && firstPitch !== undefined) {
      pitch = firstPitch;
    } else if (last && ending === "tonic") {
      const tonics = tones.filter((p) => mod12(p) === key.tonic);
      pitch = tonics.reduce((a, b) => (Math.abs(b - prev) < Math.abs(a - prev) ? b : a));
    } else if (last && ending === "half") {
      pitch = pickNear(random, tones.filter((p) => Math.abs(p - prev) <= 5), prev, center);
    } else if (strong) {
      const near = tones.filter((p) => Math.abs(p - prev) <= 5);
      const wider = tones.filter((p) => Math.abs(p - prev) <= 7);
      pitch = pickNear(random, near.length ? near : wider.length ? wider : tones, prev, center);
    } else {
      if (prev > center + 6) dir = -1;
      else if (prev < center - 6) dir = 1;
      else if (random() < 0.3) dir = -dir;
      const r = random();
      let idx = scale.findIndex((p) => p >= prev);
      if (idx < 0) idx = scale.length - 1;
      if (scale[idx] !== prev && dir < 0) idx -= 1; // prev was off the scale: round down
      if (r < 0.78) {
        const next = Math.min(scale.length - 1, Math.max(0, idx + dir));
        pitch = scale[next];
      } else if (r < 0.86) {
        pitch = scale[Math.max(0, idx)];
      } else {
        const near = tones.filter((p) => Math.abs(p - prev) <= 5 && p !== prev);
        pitch = near.length ? pickNear(random, near, prev, center) : scale[Math.max(0, idx)];
      }
    }
    out.push({ pitch, beats });
    prev = pitch;
    pos += beats;
  }
  return out;
}

/**
 * Bar 1's contour moved onto another chord: the first note becomes a nearby chord tone and the
 * rest keep their scale-step distances from it (a melodic sequence).
 */
function sequenceBar(
  ctx: MelodyContext,
  model: MelodyEvent[],
  chord: Chord,
  prev: number,
  center: number,
): MelodyEvent[] {
  const scale = pitchesWithin(scaleUnder(ctx.key, chord), ctx.lo - 12, ctx.hi + 12);
  const idxOf = (p: number) => {
    const i = scale.findIndex((q) => q >= p);
    return i < 0 ? scale.length - 1 : i;
  };
  const modelIdx = model.map((e) => idxOf(e.pitch ?? 0));
  const tones = pitchesWithin(chord.pcs, ctx.lo, ctx.hi).filter((p) => Math.abs(p - prev) <= 7);
  const first = pickNear(ctx.random, tones, prev, center);
  let shift = idxOf(first) - modelIdx[0];
  const moved = () => modelIdx.map((i) => scale[i + shift]);
  let pitches = moved();
  // Keep the bar inside the melody range by moving it an octave (7 scale steps).
  while (pitches.some((p) => p === undefined || p > ctx.hi) && shift > -14) {
    shift -= 7;
    pitches = moved();
  }
  while (pitches.some((p) => p === undefined || p < ctx.lo) && shift < 14) {
    shift += 7;
    pitches = moved();
  }
  return model.map((e, i) => ({ pitch: pitches[i] ?? first, beats: e.beats }));
}

function lastPitch(bars: Bar[], fallback: number): number {
  for (let b = bars.length - 1; b >= 0; b--) {
    for (let n = bars[b].notes.length - 1; n >= 0; n--) {
      const p = bars[b].notes[n].pitch;
      if (p !== null) return p;
    }
  }
  return fallback;
}

const STYLES: Style[] = ["block", "half-block", "bass-chord", "alberti", "arpeggio"];
const STUDY_KEYS: Key[] = [
  { tonic: 0, mode: "major" },
  { tonic: 7, mode: "major" },
  { tonic: 5, mode: "major" },
  { tonic: 2, mode: "major" },
  { tonic: 10, mode: "major" },
  { tonic: 9, mode: "minor" },
  { tonic: 4, mode: "minor" },
  { tonic: 2, mode: "minor" },
];

/** A 16-bar (A A' B A') or 8-bar (A A') study over diatonic progressions. */
function makeStudy(index: number, random: Random): Piece {
  const key = STUDY_KEYS[index % STUDY_KEYS.length];
  const beatsPerBar = random() < 0.25 ? 3 : 4;
  const bars16 = random() < 0.85;
  const bpm = 90 + 5 * randomInt(random, 11);
  const style = pick(random, STYLES);
  const tonicMidi = 60 + key.tonic; // C4..B4
  const lo = Math.max(59, tonicMidi - 5);
  const ctx: MelodyContext = { random, key, beatsPerBar, lo, hi: tonicMidi + 14 };
  const center = tonicMidi + 5;
  const progs = PROGRESSIONS[key.mode];
  const chord = (d: number) => degreeChord(key, d);
  const rhythms = RHYTHMS[beatsPerBar];
  const rhythmA = pick(random, rhythms);
  let rhythmB = pick(random, rhythms);
  if (rhythmB === rhythmA) rhythmB = pick(random, rhythms);
  const rhythmC = pick(random, rhythms);
  const halfCadence = () => pick(random, HALF_CADENCE_RHYTHMS[beatsPerBar]);
  const fullCadence = () => pick(random, FULL_CADENCE_RHYTHMS[beatsPerBar]);

  // A: antecedent, ending on V (half cadence).
  const progA = pick(random, progs.antecedent);
  const a: Bar[] = [];
  const triad = key.mode === "major" ? [0, 4, 7] : [0, 3, 7];
  let prev = tonicMidi + pick(random, triad);
  for (let b = 0; b < 4; b++) {
    const chords = [chord(progA[b])];
    let notes;
    if (b === 0) {
      notes = melodyBar(ctx, chords, rhythmA, prev, center, undefined, prev);
    } else if (b === 2) notes = sequenceBar(ctx, a[0].notes, chords[0], prev, center);
    else if (b === 1) notes = melodyBar(ctx, chords, rhythmB, prev, center);
    else notes = melodyBar(ctx, chords, halfCadence(), prev, center, "half");
    a.push({ chords, notes });
    prev = lastPitch(a, prev);
  }

  // A': consequent, bars 1-2 as in A, then a cadence on I.
  const bar3Choice = pick(random, progs.consequentBar3);
  const bar3 = beatsPerBar === 3 ? 4 : bar3Choice; // 3/4 bars are not split: V in bar 3
  const a2: Bar[] = [a[0], a[1]];
  prev = lastPitch(a2, prev);
  const c3 = [chord(bar3)];
  a2.push({
    chords: c3,
    notes: melodyBar(ctx, c3, pick(random, [rhythmA, rhythmB]), prev, center),
  });
  prev = lastPitch(a2, prev);
  const c4 = beatsPerBar === 4 && bar3 !== 4 ? [chord(4), chord(0)] : [chord(0)];
  a2.push({
    chords: c4,
    notes: melodyBar(ctx, c4, fullCadence(), prev, center, "tonic"),
  });

  let bars = [...a, ...a2];
  let form = "A A'";
  if (bars16) {
    // B: a contrasting phrase, a little higher, ending on V; then A' again.
    const progB = pick(random, progs.bridge);
    const b: Bar[] = [];
    prev = lastPitch(a2, prev);
    const rhythmsB = [rhythmC, rhythmC, rhythmB];
    for (let i = 0; i < 4; i++) {
      const chords = [chord(progB[i])];
      const notes = i < 3
        ? melodyBar(ctx, chords, rhythmsB[i], prev, center + 3)
        : melodyBar(ctx, chords, halfCadence(), prev, center + 3, "half");
      b.push({ chords, notes });
      prev = lastPitch(b, prev);
    }
    bars = [...a, ...a2, ...b, ...a2];
    form = "A A' B A'";
  }

  const n = String(index + 1).padStart(2, "0");
  const slug = `${NOTE_NAMES[key.tonic].replace("#", "s").toLowerCase()}-${key.mode}`;
  return {
    file: `study-${n}-${slug}.mid`,
    title: `Study ${n} in ${keyName(key)}`,
    origin: `generated (seed ${SEED})`,
    key,
    bpm,
    beatsPerBar,
    pickupBeats: 0,
    melody: bars.flatMap((bar) => bar.notes),
    chords: bars.map((bar) => bar.chords),
    style,
    repeats: bars16 ? 1 : 2,
    articulation: pick(random, [0.95, 0.9, 0.8]),
    form,
  };
}

// ---------------------------------------------------------------------------------------------
// Public-domain melodies, written out here

/**
 * Parses melody text: notes like `G4q`, `F#5e`, `Bb4h.` (pitch, octave, duration w/h/q/e/s,
 * optional dot) or rests `Rq`, with `|` bar lines. Every bar must fill `beatsPerBar`; with an
 * upbeat of `pickupBeats`, the first segment is the upbeat and the last bar is short by the
 * same amount (so repeats stay in time).
 */
function parseMelody(
  name: string,
  text: string,
  beatsPerBar: number,
  pickupBeats: number,
): MelodyEvent[] {
  const lengths: Record<string, number> = { w: 4, h: 2, q: 1, e: 0.5, s: 0.25 };
  const segments = text.split("|").map((s) => s.trim()).filter((s) => s.length > 0);
  const out: MelodyEvent[] = [];
  segments.forEach((segment, i) => {
    let sum = 0;
    for (const token of segment.split(/\s+/)) {
      const m = /^(?:([A-G])(#|b)?(\d)|R)([whqes])(\.)?$/.exec(token);
      if (!m) throw new Error(`${name}: cannot read note ${JSON.stringify(token)}`);
      const beats = lengths[m[4]] * (m[5] ? 1.5 : 1);
      const pitch = m[1] === undefined
        ? null
        : 12 * (Number(m[3]) + 1) + LETTER_PC[m[1]] + (m[2] === "#" ? 1 : m[2] === "b" ? -1 : 0);
      out.push({ pitch, beats });
      sum += beats;
    }
    const isPickup = pickupBeats > 0 && i === 0;
    const isLast = i === segments.length - 1;
    const ok = isPickup
      ? sum === pickupBeats
      : sum === (isLast ? beatsPerBar - pickupBeats : beatsPerBar);
    if (!ok) throw new Error(`${name}: bar ${i + 1} (${segment}) lasts ${sum} beats`);
  });
  return out;
}

interface TuneSpec {
  slug: string;
  title: string;
  origin: string;
  key: Key;
  bpm: number;
  beatsPerBar: number;
  pickupBeats?: number;
  melody: string;
  /** Chord names per bar, bars separated by `|`, two names in a bar split it in halves. */
  chords: string;
  style: Style;
  repeats?: number;
}

const TUNES: TuneSpec[] = [
  {
    slug: "ode-to-joy",
    title: "Ode to Joy",
    origin: "Ludwig van Beethoven, Symphony No. 9 (1824)",
    key: { tonic: 7, mode: "major" },
    bpm: 112,
    beatsPerBar: 4,
    melody: `B4q B4q C5q D5q | D5q C5q B4q A4q | G4q G4q A4q B4q | B4q. A4e A4h |
      B4q B4q C5q D5q | D5q C5q B4q A4q | G4q G4q A4q B4q | A4q. G4e G4h |
      A4q A4q B4q G4q | A4q B4e C5e B4q G4q | A4q B4e C5e B4q A4q | G4q A4q D4h |
      B4q B4q C5q D5q | D5q C5q B4q A4q | G4q G4q A4q B4q | A4q. G4e G4h`,
    chords: `G | D | G | G D | G | D | G | D G | D G | D G | D | G D | G | D | G | D G`,
    style: "alberti",
  },
  {
    slug: "twinkle-twinkle",
    title: "Twinkle, Twinkle, Little Star",
    origin: `French traditional ("Ah ! vous dirai-je, maman", 1761)`,
    key: { tonic: 7, mode: "major" },
    bpm: 100,
    beatsPerBar: 4,
    melody: `G4q G4q D5q D5q | E5q E5q D5h | C5q C5q B4q B4q | A4q A4q G4h |
      D5q D5q C5q C5q | B4q B4q A4h | D5q D5q C5q C5q | B4q B4q A4h |
      G4q G4q D5q D5q | E5q E5q D5h | C5q C5q B4q B4q | A4q A4q G4h`,
    chords: `G | C G | C G | D G | G C | G D | G C | G D | G | C G | C G | D G`,
    style: "half-block",
  },
  {
    slug: "frere-jacques",
    title: "Frère Jacques",
    origin: "French traditional (18th century)",
    key: { tonic: 7, mode: "major" },
    bpm: 120,
    beatsPerBar: 4,
    melody: `G4q A4q B4q G4q | G4q A4q B4q G4q | B4q C5q D5h | B4q C5q D5h |
      D5e E5e D5e C5e B4q G4q | D5e E5e D5e C5e B4q G4q | G4q D4q G4h | G4q D4q G4h`,
    chords: `G | G | G | G | G | G | G | G`,
    style: "bass-chord",
    repeats: 2,
  },
  {
    slug: "greensleeves",
    title: "Greensleeves",
    origin: "English traditional (16th century)",
    key: { tonic: 9, mode: "minor" },
    bpm: 108,
    beatsPerBar: 3,
    pickupBeats: 1,
    melody: `A4q |
      C5h D5q | E5q. F5e E5q | D5h B4q | G4q. A4e B4q | C5h A4q | A4q. G#4e A4q | B4h G#4q |
      E4h A4q | C5h D5q | E5q. F5e E5q | D5h B4q | G4q. A4e B4q | C5q. B4e A4q |
      G#4q. F#4e G#4q | A4h. | A4h. |
      G5h. | G5q. F#5e E5q | D5h B4q | G4q. A4e B4q | C5h A4q | A4q. G#4e A4q | B4h G#4q |
      E4h. | G5h. | G5q. F#5e E5q | D5h B4q | G4q. A4e B4q | C5q. B4e A4q | G#4q. F#4e G#4q |
      A4h. | A4h`,
    chords: `Am | C | G | Em | Am | Am | E | E | Am | C | G | Em | Am | E | Am | Am |
      C | Em | G | Em | Am | Am | E | E | C | Em | G | Em | Am | E | Am | Am`,
    style: "arpeggio",
  },
  {
    slug: "mary-had-a-little-lamb",
    title: "Mary Had a Little Lamb",
    origin: "American traditional (19th century)",
    key: { tonic: 7, mode: "major" },
    bpm: 120,
    beatsPerBar: 4,
    melody: `B4q A4q G4q A4q | B4q B4q B4h | A4q A4q A4h | B4q D5q D5h |
      B4q A4q G4q A4q | B4q B4q B4q B4q | A4q A4q B4q A4q | G4w`,
    chords: `G | G | D | G | G | G | D | G`,
    style: "bass-chord",
    repeats: 2,
  },
  {
    slug: "amazing-grace",
    title: "Amazing Grace",
    origin: `American traditional hymn tune "New Britain" (1829)`,
    key: { tonic: 7, mode: "major" },
    bpm: 96,
    beatsPerBar: 3,
    pickupBeats: 1,
    melody: `D4q |
      G4h B4e G4e | B4h A4q | G4h E4q | D4h D4q | G4h B4e G4e | B4h A4e B4e | D5h. | D5h B4q |
      D5h B4e G4e | B4h A4q | G4h E4q | D4h D4q | G4h B4e G4e | B4h A4q | G4h. | G4h`,
    chords: `G | G | C | G | G | G | D | D | G | G | C | G | G | D | G | G`,
    style: "bass-chord",
  },
  {
    slug: "auld-lang-syne",
    title: "Auld Lang Syne",
    origin: "Scottish traditional (published 1799)",
    key: { tonic: 5, mode: "major" },
    bpm: 92,
    beatsPerBar: 4,
    pickupBeats: 1,
    melody: `C4q |
      F4q. F4e F4q A4q | G4q. F4e G4q A4q | F4q. F4e A4q C5q | D5h. D5q |
      C5q. A4e A4q F4q | G4q. F4e G4q A4q | F4q. D4e D4q C4q | F4h.`,
    chords: `F | C | F | Bb | F | C | Bb C | F`,
    style: "half-block",
    repeats: 2,
  },
  {
    slug: "jingle-bells",
    title: "Jingle Bells (chorus)",
    origin: "James Lord Pierpont (1857)",
    key: { tonic: 7, mode: "major" },
    bpm: 132,
    beatsPerBar: 4,
    melody: `B4q B4q B4h | B4q B4q B4h | B4q D5q G4q. A4e | B4w |
      C5q C5q C5q. C5e | C5q B4q B4q B4e B4e | B4q A4q A4q B4q | A4h D5h |
      B4q B4q B4h | B4q B4q B4h | B4q D5q G4q. A4e | B4w |
      C5q C5q C5q C5q | C5q B4q B4q B4e B4e | D5q D5q C5q A4q | G4w`,
    chords: `G | G | G | G | C | G | A7 | D7 | G | G | G | G | C | G | D7 | G`,
    style: "bass-chord",
  },
  {
    slug: "london-bridge",
    title: "London Bridge Is Falling Down",
    origin: "English traditional (18th century)",
    key: { tonic: 7, mode: "major" },
    bpm: 116,
    beatsPerBar: 4,
    melody: `D5q. E5e D5q C5q | B4q C5q D5h | A4q B4q C5h | B4q C5q D5h |
      D5q. E5e D5q C5q | B4q C5q D5h | A4h D5h | B4q G4h.`,
    chords: `G | G | D7 | G | G | G | D | G`,
    style: "alberti",
    repeats: 2,
  },
];

function tunePiece(spec: TuneSpec): Piece {
  const pickupBeats = spec.pickupBeats ?? 0;
  const melody = parseMelody(spec.slug, spec.melody, spec.beatsPerBar, pickupBeats);
  const chords = spec.chords.split("|").map((bar) => bar.trim().split(/\s+/).map(namedChord));
  const melodyBeats = melody.reduce((s, e) => s + e.beats, 0);
  if (chords.length * spec.beatsPerBar !== melodyBeats) {
    throw new Error(
      `${spec.slug}: ${chords.length} chord bars make ${
        chords.length * spec.beatsPerBar
      } beats, the melody lasts ${melodyBeats}`,
    );
  }
  return {
    file: `pd-${spec.slug}.mid`,
    title: spec.title,
    origin: spec.origin,
    key: spec.key,
    bpm: spec.bpm,
    beatsPerBar: spec.beatsPerBar,
    pickupBeats,
    melody,
    chords,
    style: spec.style,
    repeats: spec.repeats ?? 1,
    articulation: 0.92,
    form: "tune",
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering to notes and MIDI

interface OutNote {
  pitch: number;
  /** Onset in beats. */
  start: number;
  /** Length in beats. */
  beats: number;
  velocity: number;
}

/** Close-position voicing of a chord with its lowest note in 45..56, near the previous one. */
function voice(chord: Chord, previous: number[] | undefined): number[] {
  const pcs = chord.pcs.length === 4 ? [chord.pcs[0], chord.pcs[1], chord.pcs[3]] : chord.pcs;
  let best: number[] = [];
  let bestCost = Infinity;
  for (let r = 0; r < pcs.length; r++) {
    const rotated = [...pcs.slice(r), ...pcs.slice(0, r)];
    let low = 45;
    while (mod12(low) !== rotated[0]) low++;
    const notes = [low];
    for (let k = 1; k < rotated.length; k++) {
      let p = notes[k - 1] + 1;
      while (mod12(p) !== rotated[k]) p++;
      notes.push(p);
    }
    const cost = previous
      ? notes.reduce((s, p, k) => s + Math.abs(p - previous[Math.min(k, previous.length - 1)]), 0)
      : Math.abs(notes.reduce((s, p) => s + p, 0) / notes.length - 52);
    if (cost < bestCost) {
      bestCost = cost;
      best = notes;
    }
  }
  return best;
}

/** A pitch class placed in 36..47 (the bass octave), an octave lower if the voicing has it. */
function bassNote(pc: number, voicing: number[]): number {
  const p = 36 + mod12(pc);
  return voicing.includes(p) ? p - 12 : p;
}

/**
 * Keeps one sounding note per pitch (one MIDI channel cannot hold two): a note that is
 * struck again while it sounds is cut at the new onset; of two at the same onset, the
 * louder stays. Sorts `notes` by start then pitch, in place, and returns the kept notes.
 */
function oneNotePerPitch(notes: OutNote[]): OutNote[] {
  notes.sort((x, y) => x.start - y.start || x.pitch - y.pitch || y.velocity - x.velocity);
  const kept: OutNote[] = [];
  const sounding = new Map<number, OutNote>();
  for (const n of notes) {
    const before = sounding.get(n.pitch);
    if (before && before.start + before.beats > n.start) {
      if (before.start === n.start) continue; // same onset: keep the louder (sorted first)
      before.beats = n.start - before.start;
    }
    kept.push(n);
    sounding.set(n.pitch, n);
  }
  return kept;
}

function renderPiece(piece: Piece, random: Random): OutNote[] {
  const out: OutNote[] = [];
  const bpb = piece.beatsPerBar;
  const passBeats = piece.chords.length * bpb;
  let voicing: number[] | undefined;
  const lhVelocity = () => 58 + randomInt(random, 9);
  for (let pass = 0; pass < piece.repeats; pass++) {
    const passStart = pass * passBeats;
    // Melody.
    let t = passStart;
    for (const e of piece.melody) {
      if (e.pitch !== null) {
        const inBar = (((t - piece.pickupBeats) % bpb) + bpb) % bpb;
        const accent = inBar === 0 ? 8 : inBar === 2 && bpb === 4 ? 3 : 0;
        out.push({
          pitch: e.pitch,
          start: t,
          beats: e.beats * piece.articulation,
          velocity: 86 + accent + randomInt(random, 8),
        });
      }
      t += e.beats;
    }
    // Left hand.
    const finalPass = pass === piece.repeats - 1;
    piece.chords.forEach((barChords, barIndex) => {
      const barStart = passStart + piece.pickupBeats + barIndex * bpb;
      const segBeats = bpb / barChords.length;
      const finalBar = finalPass && barIndex === piece.chords.length - 1;
      barChords.forEach((chord, c) => {
        const s = barStart + c * segBeats;
        voicing = voice(chord, voicing);
        const v = voicing;
        const bass = bassNote(chord.pcs[0], v);
        const fifth = bassNote(chord.pcs[2], v);
        const add = (pitch: number, start: number, beats: number, accent = 0) =>
          out.push({ pitch, start, beats, velocity: lhVelocity() + accent });
        if (finalBar && c === barChords.length - 1) {
          add(bass, s, segBeats, 6);
          for (const p of v) add(p, s, segBeats, 4);
          return;
        }
        switch (piece.style) {
          case "block":
            add(bass, s, segBeats * 0.95, 4);
            for (const p of v) add(p, s, segBeats * 0.95, 4);
            break;
          case "half-block": {
            const step = bpb === 4 ? Math.min(2, segBeats) : segBeats;
            for (let b = 0; b < segBeats; b += step) {
              for (const p of v) add(p, s + b, step * 0.95, b === 0 ? 4 : 0);
            }
            break;
          }
          case "bass-chord":
            for (let b = 0; b < segBeats; b++) {
              if (b === 0 || (bpb === 4 && b === 2)) add(b === 0 ? bass : fifth, s + b, 0.9, 5);
              else for (const p of v) add(p, s + b, 0.85);
            }
            break;
          case "alberti": {
            const pattern = [v[0], v[2], v[1], v[2]];
            for (let k = 0; k < segBeats * 2; k++) {
              add(pattern[k % 4], s + k / 2, 0.47, k === 0 ? 5 : 0);
            }
            break;
          }
          case "arpeggio": {
            const pattern = bpb === 3 ? [bass, v[1], v[2]] : [bass, v[1], v[2], v[1]];
            for (let b = 0; b < segBeats; b++) {
              add(pattern[b % pattern.length], s + b, 0.95, b === 0 ? 5 : 0);
            }
            break;
          }
        }
      });
    });
  }
  return oneNotePerPitch(out);
}

function toMidiBytes(piece: Piece, notes: OutNote[]): Uint8Array {
  const midi = new Midi();
  midi.header.name = piece.title;
  midi.header.setTempo(piece.bpm);
  midi.header.timeSignatures.push({ ticks: 0, timeSignature: [piece.beatsPerBar, 4] });
  // No key-signature event: @tonejs/midi 2.0.28 writes its sharps/flats byte out of range
  // (list index + 7 instead of - 7), which stricter readers reject.
  midi.header.update();
  const track = midi.addTrack();
  track.name = "Piano";
  track.channel = 0;
  track.instrument.number = 0;
  const secPerBeat = 60 / piece.bpm;
  for (const n of notes) {
    track.addNote({
      midi: n.pitch,
      time: n.start * secPerBeat,
      duration: n.beats * secPerBeat,
      velocity: n.velocity / 127,
    });
  }
  return midi.toArray();
}

// ---------------------------------------------------------------------------------------------
// Main

interface Written {
  piece: Piece;
  notes: number;
  seconds: number;
  bytes: number;
}

function readme(written: Written[]): string {
  const totalNotes = written.reduce((s, w) => s + w.notes, 0);
  const totalSec = written.reduce((s, w) => s + w.seconds, 0);
  const totalBytes = written.reduce((s, w) => s + w.bytes, 0);
  const studies = written.filter((w) => w.piece.form !== "tune").length;
  const tunes = written.length - studies;
  const rows = written.map(({ piece: p, notes, seconds }) =>
    `| ${p.file} | ${p.title} | ${p.origin} | ${
      keyName(p.key)
    } | ${p.beatsPerBar}/4 | ${p.bpm} | ${p.chords.length} | ${p.form}${
      p.repeats > 1 ? ` (played ${p.repeats}×)` : ""
    } | ${p.style} | ${notes} | ${seconds.toFixed(1)} |`
  );
  return `# Bundled training corpus

Short piano pieces for training the notebooks' LSTMs in a few minutes of CPU time, with
nothing downloaded:

- \`data/tunes/\`: ${written.length} MIDI files, ${totalNotes} notes, ${
    (totalSec / 60).toFixed(1)
  } minutes of music, ${(totalBytes / 1024).toFixed(0)} KiB in all.

## Origin and licence

Everything here was authored by this project. The files are written by
[\`make_corpus.ts\`](make_corpus.ts) with seed ${SEED}; running it again gives identical
files:

\`\`\`sh
deno run -A data/make_corpus.ts
\`\`\`

- ${studies} **studies** (\`study-*.mid\`) are generated by the script from a seeded
  pseudo-random generator (mulberry32, seed ${SEED}).
- ${tunes} **tunes** (\`pd-*.mid\`) are well-known melodies in the public domain (traditional,
  or by composers who died more than a century ago), written out note by note in the script and
  harmonised simply by this project.

No recording, score file or MIDI file from elsewhere was copied. The corpus (the files and the
arrangements in them) is dedicated to the public domain under CC0 1.0; you may use it for any
purpose without asking.

## What is in it

Each file is a Standard MIDI File with **one piano track** (General MIDI program 0, channel 1)
carrying both the melody (right hand, about B3-C6) and the accompaniment (left hand, about
A1-C4), plus tempo and time-signature events. Both model families read it: the tutorial
family merges the notes into one note table, and the classic family turns notes that start
together (a melody note over a left-hand chord) into chord tokens.

The studies are tonal and repetitive on purpose, so that a small model learns audible structure
quickly:

- keys: C, G, F, D and B♭ major; A, E and D minor;
- metre: mostly 4/4, about a quarter in 3/4; tempo 90-140 bpm;
- form: 16 bars \`A A' B A'\` (or 8 bars \`A A'\`, played twice) of four-bar phrases. \`A\`
  ends on V (half cadence); \`A'\` repeats its first two bars and closes on I; \`B\` moves to
  other chords, a little higher, and ends on V;
- harmony: one chord per bar from progressions such as I-IV-I-V, I-vi-IV-V, I-vi-ii-V,
  ii-V-I, IV-I-ii-V (in minor i-iv-i-V, i-VI-iv-V, VI-III-iv-V); \`A'\` closes V-I;
- melody: chord tones on strong beats and scale steps between them, from two or three
  one-bar rhythm motifs per piece; bar 3 of \`A\` restates bar 1's contour on the new chord;
- left hand, one style per piece: \`block\` (bass + chord each bar), \`half-block\` (chords
  on beats 1 and 3), \`bass-chord\` (oom-pah / waltz), \`alberti\` (broken-chord eighths) or
  \`arpeggio\` (bass, then chord tones in quarters); the final bar is a held tonic chord;
- velocities: melody 86-101 with accents on the downbeat, left hand 58-72.

Timing is exact (no humanisation), so note starts and lengths fall on a small grid of step
sizes. The script finishes by loading every file with \`loadMidiFolder\` from
[\`lib/music/midi.ts\`](../lib/music/midi.ts) and fails if any file does not load.

| file | title | origin | key | metre | bpm | bars | form | left hand | notes | seconds |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}
`;
}

function main(): void {
  const random = mulberry32(SEED);
  const pieces: Piece[] = [];
  for (let i = 0; i < STUDY_COUNT; i++) pieces.push(makeStudy(i, random));
  for (const spec of TUNES) pieces.push(tunePiece(spec));

  Deno.mkdirSync(TUNES_DIR, { recursive: true });
  for (const entry of Deno.readDirSync(TUNES_DIR)) {
    if (entry.isFile && entry.name.endsWith(".mid")) Deno.removeSync(join(TUNES_DIR, entry.name));
  }
  const written: Written[] = [];
  for (const piece of pieces) {
    const notes = renderPiece(piece, random);
    const bytes = toMidiBytes(piece, notes);
    Deno.writeFileSync(join(TUNES_DIR, piece.file), bytes);
    const lastEnd = Math.max(...notes.map((n) => n.start + n.beats));
    written.push({
      piece,
      notes: notes.length,
      seconds: (lastEnd * 60) / piece.bpm,
      bytes: bytes.length,
    });
  }
  Deno.writeTextFileSync(join(DATA_DIR, "README.md"), readme(written));

  // Check: every file loads through the project's own reader.
  const folder = loadMidiFolder(TUNES_DIR);
  if (folder.skipped.length > 0 || folder.files.length !== pieces.length) {
    throw new Error(
      `corpus check: expected ${pieces.length} files to load, got ${folder.files.length}; skipped: ${
        JSON.stringify(folder.skipped)
      }`,
    );
  }
  const loadedNotes = folder.files.reduce((s, f) => s + f.notes.length, 0);
  const loadedSec = folder.files.reduce(
    (s, f) => s + Math.max(...f.notes.map((n) => n.end)),
    0,
  );
  const bytes = written.reduce((s, w) => s + w.bytes, 0);
  console.log(
    `wrote ${written.length} files to ${TUNES_DIR}: ${loadedNotes} notes, ${
      (loadedSec / 60).toFixed(1)
    } min, ${(bytes / 1024).toFixed(0)} KiB; all load with loadMidiFolder`,
  );
}

if (import.meta.main) main();
