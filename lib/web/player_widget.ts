/// <reference lib="dom" />
/**
 * The player shown under generated music, on the exported page and in notebook 05: a piano
 * roll with a playhead, Play and Stop, the time, and a link that downloads the `.mid`.
 *
 * @module
 */
import { drawPianoRoll, rollLengthSec } from "./piano_roll.ts";
import type { RollNote } from "./player_data.ts";
import { createPlayer, type NotePlayer } from "./player.ts";

/** Options for {@linkcode mountPlayer}. */
export interface MountPlayerOptions {
  /**
   * The MIDI file offered for download; no link without it.
   * @default {undefined}
   */
  midi?: Uint8Array;
  /**
   * Name the download is saved under.
   * @default {"generated.mid"}
   */
  fileName?: string;
  /**
   * Height of the piano roll in CSS pixels.
   * @default {220}
   */
  heightPx?: number;
}

/** A mounted player. */
export interface MountedPlayer {
  /** The Web Audio player behind the buttons. */
  player: NotePlayer;
  /** Stops playing and removes the player from the page. */
  dispose(): void;
}

function button(text: string, cls: string): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.className = cls;
  return b;
}

/**
 * Builds the player inside `container` (its old content is replaced).
 *
 * @param notes the notes, times in seconds (not changed)
 */
export function mountPlayer(
  container: HTMLElement,
  notes: readonly RollNote[],
  options: MountPlayerOptions = {},
): MountedPlayer {
  container.replaceChildren();
  container.classList.add("midi-lstm-player");
  const canvas = document.createElement("canvas");
  canvas.className = "midi-lstm-roll";
  canvas.style.width = "100%";
  canvas.style.height = `${options.heightPx ?? 220}px`;
  canvas.style.display = "block";
  canvas.style.border = "1px solid #d4d7df";
  canvas.style.borderRadius = "4px";
  const bar = document.createElement("div");
  bar.className = "midi-lstm-controls";
  bar.style.display = "flex";
  bar.style.gap = "0.5em";
  bar.style.alignItems = "center";
  bar.style.marginTop = "0.4em";
  const play = button("▶ Play", "midi-lstm-play");
  const stop = button("■ Stop", "midi-lstm-stop");
  stop.disabled = true;
  const time = document.createElement("span");
  time.className = "midi-lstm-time";
  time.style.fontFamily = "monospace";
  const lengthSec = rollLengthSec(notes);
  const showTime = (sec: number) =>
    time.textContent = `${sec.toFixed(1)} / ${lengthSec.toFixed(1)} s, ${notes.length} notes`;
  bar.append(play, stop, time);
  let url: string | undefined;
  if (options.midi) {
    const link = document.createElement("a");
    link.className = "midi-lstm-download";
    link.textContent = `⤓ ${options.fileName ?? "generated.mid"}`;
    link.download = options.fileName ?? "generated.mid";
    url = URL.createObjectURL(new Blob([options.midi as BlobPart], { type: "audio/midi" }));
    link.href = url;
    bar.append(link);
  }
  container.append(canvas, bar);

  let playheadSec: number | null = null;
  const redraw = () => {
    const ratio = globalThis.devicePixelRatio || 1;
    const w = Math.max(200, Math.round(canvas.clientWidth * ratio));
    const h = Math.max(60, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    canvas.dataset.notesDrawn = String(drawPianoRoll(canvas, notes, { playheadSec }));
  };
  const player = createPlayer(notes, {
    onPosition(sec) {
      playheadSec = sec;
      showTime(sec ?? 0);
      play.disabled = sec !== null;
      stop.disabled = sec === null;
      redraw();
    },
  });
  play.addEventListener("click", () => {
    play.disabled = true;
    player.play().catch((e) => {
      play.disabled = false;
      time.textContent = `cannot start the audio: ${(e as Error).message}`;
    });
  });
  stop.addEventListener("click", () => player.stop());
  const resize = new ResizeObserver(redraw);
  resize.observe(canvas);
  showTime(0);
  redraw();
  return {
    player,
    dispose() {
      resize.disconnect();
      player.dispose();
      if (url) URL.revokeObjectURL(url);
      container.replaceChildren();
    },
  };
}
