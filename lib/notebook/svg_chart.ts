/**
 * Static pictures of the project's plotly figures: {@linkcode figureSvg} draws a figure as an
 * SVG document in TypeScript, with no browser and no plotly.js, so a saved notebook shows its
 * figures where scripts do not run (an untrusted notebook, GitHub, nbviewer, VS Code without
 * the plotly extension).
 *
 * It draws the part of plotly's JSON that `plot.ts` uses, in plotly's terms:
 * - `scatter` traces: `mode` lines and/or markers, `line.color`, `line.dash`, `line.width`,
 *   `marker.size`, `marker.color`; a `null` (or any value that is not a finite number) breaks
 *   the line;
 * - `bar` traces, vertical or `orientation: "h"`: `base`, `width`, `marker.color` (one colour
 *   or one per bar), `opacity`; `layout.barmode` `"overlay"`, `"stack"` or `"group"` (the
 *   default) and `layout.bargap`;
 * - axes `linear`, `log` and `category` (strings on an axis make it one), with `title.text`;
 * - subplots: `layout.grid` (`rows`, `columns`) with traces on `x2`/`y2`..., one subplot per
 *   x axis;
 * - `layout.shapes` of type `line` and `rect` (a reference line such as a baseline), on data
 *   axes or on `paper`, and `layout.annotations` as text;
 * - the title, and a legend of the named traces (shown when more than one trace is named,
 *   unless `layout.showlegend` says otherwise; `showlegend: false` leaves a trace out).
 *
 * Everything else in a figure is ignored. The picture has a class on each part (`plot-area`,
 * `x-axis`, `y-axis`, `tick`, `trace`, `bar`, `marker`, `shape`, `legend-item`, ...), so tests
 * and style sheets can find them.
 *
 * @module
 */
import { PLOTLY_COLORWAY } from "./_colors.ts";
import { escapeHtml, titleText } from "./_markup.ts";
import type { PlotlyFigure, PlotlyLayout, PlotlyTrace } from "./plot.ts";

/** Options for {@linkcode figureSvg}. */
export interface FigureSvgOptions {
  /**
   * Width of the picture in pixels.
   * @default {720}
   */
  widthPx?: number;
  /**
   * Height of the picture in pixels.
   * @default {the figure's `layout.height`, else 360}
   */
  heightPx?: number;
}

const FONT_PX = 11;
const TITLE_PX = 14;
/** Rough width of one character of the sans-serif font, per pixel of font size. */
const CHAR_EM = 0.6;
const SUBPLOT_GAP_PX = 56;

/** Text safe inside SVG elements and attribute values, less the control characters XML forbids. */
export function escapeXml(text: string): string {
  // deno-lint-ignore no-control-regex
  return escapeHtml(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ""));
}

/** A pixel coordinate as short text: one decimal, no trailing zero. */
function px(value: number): string {
  const r = Math.round(value * 10) / 10;
  return String(Object.is(r, -0) ? 0 : r);
}

function textWidth(text: string, fontPx = FONT_PX): number {
  return text.length * fontPx * CHAR_EM;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" ? value as Record<string, unknown> : {};
}

function finite(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** An SVG stroke-dasharray for a plotly dash name ("" for solid). */
function dashArray(dash: unknown, width: number): string {
  const w = Math.max(1, width);
  switch (dash) {
    case "dash":
      return `${px(3 * w)} ${px(2 * w)}`;
    case "dot":
      return `${px(w)} ${px(1.5 * w)}`;
    case "dashdot":
      return `${px(3 * w)} ${px(1.5 * w)} ${px(w)} ${px(1.5 * w)}`;
    case "longdash":
      return `${px(5 * w)} ${px(2 * w)}`;
    default:
      return typeof dash === "string" && /^[\d.\s,px]+$/.test(dash)
        ? dash.replaceAll("px", "")
        : "";
  }
}

// ---------------------------------------------------------------------------------------------
// axes

type AxisType = "linear" | "log" | "category";

/** One axis of one subplot: its data range, ticks and pixel span. */
interface Axis {
  name: string;
  type: AxisType;
  title: string;
  /** Category names in order (category axes). */
  categories: string[];
  /** Data values seen (numbers: linear and log axes). */
  values: number[];
  /** The shown range, in axis units (log axes: log10 of the value). */
  lo: number;
  hi: number;
  /** Tick positions in axis units, with their labels. */
  ticks: Array<{ at: number; label: string }>;
  /** Pixel span: from `start` (lo) to `end` (hi). */
  start: number;
  end: number;
  /** Whether every value is an integer (then ticks are too). */
  integers: boolean;
  /** Fraction of the data span added at each end (0 for bars, so they stand on the edge). */
  pad: number;
}

function newAxis(name: string, layoutAxis: Record<string, unknown>): Axis {
  const t = layoutAxis.type;
  return {
    name,
    type: t === "log" || t === "category" ? t : "linear",
    title: titleText(layoutAxis.title),
    categories: [],
    values: [],
    lo: 0,
    hi: 1,
    ticks: [],
    start: 0,
    end: 1,
    integers: true,
    pad: 0,
  };
}

/**
 * Records a data value on an axis. Strings that are not numbers make an axis that has seen no
 * number a category axis. An `edge` (a bar's side) widens the range but does not count as a
 * value (integer values keep integer ticks).
 */
function see(axis: Axis, value: unknown, edge = false): void {
  if (axis.type === "category") {
    if (typeof value !== "string" && !finite(value)) return;
    const name = String(value);
    if (!axis.categories.includes(name)) axis.categories.push(name);
    return;
  }
  let v = value;
  if (typeof v === "string") {
    const n = Number(v);
    if (v.trim() !== "" && Number.isFinite(n)) v = n;
    else {
      if (axis.values.length === 0 && axis.type === "linear") {
        axis.type = "category";
        see(axis, value);
      }
      return;
    }
  }
  if (!finite(v)) return;
  if (axis.type === "log" && v <= 0) return;
  axis.values.push(v);
  if (!edge && !Number.isInteger(v)) axis.integers = false;
}

/** The axis unit of a data value (category index, log10, or the value), or NaN. */
function unit(axis: Axis, value: unknown): number {
  if (axis.type === "category") {
    return axis.categories.indexOf(typeof value === "string" ? value : String(value));
  }
  const v = typeof value === "string" ? Number(value) : value;
  if (!finite(v)) return NaN;
  if (axis.type === "log") return v > 0 ? Math.log10(v) : NaN;
  return v;
}

/** The pixel of a data value on an axis (NaN when it cannot be drawn). */
function pixel(axis: Axis, value: unknown): number {
  const u = unit(axis, value);
  return pixelOfUnit(axis, u);
}

function pixelOfUnit(axis: Axis, u: number): number {
  if (!Number.isFinite(u)) return NaN;
  return axis.start + ((u - axis.lo) / (axis.hi - axis.lo)) * (axis.end - axis.start);
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `rough`. */
function niceStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * power >= rough * (1 - 1e-9)) return m * power;
  }
  return 10 * power;
}

/** Decimals that show every multiple of `step` exactly. */
function decimalsOf(step: number): number {
  for (let d = 0; d < 12; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 12;
}

function numberLabel(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** A short label for a value on a log axis. */
function logLabel(value: number): string {
  if (value !== 0 && (Math.abs(value) < 1e-4 || Math.abs(value) >= 1e6)) {
    return value.toExponential(0).replace("e+", "e");
  }
  return String(Number(value.toPrecision(3)));
}

/** Picks the range and ticks of an axis for a span of `lengthPx` pixels. */
function settle(axis: Axis, lengthPx: number, minSpacingPx: number): void {
  const maxTicks = Math.max(2, Math.floor(lengthPx / minSpacingPx));
  if (axis.type === "category") {
    const n = Math.max(1, axis.categories.length);
    axis.lo = -0.5;
    axis.hi = n - 0.5;
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(lengthPx / 14))));
    axis.ticks = axis.categories
      .map((label, i) => ({ at: i, label }))
      .filter((_, i) => i % every === 0);
    return;
  }
  // A loop, not Math.min(...values): a long series would overflow the call's arguments.
  let lo = axis.type === "log" ? 1 : 0;
  let hi = axis.type === "log" ? 10 : 1;
  if (axis.values.length) {
    lo = hi = axis.values[0];
    for (const v of axis.values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (axis.type === "log") {
    const llo = Math.log10(lo);
    const lhi = Math.log10(hi);
    const span = lhi - llo;
    const pad = span > 0 ? span * 0.05 : 0.1;
    axis.lo = llo - pad;
    axis.hi = lhi + pad;
    const vlo = 10 ** axis.lo;
    const vhi = 10 ** axis.hi;
    let values: number[] = [];
    if (axis.hi - axis.lo < 1.2) {
      // Less than about a decade: round values, spaced evenly in value.
      const step = niceStep((vhi - vlo) / Math.min(maxTicks, 6));
      for (let k = Math.ceil(vlo / step); k * step <= vhi * (1 + 1e-9); k++) {
        if (k * step > 0) values.push(k * step);
      }
      const d = decimalsOf(step);
      axis.ticks = values.map((v) => ({ at: Math.log10(v), label: numberLabel(v, d) }));
      return;
    }
    const decades = axis.hi - axis.lo;
    const mantissas = decades <= 2 ? [1, 2, 5] : decades <= 4 ? [1, 3] : [1];
    for (let e = Math.floor(axis.lo); e <= Math.ceil(axis.hi); e++) {
      for (const m of mantissas) {
        const v = m * 10 ** e;
        const at = Math.log10(v);
        if (at >= axis.lo - 1e-9 && at <= axis.hi + 1e-9) values.push(v);
      }
    }
    // Too many: fall back to 1 and 3 per decade, then to the powers of ten.
    if (values.length > maxTicks) {
      const fewer = values.filter((v) =>
        [1, 3].includes(Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9)))
      );
      values = fewer.length <= maxTicks && fewer.length >= 3
        ? fewer
        : values.filter((v) => Number.isInteger(Math.round(Math.log10(v) * 1e6) / 1e6));
    }
    axis.ticks = values.map((v) => ({ at: Math.log10(v), label: logLabel(v) }));
    return;
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  } else {
    // An end at zero stays there (bars stand on it).
    const pad = (hi - lo) * axis.pad;
    if (lo !== 0) lo -= pad;
    if (hi !== 0) hi += pad;
  }
  axis.lo = lo;
  axis.hi = hi;
  let step = niceStep((hi - lo) / Math.min(maxTicks, 8));
  if (axis.integers) step = Math.max(1, step);
  const d = decimalsOf(step);
  axis.ticks = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    axis.ticks.push({ at: k * step, label: numberLabel(k * step, d) });
  }
}

// ---------------------------------------------------------------------------------------------
// traces

/** The axis names ("x", "x2", ...) of a trace. */
function traceAxes(trace: PlotlyTrace): { x: string; y: string } {
  const x = typeof trace.xaxis === "string" && /^x\d*$/.test(trace.xaxis) ? trace.xaxis : "x";
  const y = typeof trace.yaxis === "string" && /^y\d*$/.test(trace.yaxis) ? trace.yaxis : "y";
  return { x, y };
}

/** "xaxis2" for "x2". */
function layoutKey(name: string): string {
  return `${name[0]}axis${name.slice(1)}`;
}

function arrayOf(value: unknown): unknown[] | undefined {
  return Array.isArray(value)
    ? value
    : ArrayBuffer.isView(value)
    ? Array.from(value as unknown as ArrayLike<number>)
    : undefined;
}

/**
 * Position and length keys of a bar trace, and their axes in `subplot`: vertical bars stand
 * on x, horizontal ones on y.
 */
function barAxes(
  trace: PlotlyTrace,
  subplot: Subplot,
): { pos: "x" | "y"; len: "x" | "y"; posAxis: Axis; lenAxis: Axis } {
  return trace.orientation === "h"
    ? { pos: "y", len: "x", posAxis: subplot.y, lenAxis: subplot.x }
    : { pos: "x", len: "y", posAxis: subplot.x, lenAxis: subplot.y };
}

/** One bar: where it stands, its width, and the span it covers along its length axis. */
interface Bar {
  pos: unknown;
  width: number;
  from: number;
  to: number;
  color: string;
}

function isVisible(trace: PlotlyTrace): boolean {
  return trace.visible !== false && trace.visible !== "legendonly";
}

/** A trace's colour: `line.color`, else a single `marker.color`, else the colorway's. */
function traceColor(trace: PlotlyTrace, index: number): string {
  const line = asRecord(trace.line);
  const marker = asRecord(trace.marker);
  if (typeof line.color === "string") return line.color;
  if (typeof marker.color === "string") return marker.color;
  const colors = arrayOf(marker.color);
  if (colors && typeof colors[0] === "string") return colors[0];
  return PLOTLY_COLORWAY[index % PLOTLY_COLORWAY.length];
}

// ---------------------------------------------------------------------------------------------
// the picture

/** A subplot: its axes and pixel box. */
interface Subplot {
  x: Axis;
  y: Axis;
  left: number;
  top: number;
  width: number;
  height: number;
  traces: Array<{ trace: PlotlyTrace; index: number }>;
}

function grid(layout: PlotlyLayout): { rows: number; columns: number } {
  const g = asRecord(layout.grid);
  const rows = finite(g.rows) && g.rows >= 1 ? Math.floor(g.rows) : 1;
  const columns = finite(g.columns) && g.columns >= 1 ? Math.floor(g.columns) : 1;
  return { rows, columns };
}

/** The bars of every bar trace of a subplot, placed as `layout.barmode` says. */
function placeBars(subplot: Subplot, layout: PlotlyLayout): Map<number, Bar[]> {
  const bars = new Map<number, Bar[]>();
  const barTraces = subplot.traces.filter(({ trace }) => trace.type === "bar" && isVisible(trace));
  const mode = layout.barmode === "overlay" || layout.barmode === "stack"
    ? layout.barmode
    : "group";
  const gap = finite(layout.bargap) ? Math.min(1, Math.max(0, layout.bargap)) : 0.2;
  const stackTop = new Map<string, number>();
  barTraces.forEach(({ trace, index }, k) => {
    const { pos, len, posAxis } = barAxes(trace, subplot);
    const lengths = arrayOf(trace[len]) ?? [];
    const positions = arrayOf(trace[pos]) ?? lengths.map((_, i) => i);
    const widths = arrayOf(trace.width);
    const bases = arrayOf(trace.base);
    const colors = arrayOf(asRecord(trace.marker).color);
    const color = traceColor(trace, index);
    // Default width: the closest spacing of the positions, less the gap.
    const units = positions.map((p) => unit(posAxis, p)).filter(Number.isFinite).sort((a, b) =>
      a - b
    );
    let spacing = Infinity;
    for (let i = 1; i < units.length; i++) {
      if (units[i] > units[i - 1]) spacing = Math.min(spacing, units[i] - units[i - 1]);
    }
    if (!Number.isFinite(spacing)) spacing = 1;
    const groupWidth = spacing * (1 - gap);
    const shared = mode === "group" && barTraces.length > 1;
    const out: Bar[] = [];
    lengths.forEach((l, i) => {
      if (!finite(l)) return;
      const p = positions[i];
      const given = widths ? widths[i] : trace.width;
      let width = finite(given) ? given : groupWidth;
      let offsetUnits = 0;
      if (shared && !finite(given)) {
        width = groupWidth / barTraces.length;
        offsetUnits = -groupWidth / 2 + width * (k + 0.5);
      }
      const baseGiven = bases ? bases[i] : trace.base;
      let from = finite(baseGiven) ? baseGiven : 0;
      if (mode === "stack" && !finite(baseGiven)) {
        const key = String(p);
        from = stackTop.get(key) ?? 0;
        stackTop.set(key, from + l);
      }
      out.push({
        pos: offsetUnits === 0 ? p : { at: unit(posAxis, p) + offsetUnits },
        width,
        from,
        to: from + l,
        color: colors && typeof colors[i] === "string" ? colors[i] as string : color,
      });
    });
    bars.set(index, out);
  });
  return bars;
}

/** The centre of a bar on its position axis, in axis units. */
function barUnit(axis: Axis, pos: unknown): number {
  if (pos && typeof pos === "object" && "at" in pos) return (pos as { at: number }).at;
  return unit(axis, pos);
}

interface LegendEntry {
  name: string;
  color: string;
  kind: "line" | "marker" | "bar";
  dash: string;
  opacity: number;
}

function legendEntries(data: PlotlyTrace[], layout: PlotlyLayout): LegendEntry[] {
  const named = data.map((trace, index) => ({ trace, index }))
    .filter(({ trace }) =>
      trace.visible !== false && trace.showlegend !== false && typeof trace.name === "string"
    );
  const show = layout.showlegend === true || (layout.showlegend !== false && named.length > 1);
  if (!show) return [];
  const seen = new Set<string>();
  const entries: LegendEntry[] = [];
  for (const { trace, index } of named) {
    const key = `${trace.legendgroup ?? ""}\u0000${trace.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const mode = typeof trace.mode === "string" ? trace.mode : "lines";
    const line = asRecord(trace.line);
    entries.push({
      name: trace.name as string,
      color: traceColor(trace, index),
      kind: trace.type === "bar" ? "bar" : mode.includes("lines") ? "line" : "marker",
      dash: dashArray(line.dash, 2),
      opacity: finite(trace.opacity) ? trace.opacity : 1,
    });
  }
  return entries;
}

/** Lays legend entries out in rows across `widthPx`; returns each entry's offset and the rows. */
function legendLayout(entries: LegendEntry[], widthPx: number) {
  const placed: Array<{ entry: LegendEntry; dx: number; row: number }> = [];
  let dx = 0;
  let row = 0;
  for (const entry of entries) {
    const w = 30 + textWidth(entry.name) + 16;
    if (dx > 0 && dx + w > widthPx) {
      row++;
      dx = 0;
    }
    placed.push({ entry, dx, row });
    dx += w;
  }
  const rowWidths = new Map<number, number>();
  for (const p of placed) {
    rowWidths.set(p.row, p.dx + 30 + textWidth(p.entry.name));
  }
  return { placed, rows: entries.length ? row + 1 : 0, rowWidths };
}

/** A small hash of a text, for ids that stay the same for the same figure. */
function hashOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/**
 * Draws a plotly figure (the part described in the module doc) as a standalone SVG document:
 * title, axes with ticks and titles, grid lines, lines and markers, bars, reference lines
 * and a legend. The figure is not changed.
 *
 * @returns the SVG document text (`<svg xmlns=...>...</svg>`), `widthPx` by `heightPx`
 */
export function figureSvg(fig: PlotlyFigure, options: FigureSvgOptions = {}): string {
  const layout = fig.layout ?? {};
  const width = Math.max(120, options.widthPx ?? 720);
  const layoutHeight = finite(layout.height) ? layout.height : undefined;
  const height = Math.max(100, options.heightPx ?? layoutHeight ?? 360);
  const title = titleText(layout.title);
  const data = (fig.data ?? []).filter((t) => t && typeof t === "object");
  const clipBase = `clip-${hashOf(JSON.stringify([width, height, title, data.length]))}`;

  // Subplots: one per x axis named by the traces (and x on its own when there is none).
  const { rows, columns } = grid(layout);
  const xNames = [...new Set(["x", ...data.map((t) => traceAxes(t).x)])]
    .sort((a, b) => Number(a.slice(1) || 1) - Number(b.slice(1) || 1));
  const subplots = new Map<string, Subplot>();
  for (const xName of xNames) {
    const firstTrace = data.find((t) => traceAxes(t).x === xName);
    const yName = firstTrace ? traceAxes(firstTrace).y : "y";
    subplots.set(xName, {
      x: newAxis(xName, asRecord(layout[layoutKey(xName)])),
      y: newAxis(yName, asRecord(layout[layoutKey(yName)])),
      left: 0,
      top: 0,
      width: 0,
      height: 0,
      traces: [],
    });
  }
  if (!data.some((t) => traceAxes(t).x === "x") && subplots.size > 1) subplots.delete("x");
  data.forEach((trace, index) => {
    subplots.get(traceAxes(trace).x)?.traces.push({ trace, index });
  });

  // Data extents.
  const barsOf = new Map<Subplot, Map<number, Bar[]>>();
  for (const sp of subplots.values()) {
    for (const { trace } of sp.traces) {
      if (!isVisible(trace)) continue;
      if (trace.type === "bar") {
        const { pos, len, posAxis } = barAxes(trace, sp);
        const lengths = arrayOf(trace[len]) ?? [];
        for (const p of arrayOf(trace[pos]) ?? lengths.map((_, i) => i)) see(posAxis, p);
      } else {
        const ys = arrayOf(trace.y) ?? [];
        for (const x of arrayOf(trace.x) ?? ys.map((_, i) => i)) see(sp.x, x);
        for (const y of ys) see(sp.y, y);
        // Lines keep off the top and bottom edges; markers off the sides too.
        sp.y.pad = 0.05;
        if (typeof trace.mode !== "string" || trace.mode.includes("markers")) sp.x.pad = 0.03;
      }
    }
    const bars = placeBars(sp, layout);
    barsOf.set(sp, bars);
    for (const { trace, index } of sp.traces) {
      const list = bars.get(index);
      if (!list) continue;
      const { posAxis, lenAxis } = barAxes(trace, sp);
      for (const b of list) {
        see(lenAxis, b.from, true);
        see(lenAxis, b.to);
        lenAxis.pad = 0.05;
        // A linear position axis spans the bars' sides.
        if (posAxis.type === "linear") {
          const c = barUnit(posAxis, b.pos);
          see(posAxis, c - b.width / 2, true);
          see(posAxis, c + b.width / 2, true);
        }
      }
    }
  }
  const shapes = (arrayOf(layout.shapes) ?? []).map(asRecord);
  const axisByName = (name: string): Axis | undefined => {
    for (const sp of subplots.values()) {
      if (sp.x.name === name) return sp.x;
      if (sp.y.name === name) return sp.y;
    }
    return undefined;
  };
  for (const s of shapes) {
    const xa = axisByName(typeof s.xref === "string" ? s.xref : "x");
    const ya = axisByName(typeof s.yref === "string" ? s.yref : "y");
    if (xa) [s.x0, s.x1].forEach((v) => see(xa, v));
    if (ya) [s.y0, s.y1].forEach((v) => see(ya, v));
  }

  // Margins: the title on top; tick labels, axis titles and the legend below and left.
  const legend = legendEntries(data, layout);
  const legendPlaces = legendLayout(legend, width - 40);
  const legendRows = legendPlaces.rows;
  const top = title ? 38 : 14;
  const legendHeight = legendRows ? legendRows * 18 + 8 : 0;
  // First guess of the plot boxes, to pick the y ticks and the left margin.
  const cells = [...subplots.values()];
  const rowsUsed = Math.min(rows, Math.max(1, Math.ceil(cells.length / columns)));
  const colsUsed = Math.min(columns, Math.max(1, cells.length));
  let categoryLabelPx = 0;
  for (const sp of cells) {
    if (sp.x.type === "category") {
      const slot = (width - 80) / colsUsed / Math.max(1, sp.x.categories.length);
      const longest = Math.max(0, ...sp.x.categories.map((c) => textWidth(c)));
      if (longest > slot - 4) categoryLabelPx = Math.max(categoryLabelPx, longest * 0.72);
    }
  }
  const xLabelPx = categoryLabelPx > 0 ? categoryLabelPx + 8 : FONT_PX + 6;
  const anyXTitle = cells.some((sp) => sp.x.title);
  const cellBottomPx = xLabelPx + (anyXTitle ? FONT_PX + 10 : 4);
  const plotsHeight = height - top - legendHeight - rowsUsed * cellBottomPx - 6;
  const cellHeight = Math.max(20, (plotsHeight - (rowsUsed - 1) * 16) / rowsUsed);
  for (const sp of cells) settle(sp.y, cellHeight, 36);
  const yLabelPx = Math.max(
    ...cells.map((sp) => Math.max(0, ...sp.y.ticks.map((t) => textWidth(t.label)))),
  );
  const anyYTitle = cells.some((sp) => sp.y.title);
  const leftPx = 10 + (anyYTitle ? FONT_PX + 8 : 0) + yLabelPx + 8;
  const gapPx = colsUsed > 1 ? Math.max(SUBPLOT_GAP_PX, yLabelPx + (anyYTitle ? 30 : 16)) : 0;
  const cellWidth = Math.max(
    20,
    (width - leftPx - 16 - (colsUsed - 1) * gapPx) / colsUsed,
  );
  cells.forEach((sp, k) => {
    const r = Math.floor(k / colsUsed);
    const c = k % colsUsed;
    sp.left = leftPx + c * (cellWidth + gapPx);
    sp.top = top + r * (cellHeight + cellBottomPx + 16);
    sp.width = cellWidth;
    sp.height = cellHeight;
    settle(sp.x, cellWidth, sp.x.type === "category" ? 14 : 45);
    sp.x.start = sp.left;
    sp.x.end = sp.left + sp.width;
    sp.y.start = sp.top + sp.height;
    sp.y.end = sp.top;
  });

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT_PX}" fill="#444">`,
  );
  out.push(`<title>${escapeXml(title || "figure")}</title>`);
  out.push(`<rect class="background" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (title) {
    out.push(
      `<text class="figure-title" x="${
        px(width / 2)
      }" y="24" text-anchor="middle" font-size="${TITLE_PX}" fill="#222">${
        escapeXml(title)
      }</text>`,
    );
  }

  cells.forEach((sp, k) => {
    const clip = `${clipBase}-${k}`;
    const right = sp.left + sp.width;
    const bottom = sp.top + sp.height;
    out.push(`<g class="subplot" data-xaxis="${sp.x.name}" data-yaxis="${sp.y.name}">`);
    out.push(
      `<clipPath id="${clip}"><rect x="${px(sp.left)}" y="${px(sp.top)}" width="${
        px(sp.width)
      }" height="${px(sp.height)}"/></clipPath>`,
    );
    out.push(
      `<rect class="plot-area" x="${px(sp.left)}" y="${px(sp.top)}" width="${
        px(sp.width)
      }" height="${px(sp.height)}" fill="#ffffff" stroke="#d0d0d0"/>`,
    );
    // Grid lines and ticks.
    out.push(
      `<g class="y-axis" data-type="${sp.y.type}" data-range="${sp.y.lo} ${sp.y.hi}">`,
    );
    for (const t of sp.y.ticks) {
      const y = pixelOfUnit(sp.y, t.at);
      out.push(
        `<g class="tick"><line x1="${px(sp.left)}" x2="${px(right)}" y1="${px(y)}" y2="${
          px(y)
        }" stroke="#ebebeb"/><text x="${px(sp.left - 6)}" y="${
          px(y + FONT_PX * 0.35)
        }" text-anchor="end">${escapeXml(t.label)}</text></g>`,
      );
    }
    if (sp.y.title) {
      const cx = sp.left - yLabelPx - 14;
      const cy = sp.top + sp.height / 2;
      out.push(
        `<text class="axis-title" x="${px(cx)}" y="${
          px(cy)
        }" text-anchor="middle" transform="rotate(-90 ${px(cx)} ${px(cy)})">${
          escapeXml(sp.y.title)
        }</text>`,
      );
    }
    out.push(`</g>`);
    out.push(
      `<g class="x-axis" data-type="${sp.x.type}" data-range="${sp.x.lo} ${sp.x.hi}">`,
    );
    const rotate = sp.x.type === "category" && categoryLabelPx > 0;
    for (const t of sp.x.ticks) {
      const x = pixelOfUnit(sp.x, t.at);
      const labelY = bottom + FONT_PX + 4;
      const label = rotate
        ? `<text x="${px(x)}" y="${px(bottom + 10)}" text-anchor="end" transform="rotate(-45 ${
          px(x)
        } ${px(bottom + 10)})">${escapeXml(t.label)}</text>`
        : `<text x="${px(x)}" y="${px(labelY)}" text-anchor="middle">${escapeXml(t.label)}</text>`;
      const gridLine = sp.x.type === "category"
        ? `<line x1="${px(x)}" x2="${px(x)}" y1="${px(bottom)}" y2="${
          px(bottom + 4)
        }" stroke="#999"/>`
        : `<line x1="${px(x)}" x2="${px(x)}" y1="${px(sp.top)}" y2="${
          px(bottom)
        }" stroke="#ebebeb"/>`;
      out.push(`<g class="tick">${gridLine}${label}</g>`);
    }
    if (sp.x.title) {
      out.push(
        `<text class="axis-title" x="${px(sp.left + sp.width / 2)}" y="${
          px(bottom + xLabelPx + FONT_PX + 6)
        }" text-anchor="middle">${escapeXml(sp.x.title)}</text>`,
      );
    }
    out.push(`</g>`);
    out.push(
      `<line class="axis-line" x1="${px(sp.left)}" x2="${px(right)}" y1="${px(bottom)}" y2="${
        px(bottom)
      }" stroke="#888"/>`,
    );
    out.push(
      `<line class="axis-line" x1="${px(sp.left)}" x2="${px(sp.left)}" y1="${px(sp.top)}" y2="${
        px(bottom)
      }" stroke="#888"/>`,
    );

    // Traces, clipped to the plot area.
    out.push(`<g class="traces" clip-path="url(#${clip})">`);
    const bars = barsOf.get(sp)!;
    for (const { trace, index } of sp.traces) {
      if (!isVisible(trace)) continue;
      const name = typeof trace.name === "string" ? trace.name : `trace ${index}`;
      const opacity = finite(trace.opacity) && trace.opacity < 1
        ? ` opacity="${trace.opacity}"`
        : "";
      if (trace.type === "bar") {
        const { pos, posAxis, lenAxis } = barAxes(trace, sp);
        out.push(`<g class="trace bars" data-name="${escapeXml(name)}"${opacity}>`);
        for (const b of bars.get(index) ?? []) {
          const c = barUnit(posAxis, b.pos);
          const p0 = pixelOfUnit(posAxis, c - b.width / 2);
          const p1 = pixelOfUnit(posAxis, c + b.width / 2);
          const l0 = pixel(lenAxis, b.from);
          const l1 = pixel(lenAxis, b.to);
          if (![p0, p1, l0, l1].every(Number.isFinite)) continue;
          const [x0, x1, y0, y1] = pos === "x" ? [p0, p1, l0, l1] : [l0, l1, p0, p1];
          out.push(
            `<rect class="bar" x="${px(Math.min(x0, x1))}" y="${px(Math.min(y0, y1))}" width="${
              px(Math.max(0.5, Math.abs(x1 - x0)))
            }" height="${px(Math.abs(y1 - y0))}" fill="${escapeXml(b.color)}"/>`,
          );
        }
        out.push(`</g>`);
        continue;
      }
      // scatter (and anything else drawn as points and lines)
      const ys = arrayOf(trace.y) ?? [];
      const xs = arrayOf(trace.x) ?? ys.map((_, i) => i);
      const mode = typeof trace.mode === "string"
        ? trace.mode
        : ys.length <= 20
        ? "lines+markers"
        : "lines";
      const line = asRecord(trace.line);
      const marker = asRecord(trace.marker);
      const color = traceColor(trace, index);
      const lineWidth = finite(line.width) ? line.width : 2;
      const segments: string[][] = [[]];
      const points: Array<[number, number]> = [];
      const n = Math.min(xs.length, ys.length);
      for (let i = 0; i < n; i++) {
        const x = pixel(sp.x, xs[i]);
        const y = pixel(sp.y, ys[i]);
        if (!Number.isFinite(x) || !Number.isFinite(y)) {
          if (segments[segments.length - 1].length) segments.push([]);
          continue;
        }
        segments[segments.length - 1].push(`${px(x)},${px(y)}`);
        points.push([x, y]);
      }
      out.push(`<g class="trace" data-name="${escapeXml(name)}"${opacity}>`);
      if (mode.includes("lines")) {
        const dash = dashArray(line.dash, lineWidth);
        for (const seg of segments.filter((s) => s.length > 0)) {
          out.push(
            `<polyline class="line" points="${seg.join(" ")}" fill="none" stroke="${
              escapeXml(color)
            }" stroke-width="${px(lineWidth)}"${
              dash ? ` stroke-dasharray="${dash}"` : ""
            } stroke-linejoin="round"/>`,
          );
        }
      }
      if (mode.includes("markers")) {
        const r = (finite(marker.size) ? marker.size : 6) / 2;
        const fill = typeof marker.color === "string" ? marker.color : color;
        for (const [x, y] of points) {
          out.push(
            `<circle class="marker" cx="${px(x)}" cy="${px(y)}" r="${px(r)}" fill="${
              escapeXml(fill)
            }"/>`,
          );
        }
      }
      out.push(`</g>`);
    }
    out.push(`</g>`);
    out.push(`</g>`);
  });

  // Shapes (reference lines and boxes) and annotations, over the traces.
  const first = cells[0];
  const paperLeft = Math.min(...cells.map((sp) => sp.left));
  const paperRight = Math.max(...cells.map((sp) => sp.left + sp.width));
  const paperTop = Math.min(...cells.map((sp) => sp.top));
  const paperBottom = Math.max(...cells.map((sp) => sp.top + sp.height));
  const place = (ref: unknown, value: unknown, horizontal: boolean): number => {
    const name = typeof ref === "string" ? ref : horizontal ? "x" : "y";
    if (name === "paper") {
      if (!finite(value)) return NaN;
      return horizontal
        ? paperLeft + value * (paperRight - paperLeft)
        : paperBottom - value * (paperBottom - paperTop);
    }
    const axis = axisByName(name) ?? (horizontal ? first?.x : first?.y);
    return axis ? pixel(axis, value) : NaN;
  };
  for (const s of shapes) {
    const type = s.type ?? "line";
    const x0 = place(s.xref, s.x0, true);
    const x1 = place(s.xref, s.x1, true);
    const y0 = place(s.yref, s.y0, false);
    const y1 = place(s.yref, s.y1, false);
    if (![x0, x1, y0, y1].every(Number.isFinite)) continue;
    const line = asRecord(s.line);
    const color = typeof line.color === "string" ? line.color : "#444";
    const w = finite(line.width) ? line.width : 2;
    const dash = dashArray(line.dash, w);
    const stroke = `stroke="${escapeXml(color)}" stroke-width="${px(w)}"${
      dash ? ` stroke-dasharray="${dash}"` : ""
    }`;
    if (type === "rect") {
      const fill = typeof s.fillcolor === "string" ? s.fillcolor : "none";
      out.push(
        `<rect class="shape" x="${px(Math.min(x0, x1))}" y="${px(Math.min(y0, y1))}" width="${
          px(Math.abs(x1 - x0))
        }" height="${px(Math.abs(y1 - y0))}" fill="${escapeXml(fill)}" ${stroke}${
          finite(s.opacity) ? ` opacity="${s.opacity}"` : ""
        }/>`,
      );
    } else if (type === "line") {
      out.push(
        `<line class="shape" x1="${px(x0)}" y1="${px(y0)}" x2="${px(x1)}" y2="${
          px(y1)
        }" ${stroke}/>`,
      );
    }
  }
  for (const a of (arrayOf(layout.annotations) ?? []).map(asRecord)) {
    const text = typeof a.text === "string" ? a.text : "";
    const x = place(a.xref, a.x, true);
    const y = place(a.yref, a.y, false);
    if (!text || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    out.push(
      `<text class="annotation" x="${px(x)}" y="${px(y)}" text-anchor="middle">${
        escapeXml(text)
      }</text>`,
    );
  }

  // The legend, centred under the plots.
  if (legend.length) {
    const { placed, rowWidths } = legendPlaces;
    const legendTop = height - legendHeight + 4;
    out.push(`<g class="legend">`);
    for (const { entry, dx, row } of placed) {
      const x = (width - (rowWidths.get(row) ?? 0)) / 2 + dx;
      const y = legendTop + row * 18 + 9;
      const symbol = entry.kind === "bar"
        ? `<rect x="${px(x + 4)}" y="${px(y - 5)}" width="20" height="10" fill="${
          escapeXml(entry.color)
        }"${entry.opacity < 1 ? ` opacity="${entry.opacity}"` : ""}/>`
        : entry.kind === "marker"
        ? `<circle cx="${px(x + 14)}" cy="${px(y)}" r="4" fill="${escapeXml(entry.color)}"/>`
        : `<line x1="${px(x)}" x2="${px(x + 28)}" y1="${px(y)}" y2="${px(y)}" stroke="${
          escapeXml(entry.color)
        }" stroke-width="2"${entry.dash ? ` stroke-dasharray="${entry.dash}"` : ""}/>`;
      out.push(
        `<g class="legend-item" data-name="${escapeXml(entry.name)}">${symbol}<text x="${
          px(x + 32)
        }" y="${px(y + FONT_PX * 0.35)}">${escapeXml(entry.name)}</text></g>`,
      );
    }
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return out.join("\n");
}
