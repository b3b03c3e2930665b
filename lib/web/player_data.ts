/**
 * What the player (`player_widget.ts`) draws and plays, and the JSON a notebook output hands
 * it (`notebook_player.ts`): plain data, no browser API, so Deno code can build it.
 *
 * @module
 */

/** A note as the piano roll draws it and the player plays it. */
export interface RollNote {
  /** MIDI pitch, 0..127. */
  pitch: number;
  /** Onset in seconds. */
  start: number;
  /** Release in seconds. */
  end: number;
  /** 0..127. */
  velocity: number;
}

/** What a notebook output carries for its player (`<script type="application/json">`). */
export interface NotebookPlayerData {
  /** The notes to draw and play. */
  notes: RollNote[];
  /** Base64 of the MIDI file offered for download, or null for no download. */
  midiBase64: string | null;
  /** Name of the download. */
  fileName: string;
}
