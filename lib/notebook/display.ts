/**
 * Rich output for the notebooks: plotly figures, tables, audio players and a loss plot that
 * redraws itself in place while a model trains.
 *
 * The `*Bundle` functions build Jupyter MIME bundles (plain objects keyed by MIME type) and
 * work anywhere. The `show*` functions and {@linkcode livePlot} send bundles to the Deno
 * Jupyter kernel through `Deno.jupyter.display`; outside the kernel (a script, `deno test`)
 * they never throw and do nothing, unless given a `fallback` callback, which then receives
 * the `text/plain` form (this module itself never prints).
 *
 * Figures carry four forms, so a saved notebook shows them in any front end, trusted or not:
 * - `application/vnd.plotly.v1+json`: drawn by JupyterLab and VS Code where the plotly
 *   extension is installed;
 * - `text/html`: a static picture (`<img>` of the SVG below, as a `data:` URI) and a plotly
 *   div with a script that draws the interactive figure with plotly.js (the
 *   `plotly.js-basic-dist-min` npm package, packed by `plotly_bundle.ts`; offline, no CDN) and then
 *   hides the picture. Where scripts do not run (an untrusted notebook, GitHub, nbviewer's
 *   sanitized view) the picture stays. JupyterLab and Notebook 6 pick this form before the
 *   SVG: for an untrusted output it is the richest one they treat as safe (they sanitize it,
 *   keeping the `<img>`), and an untrusted `image/svg+xml` they do not show at all;
 * - `image/svg+xml`: the same picture on its own (`svg_chart.ts`), for viewers and converters
 *   that take images rather than HTML;
 * - `text/plain`: a one-line summary.
 *
 * A bundle from {@linkcode figureBundle} inlines plotly.js and works on its own; the library
 * runs only if the page has no `window.Plotly` yet. {@linkcode showFigure} and
 * {@linkcode livePlot} send the library (gzip-compressed, about 0.5 MB) only with the first
 * figure a kernel shows; later figures use the copy already on the page.
 *
 * In the kernel, `await` the `show*` calls: a display that is still being sent when the cell
 * ends may reach the notebook late.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { dirname } from "node:path";
import { packedPlotlyLoaderScript, plotlyLoaderScript } from "./plotly_bundle.ts";
import { figurePicture } from "./_static_image.ts";
import { escapeHtml, scriptJson, titleText } from "./_markup.ts";
import { lossFigure, type LossFigureOptions, type LossHistory, type PlotlyFigure } from "./plot.ts";

/** A Jupyter MIME bundle: MIME type to content (strings, or JSON objects for `+json` types). */
export type MediaBundle = Record<string, string | object>;

/** An object the Deno kernel draws with the bundle it returns when it ends a cell. */
export interface Displayable {
  /** Called by the kernel (`Symbol.for("Jupyter.display")`). */
  [key: symbol]: () => MediaBundle;
}

/** The MIME type of plotly figure JSON. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** The MIME type of the static SVG picture every figure output carries. */
export const SVG_MIME = "image/svg+xml";

/** The subset of `Deno.jupyter` used here. */
interface JupyterApi {
  display(
    obj: unknown,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
}

/** `Deno.jupyter` when running inside the Deno Jupyter kernel, else undefined. */
function jupyterApi(): JupyterApi | undefined {
  try {
    // Reading Deno.jupyter throws outside the kernel.
    const api = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
    return typeof api?.display === "function" ? api : undefined;
  } catch {
    return undefined;
  }
}

/** True inside the Deno Jupyter kernel (where `Deno.jupyter` is usable); never throws. */
export function isNotebook(): boolean {
  return jupyterApi() !== undefined;
}

/**
 * Wraps a bundle so that the Deno kernel draws it when it is the value of a cell's last
 * expression. The bundle is kept as given, not copied.
 */
export function displayable(bundle: MediaBundle): Displayable {
  return { [Symbol.for("Jupyter.display")]: () => bundle };
}

/** Options for {@linkcode showBundle}. */
export interface ShowOptions {
  /**
   * Display id: a later display with `update: true` and the same id replaces this output in
   * place (Jupyter's `update_display_data`).
   * @default {undefined}
   */
  displayId?: string;
  /**
   * Replace the earlier output that has `displayId` instead of adding a new output.
   * @default {false}
   */
  update?: boolean;
  /**
   * Called with the bundle's `text/plain` form when not running in the notebook kernel
   * (for example `console.log` in a script). Not called inside the kernel.
   * @default {undefined (outside the kernel nothing happens)}
   */
  fallback?: (text: string) => void;
}

/**
 * Sends a MIME bundle to the notebook (`Deno.jupyter.display` with `raw: true`). Outside the
 * kernel it only calls `options.fallback`, if given.
 *
 * @throws {Error} when `update` is set without a `displayId`
 */
export async function showBundle(bundle: MediaBundle, options: ShowOptions = {}): Promise<void> {
  if (options.update && !options.displayId) {
    throw new Error("showBundle: update: true needs a displayId, got none");
  }
  const api = jupyterApi();
  if (!api) {
    const text = bundle["text/plain"];
    options.fallback?.(typeof text === "string" ? text : JSON.stringify(text));
    return;
  }
  await api.display(bundle, {
    raw: true,
    update: options.update ?? false,
    ...(options.displayId ? { display_id: options.displayId } : {}),
  });
}

/** Options for {@linkcode figureBundle}. */
export interface FigureBundleOptions {
  /**
   * How the `text/html` form gets plotly.js: `"inline"` embeds the library (the output works
   * on its own, offline; about 1.1 MB); `"page"` embeds none and waits for another output on
   * the same page to load it (small; for outputs redrawn often); `"packed"` embeds it
   * gzip-compressed (about 0.5 MB; see {@linkcode packedPlotlyLoaderScript}), as
   * {@linkcode showFigure} does with the first figure of a kernel. Either way the static
   * picture shows until plotly has drawn.
   * @default {"inline"}
   */
  plotlyJs?: "inline" | "packed" | "page";
  /**
   * Height of the plotly area and of the static picture, in pixels.
   * @default {the figure's `layout.height`, else 360}
   */
  heightPx?: number;
  /**
   * Width of the static picture (SVG) in pixels; in the HTML form it shrinks to the output's
   * width when that is narrower.
   * @default {720}
   */
  imageWidthPx?: number;
}

function figureTitle(fig: PlotlyFigure): string {
  return titleText(fig.layout.title, "untitled");
}

/** One line: title and traces with their point counts. */
function figureSummary(fig: PlotlyFigure): string {
  const traces = fig.data.map((t, i) => {
    const y = t.y ?? t.x;
    const points = Array.isArray(y) ? y.filter((v) => v !== null).length : 0;
    return `${typeof t.name === "string" ? t.name : `trace ${i}`}: ${points} points`;
  });
  return `Figure "${figureTitle(fig)}": ${fig.data.length} trace${
    fig.data.length === 1 ? "" : "s"
  } (${traces.join(", ")})`;
}

/** `heightPx` when given, else the figure's `layout.height`, else `fallbackPx`. */
function figureHeightPx(fig: PlotlyFigure, heightPx: number | undefined, fallbackPx: number) {
  if (heightPx !== undefined) return heightPx;
  return typeof fig.layout.height === "number" ? fig.layout.height : fallbackPx;
}

/** The figure's static picture (see `figurePicture`), named by its summary. */
function staticPicture(fig: PlotlyFigure, heightPx: number, widthPx: number) {
  return figurePicture(fig, {
    widthPx,
    heightPx,
    alt: figureSummary(fig),
    className: "midi-lstm-figure-static",
  });
}

/**
 * The static picture, an empty plotly div, and the script that (once `window.Plotly`
 * exists) sizes the div, draws the figure into it and hides the picture. Where the script
 * does not run the picture stays and the div takes no room. (The div gets its size from the
 * script, not from markup: sanitizers keep a `style` but drop an empty `hidden`.)
 */
function figureDiv(fig: PlotlyFigure, heightPx: number, staticImg: string): string {
  const id = `plot-${crypto.randomUUID()}`;
  return `<div class="midi-lstm-figure">
${staticImg}
<div id="${id}" class="plotly-graph-div"></div>
<script type="text/javascript">(function () {
  var fig = ${scriptJson({ data: fig.data, layout: fig.layout })};
  var tries = 0;
  function draw() {
    // The output may reach the page after its script runs, and plotly.js after it.
    var el = document.getElementById(${JSON.stringify(id)});
    if (el && window.Plotly) {
      var picture = el.parentNode.querySelector(".midi-lstm-figure-static");
      if (picture) picture.style.display = "none";
      el.style.height = "${heightPx}px";
      el.style.width = "100%";
      window.Plotly.newPlot(el, fig.data, fig.layout, {responsive: true, displaylogo: false});
    } else if (tries++ < 300) {
      setTimeout(draw, 100);
    }
  }
  draw();
})();</script>
</div>`;
}

/**
 * Builds the MIME bundle for a plotly figure: `application/vnd.plotly.v1+json`, `text/html`
 * (the static picture, and plotly.js drawing over it: see
 * {@linkcode FigureBundleOptions.plotlyJs}), `image/svg+xml` (the static picture, drawn by
 * `figureSvg`) and a one-line `text/plain` summary. The figure is not changed; the JSON form
 * shares its arrays.
 *
 * @throws {Error} when plotly.js is needed (`plotlyJs` `"inline"` or `"packed"`) and the
 *   `plotly.js-basic-dist-min` package is not in node_modules
 */
export function figureBundle(fig: PlotlyFigure, options: FigureBundleOptions = {}): MediaBundle {
  const heightPx = figureHeightPx(fig, options.heightPx, 360);
  const mode = options.plotlyJs ?? "inline";
  const loader = mode === "inline"
    ? plotlyLoaderScript() + "\n"
    : mode === "packed"
    ? packedPlotlyLoaderScript() + "\n"
    : "";
  const picture = staticPicture(fig, heightPx, options.imageWidthPx ?? 720);
  return {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout },
    "text/html": loader + figureDiv(fig, heightPx, picture.img),
    [SVG_MIME]: picture.svg,
    "text/plain": figureSummary(fig),
  };
}

/** Whether this process already sent plotly.js to the notebook page. */
let plotlyJsSent = false;

/** Options for {@linkcode showFigure}. */
export interface ShowFigureOptions extends Omit<FigureBundleOptions, "plotlyJs">, ShowOptions {
  /**
   * As {@linkcode FigureBundleOptions.plotlyJs}, plus `"once"`: the packed library (about
   * 0.5 MB) with the first figure this kernel shows, `"page"` after that, so a notebook with
   * many figures holds the library once instead of in every output.
   * @default {"once"}
   */
  plotlyJs?: "once" | "inline" | "packed" | "page";
}

/**
 * Shows a plotly figure in the notebook (see {@linkcode figureBundle}); outside the kernel it
 * only calls `options.fallback` with the one-line summary.
 *
 * @throws {Error} as {@linkcode figureBundle}, only inside the kernel
 */
export async function showFigure(
  fig: PlotlyFigure,
  options: ShowFigureOptions = {},
): Promise<void> {
  if (!isNotebook()) {
    options.fallback?.(figureSummary(fig));
    return;
  }
  const mode = options.plotlyJs ?? "once";
  // The first figure carries the compressed library; later ones use it.
  const plotlyJs = mode === "once" ? (plotlyJsSent ? "page" : "packed") : mode;
  await showBundle(figureBundle(fig, { ...options, plotlyJs }), options);
  if (plotlyJs !== "page") plotlyJsSent = true;
}

/** Options for {@linkcode saveFigureHtml}. */
export interface SaveFigureHtmlOptions {
  /**
   * Page title.
   * @default {the figure's title}
   */
  title?: string;
  /**
   * Height of the plot in pixels.
   * @default {the figure's `layout.height`, else 480}
   */
  heightPx?: number;
}

/**
 * Writes a figure to a self-contained HTML page that works offline: the static picture (shown
 * where scripts do not run) and the interactive plotly figure over it, with plotly.js packed
 * into the page (gzip and base64, about 0.5 MB in all; unpacked by the browser's
 * `DecompressionStream`). Creates the parent folder if needed and overwrites an existing
 * file.
 *
 * @throws {Error} naming the path when it cannot be written, or when
 *   `plotly.js-basic-dist-min` is missing from node_modules
 */
export async function saveFigureHtml(
  fig: PlotlyFigure,
  path: string,
  options: SaveFigureHtmlOptions = {},
): Promise<void> {
  const title = options.title ?? figureTitle(fig);
  const heightPx = figureHeightPx(fig, options.heightPx, 480);
  const picture = staticPicture(fig, heightPx, 900);
  const page = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
</head>
<body style="font-family: sans-serif; margin: 16px;">
${packedPlotlyLoaderScript()}
${figureDiv(fig, heightPx, picture.img)}
</body>
</html>
`;
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, page);
  } catch (e) {
    throw new Error(`saveFigureHtml: could not write ${path} (${(e as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------
// live loss plot

/** Options for {@linkcode livePlot}: the loss figure's options plus where updates go. */
export interface LivePlotOptions extends LossFigureOptions {
  /**
   * Display id of the plot output.
   * @default {a random id}
   */
  displayId?: string;
  /**
   * Called on each update with a one-line summary of the latest epoch when not running in the
   * notebook kernel (for example `console.log` in a script).
   * @default {undefined (outside the kernel nothing happens)}
   */
  fallback?: (text: string) => void;
}

/** A loss plot that redraws in place; made by {@linkcode livePlot}. */
export interface LivePlot {
  /** The display id of the plot output. */
  readonly displayId: string;
  /** Number of updates so far. */
  readonly updates: number;
  /**
   * Draws the history: the first call adds the output, later calls replace it in place.
   * The history is copied, so the caller may keep appending to its arrays.
   */
  update(history: LossHistory): Promise<void>;
}

/** "epoch 3: loss 0.1234, val_loss 0.2345" for the last entry of each series. */
function historySummary(history: LossHistory, series?: string[]): string {
  const names = (series ?? Object.keys(history)).filter((k) => k !== "epoch" && k in history);
  const n = Math.max(0, ...names.map((k) => history[k].length));
  const epoch = history.epoch?.length === n ? history.epoch[n - 1] : n;
  const parts = names.filter((k) => history[k].length > 0)
    .map((k) => `${k} ${Number(history[k][history[k].length - 1].toPrecision(4))}`);
  return `epoch ${epoch}: ${parts.join(", ")}`;
}

/**
 * Makes a loss plot that updates in place each epoch, for a training callback:
 *
 * ```ts
 * const plot = livePlot({ title: "Training loss" });
 * // in onEpochEnd: await plot.update(history);
 * ```
 *
 * In the kernel, the first update adds the plot output with a display id, preceded by an
 * output that loads plotly.js when no figure has sent it to the page yet (as `showFigure`'s
 * `"once"`); each later update replaces only the plot (`update_display_data`) without
 * resending the library. Outside the kernel, updates only call `options.fallback`.
 */
export function livePlot(options: LivePlotOptions = {}): LivePlot {
  const displayId = options.displayId ?? `live-plot-${crypto.randomUUID()}`;
  let updates = 0;
  return {
    displayId,
    get updates() {
      return updates;
    },
    async update(history: LossHistory): Promise<void> {
      const first = updates === 0;
      updates++;
      if (!isNotebook()) {
        options.fallback?.(historySummary(history, options.series));
        return;
      }
      const bundle = figureBundle(lossFigure(history, options), { plotlyJs: "page" });
      if (first && !plotlyJsSent) {
        await showBundle({ "text/html": packedPlotlyLoaderScript(), "text/plain": "" });
        plotlyJsSent = true;
      }
      await showBundle(bundle, { displayId, update: !first });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// tables

/** Options for {@linkcode tableBundle}. */
export interface TableBundleOptions {
  /**
   * Show only the first this many rows (the rest are counted in a footer line).
   * @default {20}
   */
  head?: number;
  /**
   * Columns to show, in order.
   * @default {every key of the shown rows, in first-seen order}
   */
  columns?: string[];
  /**
   * Significant digits for numbers that are not integers.
   * @default {4}
   */
  digits?: number;
  /**
   * Caption above the table.
   * @default {undefined}
   */
  caption?: string;
}

function formatCell(value: unknown, digits: number): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    return Number.isInteger(value) || !Number.isFinite(value)
      ? String(value)
      : String(Number(value.toPrecision(digits)));
  }
  if (typeof value === "string") return value;
  if (typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? json.slice(0, 57) + "..." : json;
}

/**
 * Builds a data-frame-like table: `text/html` (a `<table>` with a row index column) and an
 * aligned `text/plain` form. Rows are not changed.
 *
 * @param rows one object per row; keys are column names
 */
export function tableBundle(
  rows: ReadonlyArray<object>,
  options: TableBundleOptions = {},
): MediaBundle {
  if (rows.length === 0) {
    const text = `${options.caption ? `${options.caption}: ` : ""}no rows`;
    return { "text/html": `<p>${escapeHtml(text)}</p>`, "text/plain": text };
  }
  const head = Math.max(0, options.head ?? 20);
  const digits = options.digits ?? 4;
  const shown = rows.slice(0, head) as ReadonlyArray<Record<string, unknown>>;
  const columns = options.columns ?? [...new Set(shown.flatMap((r) => Object.keys(r)))];
  const cells = shown.map((r) => columns.map((c) => formatCell(r[c], digits)));
  const numeric = columns.map((c) =>
    shown.some((r) => typeof r[c] === "number") &&
    shown.every((r) => typeof r[c] === "number" || r[c] == null)
  );
  const more = rows.length - shown.length;
  const footer = more > 0
    ? `... ${more} more row${more === 1 ? "" : "s"} (${rows.length} in all)`
    : "";

  const th = (text: string) => `<th>${escapeHtml(text)}</th>`;
  const html = [
    `<table class="dataframe" style="border-collapse: collapse; font-size: 12px;">`,
    options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "",
    `<thead><tr><th></th>${columns.map(th).join("")}</tr></thead>`,
    "<tbody>",
    ...cells.map((row, i) =>
      `<tr><th>${i}</th>${
        row.map((cell, j) =>
          `<td style="text-align: ${numeric[j] ? "right" : "left"}; padding: 2px 8px;">${
            escapeHtml(cell)
          }</td>`
        ).join("")
      }</tr>`
    ),
    "</tbody></table>",
    footer ? `<p style="font-size: 11px; color: #666;">${escapeHtml(footer)}</p>` : "",
  ].join("");

  const clip = (s: string) => (s.length > 40 ? s.slice(0, 37) + "..." : s);
  const index = shown.map((_, i) => String(i));
  const textRows = [["", ...columns], ...cells.map((row, i) => [index[i], ...row])]
    .map((row) => row.map(clip));
  const widths = textRows[0].map((_, j) => Math.max(...textRows.map((r) => r[j].length)));
  const lines = textRows.map((row) =>
    row.map((
      cell,
      j,
    ) => (j > 0 && numeric[j - 1] ? cell.padStart(widths[j]) : cell.padEnd(widths[j])))
      .join("  ").trimEnd()
  );
  const text = [options.caption ?? "", ...lines, footer].filter((l) => l !== "").join("\n");
  return { "text/html": html, "text/plain": text };
}

/** Options for {@linkcode showTable}. */
export interface ShowTableOptions extends TableBundleOptions, ShowOptions {}

/**
 * Shows rows as a table in the notebook (see {@linkcode tableBundle}); outside the kernel it
 * only calls `options.fallback` with the text form.
 */
export async function showTable(
  rows: ReadonlyArray<object>,
  options: ShowTableOptions = {},
): Promise<void> {
  await showBundle(tableBundle(rows, options), options);
}

// ---------------------------------------------------------------------------------------------
// audio

/** Options for {@linkcode audioBundle}. */
export interface AudioBundleOptions {
  /**
   * MIDI file bytes to offer as a download link next to the player.
   * @default {undefined (no link)}
   */
  midiBytes?: Uint8Array;
  /**
   * File name the MIDI download gets.
   * @default {"generated.mid"}
   */
  midiFileName?: string;
  /**
   * Caption above the player.
   * @default {undefined}
   */
  caption?: string;
}

/** Seconds of audio in a PCM WAV file, or undefined when the header is not understood. */
function wavSeconds(wav: Uint8Array): number | undefined {
  if (wav.length < 44) return undefined;
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (at: number) => String.fromCharCode(...wav.subarray(at, at + 4));
  if (tag(0) !== "RIFF" || tag(8) !== "WAVE") return undefined;
  let byteRate = 0;
  for (let at = 12; at + 8 <= wav.length;) {
    const size = view.getUint32(at + 4, true);
    if (tag(at) === "fmt " && at + 16 <= wav.length) byteRate = view.getUint32(at + 16, true);
    if (tag(at) === "data") {
      return byteRate > 0 ? Math.min(size, wav.length - at - 8) / byteRate : undefined;
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

function kilobytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KB`;
}

/**
 * Builds an audio player bundle: `text/html` with `<audio controls>` playing the WAV bytes
 * from a base64 data URI, an optional download link for MIDI bytes, and a `text/plain` line.
 * The bytes are not changed.
 *
 * @param wavBytes a WAV file (see `lib/notebook/synth.ts`); the length is read from its header when
 *   it is a PCM WAV
 */
export function audioBundle(wavBytes: Uint8Array, options: AudioBundleOptions = {}): MediaBundle {
  const seconds = wavSeconds(wavBytes);
  const wavUri = `data:audio/wav;base64,${Buffer.from(wavBytes).toString("base64")}`;
  const parts = [`<div class="midi-lstm-audio">`];
  if (options.caption) parts.push(`<div><b>${escapeHtml(options.caption)}</b></div>`);
  parts.push(`<audio controls preload="auto" src="${wavUri}"></audio>`);
  let text = `Audio: ${seconds === undefined ? "" : `${seconds.toFixed(1)} s `}WAV (${
    kilobytes(wavBytes.length)
  })`;
  if (options.midiBytes) {
    const name = options.midiFileName ?? "generated.mid";
    const midiUri = `data:audio/midi;base64,${Buffer.from(options.midiBytes).toString("base64")}`;
    parts.push(
      `<div><a download="${escapeHtml(name)}" href="${midiUri}">Download ${escapeHtml(name)}</a> (${
        kilobytes(options.midiBytes.length)
      })</div>`,
    );
    text += `, MIDI ${name} (${kilobytes(options.midiBytes.length)})`;
  }
  parts.push("</div>");
  if (options.caption) text = `${options.caption}\n${text}`;
  return { "text/html": parts.join("\n"), "text/plain": text };
}

/** Options for {@linkcode showAudio}. */
export interface ShowAudioOptions extends AudioBundleOptions, ShowOptions {}

/**
 * Shows an audio player (and MIDI download link) in the notebook (see
 * {@linkcode audioBundle}); outside the kernel it only calls `options.fallback` with the text
 * form.
 */
export async function showAudio(
  wavBytes: Uint8Array,
  options: ShowAudioOptions = {},
): Promise<void> {
  await showBundle(audioBundle(wavBytes, options), options);
}
