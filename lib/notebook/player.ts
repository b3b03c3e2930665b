/**
 * The music player of notebook outputs: a piano roll with a playhead, Play and Stop
 * (Web Audio through Tone.js) and the `.mid` download, the same player as the exported page
 * (`lib/web/`). Where scripts do not run (an untrusted notebook, a static viewer) the output
 * shows its fallback instead: a static piano roll (an SVG picture) over the rendered WAV's
 * `<audio>` player; the player hides both when it starts.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Note } from "../music/midi.ts";
import { browserScript } from "../web/bundle.ts";
import type { NotebookPlayerData } from "../web/player_data.ts";
import {
  audioBundle,
  type MediaBundle,
  showBundle,
  type ShowOptions,
  SVG_MIME,
} from "./display.ts";
import { packedScriptTag } from "./_packed_script.ts";
import { figurePicture } from "./_static_image.ts";
import { escapeHtml, scriptJson } from "./_markup.ts";
import { pianoRollFigure } from "./plot.ts";

/** Options for {@linkcode midiPlayerBundle}. */
export interface MidiPlayerBundleOptions {
  /**
   * The rendered audio (see `renderMidiToWav`), kept as the fallback player.
   * @default {undefined (no fallback audio)}
   */
  wavBytes?: Uint8Array;
  /**
   * The MIDI file offered for download.
   * @default {undefined (no download)}
   */
  midiBytes?: Uint8Array;
  /**
   * Name of the download.
   * @default {"generated.mid"}
   */
  midiFileName?: string;
  /**
   * Caption above the player.
   * @default {undefined}
   */
  caption?: string;
  /**
   * Height of the static piano roll of the fallback, in pixels (0 leaves it out).
   * @default {220}
   */
  rollHeightPx?: number;
}

let outputs = 0;

/** A <script> that runs the bundled player once per page (gzip + base64 inside). */
async function playerLoaderScript(): Promise<string> {
  return packedScriptTag(await browserScript("notebook_player"), {
    flag: "__midiLstmPlayerLoading",
    whenLoaded: "if (window.midiLstmPlayer) { window.midiLstmPlayer.mountAll(); return; }",
  });
}

/**
 * Builds the player's MIME bundle: `text/html` with the player (the script inlined, so the
 * output works on its own) over the fallback (a static piano roll and the WAV's `<audio>`),
 * `image/svg+xml` with the static piano roll, and a `text/plain` line.
 *
 * @param notes the notes to draw and play, times in seconds (not changed)
 * @throws {Error} when the player script cannot be bundled (see `browserScript`)
 */
export async function midiPlayerBundle(
  notes: readonly Note[],
  options: MidiPlayerBundleOptions = {},
): Promise<MediaBundle> {
  const fileName = options.midiFileName ?? "generated.mid";
  const data: NotebookPlayerData = {
    notes: notes.map((n) => ({
      pitch: n.pitch,
      start: n.start,
      end: n.end,
      velocity: n.velocity,
    })),
    midiBase64: options.midiBytes ? Buffer.from(options.midiBytes).toString("base64") : null,
    fileName,
  };
  const fallback = options.wavBytes
    ? audioBundle(options.wavBytes, { midiBytes: options.midiBytes, midiFileName: fileName })
    : undefined;
  const seconds = notes.reduce((end, n) => Math.max(end, n.end), 0);
  const rollHeightPx = options.rollHeightPx ?? 220;
  const roll = rollHeightPx > 0 && notes.length > 0
    ? figurePicture(
      pianoRollFigure([...notes], {
        title: options.caption ?? "Piano roll",
        heightPx: rollHeightPx,
      }),
      {
        widthPx: 720,
        heightPx: rollHeightPx,
        alt: `Piano roll: ${notes.length} notes, ${seconds.toFixed(1)} s`,
        className: "midi-lstm-static-roll",
      },
    )
    : undefined;
  const id = `midi-lstm-player-${Date.now().toString(36)}-${outputs++}`;
  const json = scriptJson(data);
  const html = [
    `<div id="${id}" class="midi-lstm-output" data-midi-lstm-player>`,
    options.caption ? `<div><b>${escapeHtml(options.caption)}</b></div>` : "",
    `<div class="midi-lstm-fallback">${roll?.img ?? ""}${fallback?.["text/html"] ?? ""}</div>`,
    `<div class="midi-lstm-player-mount" hidden></div>`,
    `<script type="application/json">${json}</script>`,
    await playerLoaderScript(),
    `</div>`,
  ].join("\n");
  const text = [
    options.caption,
    `Player: ${notes.length} notes, ${seconds.toFixed(1)} s` +
    (fallback ? `; ${fallback["text/plain"]}` : ""),
  ].filter(Boolean).join("\n");
  return roll
    ? { "text/html": html, [SVG_MIME]: roll.svg, "text/plain": text }
    : { "text/html": html, "text/plain": text };
}

/** Options for {@linkcode showMidiPlayer}. */
export interface ShowMidiPlayerOptions extends MidiPlayerBundleOptions, ShowOptions {}

/**
 * Shows the player in the notebook (see {@linkcode midiPlayerBundle}); outside the kernel it
 * only calls `options.fallback` with the text form.
 *
 * @throws {Error} when the player script cannot be bundled
 */
export async function showMidiPlayer(
  notes: readonly Note[],
  options: ShowMidiPlayerOptions = {},
): Promise<void> {
  await showBundle(await midiPlayerBundle(notes, options), options);
}
