/// <reference lib="dom" />
import assert from "node:assert/strict";
import tonejs from "@tonejs/midi";
import { midiPlayerBundle, showMidiPlayer } from "../../lib/notebook/player.ts";
import { renderWav } from "../../lib/notebook/synth.ts";
import { notesToMidi } from "../../lib/music/midi.ts";
import type { Note } from "../../lib/music/midi.ts";
import { chromiumPath, launchBrowser } from "../_browser.ts";
import { arpeggioNotes } from "../_helpers.ts";

const { Midi } = tonejs;

/** A C major arpeggio, a quarter second per note. */
const NOTES: Note[] = arpeggioNotes([60, 64, 67, 72, 67, 64]);
const MIDI = notesToMidi(NOTES);
const WAV = renderWav(NOTES);

Deno.test("midiPlayerBundle: the player over the fallback (static roll and WAV), and a text line", async () => {
  const bundle = await midiPlayerBundle(NOTES, {
    wavBytes: WAV,
    midiBytes: MIDI,
    midiFileName: "arpeggio.mid",
    caption: "An <arpeggio>",
  });
  const html = bundle["text/html"] as string;
  assert.match(html, /data-midi-lstm-player/);
  assert.match(
    html,
    /<div class="midi-lstm-fallback">[\s\S]*<audio controls [^>]*src="data:audio\/wav;base64,/,
  );
  assert.match(html, /<b>An &lt;arpeggio&gt;<\/b>/);
  // The static piano roll: an <img> of the SVG in the fallback, and the SVG on its own.
  assert.match(
    html,
    /<div class="midi-lstm-fallback"><img class="midi-lstm-static-roll" alt="Piano roll: 6 notes, 1\.6 s" [^>]*src="data:image\/svg\+xml;base64,/,
  );
  const roll = bundle["image/svg+xml"] as string;
  assert.equal((roll.match(/<rect class="bar"/g) ?? []).length, NOTES.length);
  assert.match(roll, /An &lt;arpeggio&gt;/);
  assert.match(html, /<script type="application\/json">\{"notes":\[\{"pitch":60,/);
  assert.match(html, /DecompressionStream\("gzip"\)/);
  assert.doesNotMatch(html, /https?:\/\/(cdn|unpkg|esm\.sh)/);
  assert.match(bundle["text/plain"] as string, /^An <arpeggio>\nPlayer: 6 notes, 1\.6 s; Audio: /);
  const lines: string[] = [];
  await showMidiPlayer(NOTES, { fallback: (text) => lines.push(text) });
  assert.deepEqual(lines, ["Player: 6 notes, 1.6 s"]);
});

Deno.test({
  name:
    "midiPlayerBundle in Chromium: the player mounts, plays and downloads; without scripts the WAV stays",
  ignore: chromiumPath() === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const bundle = await midiPlayerBundle(NOTES, {
      wavBytes: WAV,
      midiBytes: MIDI,
      midiFileName: "arpeggio.mid",
    });
    const html = bundle["text/html"] as string;
    const browser = await launchBrowser();
    try {
      const { page } = browser;
      // Two outputs on one page, as in a notebook: each gets its player.
      await page.setContent(`<html><body>${html}<hr>${html}</body></html>`);
      await page.waitForFunction(() =>
        document.querySelectorAll("[data-midi-lstm-player][data-mounted]").length === 2
      );
      assert.equal(await page.locator("canvas.midi-lstm-roll").count(), 2);
      assert.equal(
        await page.getAttribute("canvas.midi-lstm-roll >> nth=0", "data-notes-drawn"),
        "6",
      );
      assert.equal(await page.locator(".midi-lstm-fallback >> nth=0").isVisible(), false);
      assert.equal(await page.locator(".midi-lstm-player-mount >> nth=0").isVisible(), true);

      await page.click(".midi-lstm-play >> nth=0");
      await page.waitForFunction(() =>
        !document.querySelector(".midi-lstm-time")!.textContent!.startsWith("0.0 /")
      );
      // One player at a time: starting the second stops the first.
      await page.click(".midi-lstm-play >> nth=1");
      await page.waitForFunction(() => {
        const play = document.querySelectorAll<HTMLButtonElement>(".midi-lstm-play");
        return !play[0].disabled && play[1].disabled;
      });
      await page.click(".midi-lstm-stop >> nth=1");
      await page.click(".midi-lstm-play >> nth=0");
      await page.waitForFunction(() =>
        (document.querySelector(".midi-lstm-play") as HTMLButtonElement).disabled === false
      );
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click(".midi-lstm-download >> nth=0"),
      ]);
      assert.equal(download.suggestedFilename(), "arpeggio.mid");
      const midi = new Midi(await Deno.readFile(await download.path()));
      assert.deepEqual(midi.tracks[0].notes.map((n) => n.midi), NOTES.map((n) => n.pitch));
      assert.deepEqual(browser.errors, []);

      // Where outputs lose their scripts (an untrusted notebook), the WAV player remains.
      await page.setContent(html.replace(/<script[\s\S]*?<\/script>/g, ""));
      assert.equal(await page.locator(".midi-lstm-fallback audio").isVisible(), true);
      const roll = await page.locator(".midi-lstm-fallback img.midi-lstm-static-roll")
        .boundingBox();
      assert.ok(
        roll && roll.width > 100 && roll.height > 50,
        `static roll ${JSON.stringify(roll)}`,
      );
      assert.equal(await page.locator("canvas").count(), 0);
    } finally {
      await browser.close();
    }
  },
});
