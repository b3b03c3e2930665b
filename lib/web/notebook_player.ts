/// <reference lib="dom" />
/**
 * The player in notebook outputs (bundled into the script that `midiPlayerBundle` in
 * `lib/notebook/player.ts` inlines): mounts the piano roll, playhead, Play / Stop and
 * download on every output element `[data-midi-lstm-player]` not mounted yet, and hides
 * that output's WAV fallback. Where scripts do not run the fallback stays.
 *
 * The notes and the MIDI file travel as JSON in a `<script type="application/json">` child
 * of the element (`NotebookPlayerData`). Sets `window.midiLstmPlayer`.
 *
 * @module
 */
import { mountPlayer } from "./player_widget.ts";
import type { NotebookPlayerData } from "./player_data.ts";

function base64Bytes(text: string): Uint8Array {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Mounts every player of the page not mounted yet; returns how many it mounted. */
function mountAll(): number {
  let mounted = 0;
  for (const el of document.querySelectorAll<HTMLElement>("[data-midi-lstm-player]")) {
    if (el.dataset.mounted) continue;
    const json = el.querySelector<HTMLScriptElement>('script[type="application/json"]');
    const target = el.querySelector<HTMLElement>(".midi-lstm-player-mount");
    if (!json || !target) continue;
    el.dataset.mounted = "1";
    const data = JSON.parse(json.textContent ?? "{}") as NotebookPlayerData;
    mountPlayer(target, data.notes, {
      midi: data.midiBase64 ? base64Bytes(data.midiBase64) : undefined,
      fileName: data.fileName,
    });
    target.hidden = false;
    el.querySelector<HTMLElement>(".midi-lstm-fallback")?.setAttribute("hidden", "");
    mounted++;
  }
  return mounted;
}

(globalThis as unknown as { midiLstmPlayer: { mountAll: () => number } }).midiLstmPlayer = {
  mountAll,
};
mountAll();
