/// <reference lib="dom" />
/**
 * Plays notes through Web Audio with Tone.js (a polyphonic synth on Tone's transport), and
 * reports the playing position for a playhead.
 *
 * @module
 */
import * as Tone from "tone";
import type { RollNote } from "./player_data.ts";

/** Options for {@linkcode createPlayer}. */
export interface PlayerOptions {
  /**
   * Called about once per animation frame while playing, with the position in seconds, and
   * with `null` when playback stops or ends.
   * @default {undefined}
   */
  onPosition?: (sec: number | null) => void;
}

/** A player of one set of notes. */
export interface NotePlayer {
  /** Starts the audio context (needs a user gesture) and plays from the start. */
  play(): Promise<void>;
  /** Stops playing; does nothing when stopped. */
  stop(): void;
  /** True while playing. */
  readonly playing: boolean;
  /** Frees the synth. */
  dispose(): void;
}

/** The state of the page's Web Audio context: "suspended", "running" or "closed". */
export function audioState(): string {
  return Tone.getContext().state;
}

/** The player playing now: the page has one Tone transport, so one player plays at a time. */
let current: NotePlayer | undefined;

/**
 * Creates a player for `notes` (not changed; times in seconds). Starting it stops any other
 * player of the page.
 */
export function createPlayer(notes: readonly RollNote[], options: PlayerOptions = {}): NotePlayer {
  let synth: Tone.PolySynth | undefined;
  let part: Tone.Part | undefined;
  let frame = 0;
  let playing = false;
  const endSec = Math.max(0, ...notes.map((n) => n.end));
  const transport = Tone.getTransport();

  function stop(): void {
    if (!playing) return;
    playing = false;
    cancelAnimationFrame(frame);
    transport.stop();
    transport.cancel(0);
    part?.dispose();
    part = undefined;
    synth?.releaseAll();
    options.onPosition?.(null);
  }

  function tick(): void {
    if (!playing) return;
    const sec = transport.seconds;
    if (sec > endSec + 0.3) return stop();
    options.onPosition?.(Math.min(sec, endSec));
    frame = requestAnimationFrame(tick);
  }

  async function play(): Promise<void> {
    await Tone.start();
    current?.stop();
    current = self;
    stop();
    synth ??= new Tone.PolySynth(Tone.Synth, {
      oscillator: { type: "triangle" },
      envelope: { attack: 0.005, decay: 0.15, sustain: 0.35, release: 0.25 },
    }).toDestination();
    synth.maxPolyphony = 64;
    synth.volume.value = -8;
    const voice = synth;
    part = new Tone.Part<{ time: number; note: RollNote }>(
      (time, event) => {
        const n = event.note;
        voice.triggerAttackRelease(
          Tone.Frequency(n.pitch, "midi").toFrequency(),
          Math.max(0.02, n.end - n.start),
          time,
          Math.min(1, Math.max(0.05, n.velocity / 127)),
        );
      },
      notes.map((note) => ({ time: note.start, note })),
    );
    part.start(0);
    transport.seconds = 0;
    transport.start();
    playing = true;
    frame = requestAnimationFrame(tick);
  }

  const self: NotePlayer = {
    play,
    stop,
    get playing() {
      return playing;
    },
    dispose() {
      stop();
      if (current === self) current = undefined;
      synth?.dispose();
      synth = undefined;
    },
  };
  return self;
}
