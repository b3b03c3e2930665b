/** Small builders shared by the tests: tiny MIDI files, note tables, temp folders. */
import tonejs from "@tonejs/midi";
import type { Note } from "../lib/music/midi.ts";
import type { PlotlyTrace } from "../lib/notebook/plot.ts";

const { Midi } = tonejs;

/** A note as tests write it: pitch and times in seconds. */
export interface TestNote {
  pitch: number;
  start: number;
  duration: number;
  velocity?: number;
}

/** Options for {@linkcode buildMidi}. */
export interface BuildMidiOptions {
  bpm?: number;
  /** MIDI channel of each track (9 = drums). */
  channels?: number[];
}

/** Builds a MIDI file with one track per note list. */
export function buildMidi(tracks: TestNote[][], options: BuildMidiOptions = {}): Uint8Array {
  const midi = new Midi();
  midi.header.setTempo(options.bpm ?? 120);
  tracks.forEach((notes, i) => {
    const track = midi.addTrack();
    track.channel = options.channels?.[i] ?? i;
    for (const n of notes) {
      track.addNote({
        midi: n.pitch,
        time: n.start,
        duration: n.duration,
        velocity: (n.velocity ?? 100) / 127,
      });
    }
  });
  return midi.toArray();
}

/** A scale-like melody: pitch, step and duration follow a repeating, learnable pattern. */
export function patternNotes(count: number, pattern = [60, 62, 64, 65, 67, 65, 64, 62]): Note[] {
  const notes: Note[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const step = i === 0 ? 0 : (i % 2 ? 0.25 : 0.5);
    start += step;
    const duration = i % 4 === 0 ? 0.5 : 0.25;
    notes.push({
      pitch: pattern[i % pattern.length],
      start,
      end: start + duration,
      step,
      duration,
      velocity: 100,
    });
  }
  return notes;
}

/** An arpeggio of `pitches`: a quarter second apart, each 0.3 s long, velocity 90. */
export function arpeggioNotes(pitches: readonly number[]): Note[] {
  return pitches.map((pitch, i) => ({
    pitch,
    start: i * 0.25,
    end: i * 0.25 + 0.3,
    step: i === 0 ? 0 : 0.25,
    duration: 0.3,
    velocity: 90,
  }));
}

/**
 * A unigram yardstick drawn into a loss figure by hand: a dotted grey line at `value` from
 * epoch 1 to `lastEpoch`, named `unigram <value>`.
 */
export function unigramTrace(value: number, lastEpoch: number): PlotlyTrace {
  return {
    type: "scatter",
    mode: "lines",
    name: `unigram ${value}`,
    x: [1, lastEpoch],
    y: [value, value],
    line: { color: "#999999", dash: "dot", width: 1.5 },
  };
}

/** Makes a temporary folder and returns its path; the caller removes it. */
export function tempDir(prefix = "midi-lstm-test-"): string {
  return Deno.makeTempDirSync({ prefix });
}

/** Asserts two numbers are within `tol`, with a message naming them. */
export function assertClose(actual: number, expected: number, tol = 1e-6, what = "value"): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: expected ${expected} within ${tol}, got ${actual}`);
  }
}
