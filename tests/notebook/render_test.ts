/**
 * The figures and players of a saved notebook show in real Jupyter front ends, trusted or
 * not: JupyterLab's output renderers (bundled from npm) and the classic Notebook 6 server,
 * in headless Chromium. The notebook is built here from the display functions, as the Deno
 * kernel would save their outputs; the executed project notebooks are checked the same way
 * by `notebooks/_render_check.ts` after `deno task notebooks`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  audioBundle,
  figureBundle,
  type MediaBundle,
  PLOTLY_MIME,
  SVG_MIME,
  tableBundle,
} from "../../lib/notebook/display.ts";
import {
  lossFigure,
  noteHistogramsFigure,
  pianoRollFigure,
  tokenFrequencyFigure,
} from "../../lib/notebook/plot.ts";
import { midiPlayerBundle } from "../../lib/notebook/player.ts";
import { renderWav } from "../../lib/notebook/synth.ts";
import { type Note, notesToMidi } from "../../lib/music/midi.ts";
import { chromiumPath } from "../_browser.ts";
import { arpeggioNotes, unigramTrace } from "../_helpers.ts";
import {
  classicInstalled,
  expectedOutputs,
  type NotebookJson,
  reportLine,
  saveLikeJupyter,
  signNotebook,
  startClassic,
  startLabRenderer,
} from "../_render.ts";

const OUT = join("out", "render-test");

const NOTES: Note[] = arpeggioNotes([60, 64, 67, 72, 67, 64, 62, 60]);

function display(bundle: MediaBundle) {
  return { output_type: "display_data", data: bundle, metadata: {} };
}

let cellIds = 0;

/** A code cell with an id (nbformat 4.5): without one, each reader makes up its own, and the
 * notebook's signature would not match from one reader to the next. */
function code(source: string, outputs: unknown[]) {
  return {
    id: `cell-${cellIds++}`,
    cell_type: "code",
    execution_count: 1,
    metadata: {},
    source,
    outputs,
  };
}

/** A notebook whose outputs are what the display functions send, as the kernel saves them. */
async function builtNotebook(): Promise<NotebookJson> {
  const history = {
    epoch: [1, 2, 3, 4],
    loss: [2.1, 1.6, 1.4, 1.3],
    val_loss: [2.2, 1.9, 1.8, 1.8],
  };
  const loss = lossFigure(history, { title: "Loss per epoch" });
  loss.data.push(unigramTrace(2.4, 4));
  const other = NOTES.map((n) => ({ ...n, pitch: n.pitch + 2 }));
  const midi = notesToMidi(NOTES);
  return {
    cells: [
      {
        id: "title",
        cell_type: "markdown",
        metadata: {},
        source: "# Outputs of the display functions",
      },
      code("await showFigure(lossFigure(history));", [
        { output_type: "stream", name: "stdout", text: "training done\n" },
        // The first figure of a kernel carries plotly.js (packed), as showFigure sends it.
        display(figureBundle(loss, { plotlyJs: "packed" })),
      ]),
      code("await showFigure(pianoRollFigure(notes));", [
        display(
          figureBundle(pianoRollFigure(NOTES, { title: "Piano roll" }), { plotlyJs: "page" }),
        ),
      ]),
      code("await showFigure(corpusFigure(corpus, music));", [
        display(figureBundle(noteHistogramsFigure(NOTES, { other }), { plotlyJs: "page" })),
        display(
          figureBundle(tokenFrequencyFigure(["E4", "0.4.7", "E4", "C4"]), { plotlyJs: "page" }),
        ),
      ]),
      code("await showTable(rows);", [display(tableBundle([{ pitch: 60, step: 0.5 }]))]),
      code("await showMidiPlayer(notes, { wavBytes, midiBytes });", [
        display(
          await midiPlayerBundle(NOTES, {
            wavBytes: renderWav(NOTES),
            midiBytes: midi,
            caption: "Generated",
          }),
        ),
      ]),
      code("await showAudio(wavBytes);", [display(audioBundle(renderWav(NOTES.slice(0, 2))))]),
    ],
    metadata: {
      kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
      language_info: { name: "typescript" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  } as NotebookJson;
}

/** A copy of `nb` with `change` applied to the MIME bundle of each output that has one. */
function withOutputData(
  nb: NotebookJson,
  change: (data: Record<string, unknown>) => void,
): NotebookJson {
  const copy = structuredClone(nb);
  for (const cell of copy.cells) {
    for (const o of cell.outputs ?? []) if (o.data) change(o.data);
  }
  return copy;
}

/** The same figures in the form the project used before: no static picture. */
function withoutPictures(nb: NotebookJson): NotebookJson {
  return withOutputData(nb, (data) => {
    if (PLOTLY_MIME in data) {
      data["text/html"] = String(data["text/html"]).replace(/<img [^>]*>/, "");
    }
  });
}

/** The figures with the SVG but no HTML: JupyterLab does not show an untrusted SVG. */
function svgOnly(nb: NotebookJson): NotebookJson {
  return withOutputData(nb, (data) => {
    if (SVG_MIME in data) delete data["text/html"];
  });
}

Deno.test("expectedOutputs() finds each figure and each audio player of a notebook", async () => {
  const expected = expectedOutputs(await builtNotebook());
  assert.deepEqual(
    expected.map((e) => `${e.cell}.${e.display} ${e.kind}`),
    ["1.0 figure", "2.0 figure", "3.0 figure", "3.1 figure", "5.0 audio", "6.0 audio"],
  );
});

Deno.test({
  name:
    "JupyterLab's renderers show every figure and audio player: the SVG picture untrusted, plotly trusted",
  ignore: chromiumPath() === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "midi-lstm-render-" });
    // As saved by Jupyter: HTML as lists of lines, joined again by the server that serves it.
    const nb = await saveLikeJupyter(await builtNotebook(), join(dir, "built.ipynb"));
    assert.ok(Array.isArray(nb.cells[1].outputs![1].data!["text/html"]));
    const lab = await startLabRenderer();
    try {
      const shotsDir = join(OUT, "jupyterlab");
      const untrusted = await lab.check(nb, { trusted: false, shotsDir, name: "built" });
      assert.deepEqual(untrusted.problems, [], reportLine(untrusted));
      assert.equal(untrusted.figuresShown, 4);
      assert.equal(untrusted.audioShown, 2);
      const { page } = lab.browser;
      // Untrusted: the static pictures, no script ran, no plotly drawing.
      assert.equal(await page.locator("img.midi-lstm-figure-static:visible").count(), 4);
      assert.equal(await page.locator(".main-svg").count(), 0);
      assert.equal(await page.locator("img.midi-lstm-static-roll:visible").count(), 1);

      const trusted = await lab.check(nb, { trusted: true, shotsDir, name: "built" });
      assert.deepEqual(trusted.problems, [], reportLine(trusted));
      assert.equal(trusted.figuresShown, 4);
      assert.equal(trusted.audioShown, 2);
      // Trusted: plotly drew over the pictures and hid them; the player mounted.
      assert.equal(await page.locator("img.midi-lstm-figure-static:visible").count(), 0);
      assert.equal(await page.locator("canvas.midi-lstm-roll").count(), 1);
      assert.ok(trusted.screenshots.length === 6, `screenshots: ${trusted.screenshots}`);

      // Controls: the checks see a figure that is not there.
      const before = await lab.check(withoutPictures(nb), { trusted: false, name: "control" });
      assert.equal(before.figuresShown, 0, reportLine(before));
      const svg = await lab.check(svgOnly(nb), { trusted: false, name: "control" });
      assert.equal(svg.figuresShown, 0, reportLine(svg));
      // JupyterLab takes the safe text/plain over an untrusted SVG.
      assert.match(await page.locator("#notebook").innerText(), /Figure "Loss per epoch"/);
    } finally {
      await lab.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "Notebook 6 opens a saved notebook untrusted with every figure and audio player shown, and trusted once signed",
  ignore: chromiumPath() === undefined || !classicInstalled(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "midi-lstm-render-" });
    const signedData = await Deno.makeTempDir({ prefix: "midi-lstm-jupyter-data-" });
    const freshData = await Deno.makeTempDir({ prefix: "midi-lstm-jupyter-data-" });
    const lab = await startLabRenderer(); // for its browser
    try {
      const path = join(dir, "built.ipynb");
      await saveLikeJupyter(await builtNotebook(), path);
      await signNotebook(path, signedData);
      const shotsDir = join(OUT, "notebook6");

      /** Serves `dir` with the Jupyter data folder `dataDir` and checks the notebook. */
      const checkServed = async (
        dataDir: string,
        trusted: boolean,
        after?: () => Promise<void>,
      ) => {
        const server = await startClassic(dir, dataDir);
        try {
          const r = await server.check(lab.browser, "built.ipynb", {
            trusted,
            shotsDir,
            name: "built",
          });
          assert.deepEqual(r.problems, [], reportLine(r));
          assert.equal(r.figuresShown, 4);
          assert.equal(r.audioShown, 2);
          await after?.();
        } finally {
          await server.close();
        }
      };

      await checkServed(freshData, false, async () => {
        await lab.browser.page.screenshot({
          path: join(shotsDir, "built-notebook6-untrusted.png"),
        });
      });
      await checkServed(signedData, true);
    } finally {
      await lab.close();
      for (const d of [dir, signedData, freshData]) {
        await Deno.remove(d, { recursive: true }).catch(() => {});
      }
    }
  },
});
