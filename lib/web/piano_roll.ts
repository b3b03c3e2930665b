/// <reference lib="dom" />
/**
 * A piano roll on a `<canvas>`: time runs left to right, pitch bottom to top (a label at
 * each C), one bar per note, with a playhead line.
 *
 * @module
 */
import type { RollNote } from "./player_data.ts";

/** Options for {@linkcode drawPianoRoll}. */
export interface DrawPianoRollOptions {
  /**
   * Where the playhead stands, in seconds (the notes sounding there are drawn in amber);
   * `null` draws none.
   * @default {null}
   */
  playheadSec?: number | null;
}

/** The seconds the notes last (the latest release), at least 1. */
export function rollLengthSec(notes: readonly RollNote[]): number {
  return Math.max(1, ...notes.map((n) => n.end));
}

/**
 * Draws `notes` over the whole canvas (its current pixel size).
 *
 * @returns the number of note bars drawn
 */
export function drawPianoRoll(
  canvas: HTMLCanvasElement,
  notes: readonly RollNote[],
  options: DrawPianoRollOptions = {},
): number {
  const g = canvas.getContext("2d");
  if (!g) return 0;
  const { width, height } = canvas;
  const low = Math.max(0, Math.min(...notes.map((n) => n.pitch), 60) - 2);
  const high = Math.min(127, Math.max(...notes.map((n) => n.pitch), 72) + 2);
  const rows = high - low + 1;
  const rowPx = height / rows;
  const pxPerSec = width / rollLengthSec(notes);
  g.fillStyle = "#fbfbfd";
  g.fillRect(0, 0, width, height);
  for (let p = low; p <= high; p++) {
    const black = [1, 3, 6, 8, 10].includes(p % 12);
    if (black) {
      g.fillStyle = "#eceef3";
      g.fillRect(0, height - (p - low + 1) * rowPx, width, rowPx);
    }
    if (p % 12 === 0) {
      g.fillStyle = "#c9ccd6";
      g.fillRect(0, height - (p - low) * rowPx, width, 1);
      g.fillStyle = "#6b7285";
      g.font = `${Math.max(10, Math.min(12, rowPx * 1.6))}px sans-serif`;
      g.fillText(`C${p / 12 - 1}`, 3, height - (p - low) * rowPx - 2);
    }
  }
  const at = options.playheadSec;
  let drawn = 0;
  for (const n of notes) {
    const x = n.start * pxPerSec;
    const w = Math.max(2, (n.end - n.start) * pxPerSec - 1);
    const y = height - (n.pitch - low + 1) * rowPx;
    const sounding = at !== undefined && at !== null && n.start <= at && at < n.end;
    const shade = 0.45 + 0.55 * Math.min(1, n.velocity / 127);
    g.fillStyle = sounding ? "#f59e0b" : `rgba(37, 99, 235, ${shade.toFixed(3)})`;
    g.fillRect(x, y, w, Math.max(2, rowPx - 1));
    drawn++;
  }
  if (at !== undefined && at !== null) {
    g.fillStyle = "#dc2626";
    g.fillRect(Math.min(width - 2, at * pxPerSec), 0, 2, height);
  }
  return drawn;
}
