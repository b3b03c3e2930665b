import assert from "node:assert/strict";
import {
  audioBundle,
  displayable,
  figureBundle,
  isNotebook,
  livePlot,
  PLOTLY_MIME,
  saveFigureHtml,
  showAudio,
  showBundle,
  showFigure,
  showTable,
  SVG_MIME,
  tableBundle,
} from "../../lib/notebook/display.ts";
import { lossFigure } from "../../lib/notebook/plot.ts";
import { chromiumPath, launchBrowser } from "../_browser.ts";

const FIG = lossFigure({ loss: [3, 2, 1], val_loss: [4, 3, 2] }, { title: "Test loss" });

/** A 16-bit mono PCM WAV of `samples` zero samples at 8000 Hz. */
function wav(samples: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples * 2);
  const view = new DataView(bytes.buffer);
  const put = (at: number, text: string) =>
    [...text].forEach((c, i) => (bytes[at + i] = c.charCodeAt(0)));
  put(0, "RIFF");
  view.setUint32(4, 36 + samples * 2, true);
  put(8, "WAVE");
  put(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 8000, true);
  view.setUint32(28, 16000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, "data");
  view.setUint32(40, samples * 2, true);
  return bytes;
}

Deno.test("isNotebook() is false outside the Jupyter kernel", () => {
  assert.equal(isNotebook(), false);
});

/** The SVG inside the `data:` URI of the first `<img>` of some HTML. */
function imgSvg(html: string): string {
  const uri = html.match(/<img [^>]*src="data:image\/svg\+xml;base64,([^"]+)"/);
  assert.ok(uri, "expected an <img> with an SVG data URI");
  return new TextDecoder().decode(Uint8Array.from(atob(uri[1]), (c) => c.charCodeAt(0)));
}

Deno.test("figureBundle() carries plotly JSON, HTML, an SVG picture and a text summary", () => {
  const bundle = figureBundle(FIG, { plotlyJs: "page" });
  assert.deepEqual(
    Object.keys(bundle).sort(),
    [PLOTLY_MIME, SVG_MIME, "text/html", "text/plain"].sort(),
  );
  const json = bundle[PLOTLY_MIME] as { data: unknown[]; layout: unknown };
  assert.equal(json.data.length, 2);
  assert.equal(
    bundle["text/plain"],
    'Figure "Test loss": 2 traces (loss: 3 points, val_loss: 3 points)',
  );
  assert.match(bundle["text/html"] as string, /Plotly\.newPlot/);
  const svg = bundle[SVG_MIME] as string;
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="720" height="320"/);
  assert.match(svg, /<polyline class="line"/);
});

Deno.test("figureBundle() shows the SVG as an <img> until plotly draws, the plotly div empty", () => {
  const bundle = figureBundle(FIG, { plotlyJs: "page", imageWidthPx: 600 });
  const html = bundle["text/html"] as string;
  assert.equal(imgSvg(html), figureBundle(FIG, { plotlyJs: "page", imageWidthPx: 600 })[SVG_MIME]);
  assert.match(html, /<img class="midi-lstm-figure-static" alt="Figure &quot;Test loss&quot;/);
  assert.match(html, /width="600" height="320"/);
  assert.match(html, /<div id="plot-[^"]+" class="plotly-graph-div"><\/div>/);
  // The picture comes before the plotly div and the script that hides it.
  assert.ok(html.indexOf("<img") < html.indexOf("plotly-graph-div"));
  assert.match(html, /picture\.style\.display = "none"/);
});

Deno.test("figureBundle() inlines plotly.js by default and loads nothing from a URL", () => {
  const html = figureBundle(FIG)["text/html"] as string;
  assert.match(html, /plotly\.js \(basic - minified\) v2\.\d+\.\d+/);
  assert.ok(html.length > 1_000_000, `expected the library inline, got ${html.length} chars`);
  assert.ok(html.length < 1_300_000, `expected the basic bundle, got ${html.length} chars`);
  assert.doesNotMatch(html, /<script[^>]*\ssrc=/);
  assert.match(html, /if \(!window\.Plotly\)/);
});

Deno.test("figureBundle() with plotlyJs 'page' leaves the library out", () => {
  const html = figureBundle(FIG, { plotlyJs: "page" })["text/html"] as string;
  assert.ok(html.length < 10_000, `expected a small output, got ${html.length} chars`);
  assert.doesNotMatch(html, /plotly\.js \(basic/);
});

Deno.test("figureBundle() keeps '</script>' in figure text from ending the script", () => {
  const fig = lossFigure({ loss: [1] }, { title: "</script><b>x</b>" });
  const html = figureBundle(fig, { plotlyJs: "page" })["text/html"] as string;
  assert.equal(html.split("</script>").length - 1, 1);
  assert.doesNotMatch(imgSvg(html), /<b>/);
  assert.match(imgSvg(html), /&lt;\/script&gt;&lt;b&gt;x&lt;\/b&gt;/);
});

Deno.test("tableBundle() gives an HTML table and aligned text with the head rows", () => {
  const rows = [{ pitch: 60, step: 0.123456 }, { pitch: 62, step: 0.5 }, { pitch: 64, step: 1 }];
  const bundle = tableBundle(rows, { head: 2 });
  const html = bundle["text/html"] as string;
  assert.match(html, /<table/);
  assert.match(html, /<th>pitch<\/th><th>step<\/th>/);
  assert.match(html, /0\.1235/);
  assert.doesNotMatch(html, />64</);
  assert.equal(
    bundle["text/plain"],
    ["   pitch    step", "0     60  0.1235", "1     62     0.5", "... 1 more row (3 in all)"]
      .join("\n"),
  );
});

Deno.test("tableBundle() escapes HTML in cells and shows missing values as empty", () => {
  const html = tableBundle([{ a: "<b>", b: 1 }, { a: "x" }])["text/html"] as string;
  assert.match(html, /&lt;b&gt;/);
  assert.doesNotMatch(html, /<b>/);
  assert.doesNotMatch(html, /undefined/);
});

Deno.test("audioBundle() embeds the WAV as a data URI and links the MIDI file", () => {
  const midi = new Uint8Array([77, 84, 104, 100]);
  const bundle = audioBundle(wav(8000), { midiBytes: midi, midiFileName: "tune.mid" });
  const html = bundle["text/html"] as string;
  assert.match(html, /<audio controls[^>]*src="data:audio\/wav;base64,UklGR/);
  assert.match(html, /<a download="tune.mid" href="data:audio\/midi;base64,TVRoZA=="/);
  assert.equal(bundle["text/plain"], "Audio: 1.0 s WAV (15.7 KB), MIDI tune.mid (4 bytes)");
});

Deno.test("audioBundle() accepts bytes that are not a WAV it understands", () => {
  const bundle = audioBundle(new Uint8Array(10));
  assert.equal(bundle["text/plain"], "Audio: WAV (10 bytes)");
  assert.doesNotMatch(bundle["text/html"] as string, /download=/);
});

Deno.test("show functions do nothing outside the kernel and pass text to the fallback", async () => {
  const seen: string[] = [];
  const fallback = (text: string) => seen.push(text);
  await showFigure(FIG, { fallback });
  await showTable([{ a: 1 }], { fallback });
  await showAudio(wav(10), { fallback });
  await showBundle({ "text/plain": "plain" }, { fallback });
  await showFigure(FIG);
  assert.deepEqual(seen, [
    'Figure "Test loss": 2 traces (loss: 3 points, val_loss: 3 points)',
    "   a\n0  1",
    "Audio: 0.0 s WAV (64 bytes)",
    "plain",
  ]);
});

Deno.test("showBundle() rejects an update without a display id", async () => {
  await assert.rejects(showBundle({ "text/plain": "x" }, { update: true }), /needs a displayId/);
});

Deno.test("livePlot() reports the latest epoch to the fallback outside the kernel", async () => {
  const seen: string[] = [];
  const plot = livePlot({ fallback: (t) => seen.push(t), displayId: "loss-plot" });
  const history = { loss: [0.5], val_loss: [0.75] };
  await plot.update(history);
  history.loss.push(0.25);
  history.val_loss.push(0.123456);
  await plot.update(history);
  assert.equal(plot.displayId, "loss-plot");
  assert.equal(plot.updates, 2);
  assert.deepEqual(seen, [
    "epoch 1: loss 0.5, val_loss 0.75",
    "epoch 2: loss 0.25, val_loss 0.1235",
  ]);
});

Deno.test("displayable() hands the bundle to the kernel's display symbol", () => {
  const bundle = { "text/plain": "hi" };
  const d = displayable(bundle) as unknown as Record<symbol, () => unknown>;
  assert.equal(d[Symbol.for("Jupyter.display")](), bundle);
});

Deno.test("saveFigureHtml() writes a small self-contained page: plotly.js packed, the SVG picture", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/loss.html`;
    await saveFigureHtml(FIG, path);
    const page = await Deno.readTextFile(path);
    assert.match(page, /^<!DOCTYPE html>/);
    assert.match(page, /<title>Test loss<\/title>/);
    assert.match(page, /DecompressionStream\("gzip"\)/);
    assert.doesNotMatch(page, /<script[^>]*\ssrc=/);
    assert.match(page, /"val_loss"/);
    assert.match(imgSvg(page), /<text class="figure-title"[^>]*>Test loss<\/text>/);
    assert.ok(page.length < 700_000, `expected a page under 0.7 MB, got ${page.length} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tableBundle() says 'no rows' for an empty table instead of drawing an empty grid", () => {
  const bundle = tableBundle([], { caption: "Skipped files" });
  assert.equal(bundle["text/plain"], "Skipped files: no rows");
  assert.ok(!String(bundle["text/html"]).includes("<table"));
});

Deno.test({
  name:
    "saveFigureHtml() page in Chromium: plotly draws over the picture; with scripts stripped the picture shows",
  ignore: chromiumPath() === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const browser = await launchBrowser();
    try {
      const path = `${dir}/loss.html`;
      await saveFigureHtml(FIG, path);
      const { page } = browser;
      await page.goto(`file://${path}`);
      await page.waitForSelector(".plotly-graph-div .main-svg", { timeout: 20_000 });
      assert.equal(await page.locator("img.midi-lstm-figure-static").isVisible(), false);
      assert.deepEqual(browser.errors, []);

      const html = await Deno.readTextFile(path);
      await page.setContent(html.replace(/<script[\s\S]*?<\/script>/g, ""));
      const box = await page.locator("img.midi-lstm-figure-static").boundingBox();
      assert.ok(box && box.width > 300 && box.height > 200, `picture ${JSON.stringify(box)}`);
      assert.equal(await page.locator(".main-svg").count(), 0);
    } finally {
      await browser.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
