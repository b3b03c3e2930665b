/**
 * Plotly figures for the notebooks: training losses, piano rolls and note histograms.
 *
 * Every function here is pure: it takes plain data and returns a plain plotly figure object
 * (`{data, layout}`) that can be shown with `lib/notebook/display.ts`, written to an HTML file, or
 * inspected in a test. Nothing here touches TensorFlow, the file system or `Deno.jupyter`.
 *
 * @module
 */
import type { Note } from "../music/midi.ts";
import { PLOTLY_COLORWAY } from "./_colors.ts";

/** One plotly trace (a line, a bar series, ...): plotly's own JSON keys. */
export type PlotlyTrace = Record<string, unknown>;

/** A plotly layout: plotly's own JSON keys. */
export type PlotlyLayout = Record<string, unknown>;

/** A plotly figure as plain JSON, ready for `Plotly.newPlot(div, fig.data, fig.layout)`. */
export interface PlotlyFigure {
  /** The traces, drawn in order. */
  data: PlotlyTrace[];
  /** Titles, axes, size and legend. */
  layout: PlotlyLayout;
}

/**
 * Loss curves by name, one number per epoch, as training callbacks collect them: keys such
 * as `loss`, `val_loss`, `pitch_loss`, `step_loss`, `duration_loss`. The optional `epoch`
 * key holds the x values (as `trainModel` in lib/train/loop.ts records them, 1-based); without it
 * epochs count 1, 2, 3... Same shape as lib/train/loop.ts `History`.
 */
export type LossHistory = Record<string, number[]>;

/** Options for {@linkcode lossFigure}. */
export interface LossFigureOptions {
  /**
   * Which series to draw, in this order. Series not in the history are left out.
   * @default {every key ending in "loss" (every key but `epoch` if none does), in key order}
   */
  series?: string[];
  /**
   * Draw the y axis on a log scale (useful when one loss is much larger than another).
   * @default {false}
   */
  logY?: boolean;
  /**
   * Figure title.
   * @default {"Training loss"}
   */
  title?: string;
  /**
   * Figure height in pixels.
   * @default {320}
   */
  heightPx?: number;
  /**
   * Reference values drawn as dotted horizontal lines across the epochs, each named in the
   * legend with its value (for example the n-gram and unigram yardsticks of a run's
   * `val_pitch_loss`). Any drawer of the loss figure reads them from here.
   * @default {[]}
   */
  baselines?: LossBaseline[];
}

/** A reference value of the loss figure: a named horizontal line. */
export interface LossBaseline {
  /** Legend name, e.g. `"n-gram (4)"`. */
  name: string;
  /** The loss it stands at. */
  value: number;
}

/** Default size and look shared by every figure. */
function baseLayout(title: string, heightPx: number): PlotlyLayout {
  return {
    title: { text: title, font: { size: 14 } },
    height: heightPx,
    margin: { l: 55, r: 15, t: 40, b: 45 },
    font: { size: 11 },
    legend: { orientation: "h", y: -0.3 },
  };
}

/** The colours of the figures' traces: plotly's first eight default colours, in order. */
const PALETTE = PLOTLY_COLORWAY.slice(0, 8);

/** Colours of reference lines: greys, so they stand apart from the loss curves. */
const BASELINE_COLORS = ["#444444", "#999999", "#bbbbbb"];

/**
 * Each baseline as a dotted grey horizontal line across the epochs the curves span (one
 * epoch's width around a single epoch), named with its value.
 *
 * @throws {Error} naming `caller` and the baseline whose value is not a finite number
 */
function baselineTraces(
  curves: readonly PlotlyTrace[],
  baselines: readonly LossBaseline[],
  caller: string,
): PlotlyTrace[] {
  const xs = curves.flatMap((t) => t.x as number[]);
  // A loop, not Math.min(...xs): spreading a long history overflows the call stack.
  const first = xs.length ? xs.reduce((a, b) => Math.min(a, b)) : 1;
  const last = xs.length ? xs.reduce((a, b) => Math.max(a, b)) : 1;
  const span = first < last ? [first, last] : [first - 0.5, last + 0.5];
  return baselines.map((b, i) => {
    if (typeof b.value !== "number" || !Number.isFinite(b.value)) {
      throw new Error(
        `${caller}: baselines[${i}].value: expected a finite number, got ${b.value}`,
      );
    }
    return {
      type: "scatter",
      mode: "lines",
      name: `${b.name} ${Number(b.value.toPrecision(4))}`,
      x: span,
      y: [b.value, b.value],
      line: { color: BASELINE_COLORS[i % BASELINE_COLORS.length], dash: "dot", width: 1.5 },
      hoverinfo: "name",
    };
  });
}

/**
 * Draws training curves, one line per series. A validation series (`val_<name>`) gets the
 * colour of its training series and a dashed line. Each of `baselines` is a dotted grey line
 * across the epochs drawn.
 *
 * @param history loss values per epoch by series name (not changed)
 * @throws {Error} naming the series when a series holds something other than an array of
 *   numbers, or the baseline whose value is not a finite number
 */
export function lossFigure(history: LossHistory, options: LossFigureOptions = {}): PlotlyFigure {
  const keys = Object.keys(history).filter((k) => k !== "epoch");
  const losses = keys.filter((k) => k.endsWith("loss"));
  const names = (options.series ?? (losses.length ? losses : keys))
    .filter((k) => k in history && k !== "epoch");
  const colors = new Map<string, string>();
  const data: PlotlyTrace[] = names.map((name) => {
    const ys = history[name];
    if (!Array.isArray(ys) || ys.some((y) => typeof y !== "number")) {
      throw new Error(`lossFigure: history.${name}: expected an array of numbers, got ${ys}`);
    }
    const base = name.startsWith("val_") ? name.slice(4) : name;
    if (!colors.has(base)) colors.set(base, PALETTE[colors.size % PALETTE.length]);
    const xs = history.epoch?.length === ys.length ? history.epoch : ys.map((_, i) => i + 1);
    return {
      type: "scatter",
      mode: ys.length > 30 ? "lines" : "lines+markers",
      name,
      x: [...xs],
      y: [...ys],
      line: { color: colors.get(base), dash: name.startsWith("val_") ? "dash" : "solid" },
    };
  });
  data.push(...baselineTraces(data, options.baselines ?? [], "lossFigure"));
  const layout = baseLayout(options.title ?? "Training loss", options.heightPx ?? 320);
  layout.xaxis = { title: { text: "epoch" } };
  layout.yaxis = { title: { text: "loss" }, type: options.logY ? "log" : "linear" };
  return { data, layout };
}

const PITCH_CLASS = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/** "C4" for 60, "A4" for 69. */
function pitchName(pitch: number): string {
  const p = Math.round(pitch);
  return `${PITCH_CLASS[((p % 12) + 12) % 12]}${Math.floor(p / 12) - 1}`;
}

/** Options for {@linkcode pianoRollFigure}. */
export interface PianoRollFigureOptions {
  /**
   * Draw at most this many notes (the first ones in the given order).
   * @default {Infinity}
   */
  maxNotes?: number;
  /**
   * Figure title.
   * @default {"Piano roll"}
   */
  title?: string;
  /**
   * Bar colour.
   * @default {"#1f77b4"}
   */
  color?: string;
  /**
   * Figure height in pixels.
   * @default {300}
   */
  heightPx?: number;
}

/** A time in seconds rounded to 0.1 ms, so figures stay small. */
function roundSec(sec: number): number {
  return Math.round(sec * 1e4) / 1e4;
}

/**
 * Draws notes as horizontal bars (a plotly `bar` trace with `orientation: "h"`): time in
 * seconds across, MIDI pitch up, each bar from the note's start (`base`) for its duration
 * (`x`). All notes go into a single trace, so long pieces stay light; hovering a note shows
 * its name, start and duration.
 *
 * @param notes notes with `start` and `end` in seconds (not changed)
 */
export function pianoRollFigure(notes: Note[], options: PianoRollFigureOptions = {}): PlotlyFigure {
  const shown = notes.slice(0, Math.max(0, options.maxNotes ?? Infinity));
  const title = options.title ?? "Piano roll";
  const layout = baseLayout(
    shown.length < notes.length
      ? `${title} (first ${shown.length} of ${notes.length} notes)`
      : title,
    options.heightPx ?? 300,
  );
  layout.xaxis = { title: { text: "time (s)" } };
  layout.yaxis = { title: { text: "pitch" } };
  layout.showlegend = false;
  return {
    data: [{
      type: "bar",
      orientation: "h",
      name: "notes",
      base: shown.map((n) => roundSec(n.start)),
      x: shown.map((n) => roundSec(n.end - n.start)),
      y: shown.map((n) => n.pitch),
      width: 0.8,
      hovertext: shown.map((n) =>
        `${pitchName(n.pitch)} (${n.pitch}) start ${n.start.toFixed(2)} s, ${
          (n.end - n.start).toFixed(2)
        } s`
      ),
      hoverinfo: "text",
      textposition: "none",
      marker: { color: options.color ?? "#1f77b4" },
    }],
    layout,
  };
}

/** Options for {@linkcode noteHistogramsFigure}. */
export interface NoteHistogramsFigureOptions {
  /**
   * A second note list drawn over the first (for example generated notes against the corpus).
   * @default {undefined}
   */
  other?: Note[];
  /**
   * Legend name of the first note list.
   * @default {"corpus"}
   */
  name?: string;
  /**
   * Legend name of `other`.
   * @default {"generated"}
   */
  otherName?: string;
  /**
   * Step and duration values above this upper percentile of the first list are left out, so a
   * few long rests do not squash the histogram (0 keeps everything).
   * @default {2.5}
   */
  dropPercentile?: number;
  /**
   * Number of bins for step and duration (pitch always uses one bin per MIDI pitch).
   * @default {30}
   */
  bins?: number;
  /**
   * Show fractions instead of counts, so lists of different sizes compare.
   * @default {true when `other` is given, else false}
   */
  normalize?: boolean;
  /**
   * Figure title.
   * @default {"Note distributions"}
   */
  title?: string;
  /**
   * Figure height in pixels.
   * @default {300}
   */
  heightPx?: number;
}

/** Value at the given percentile (0..100) of unsorted values, by linear interpolation. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Counts values into `bins` equal bins over [0, maxValue]; values above the range are left
 * out. Returns bin centres and counts (or fractions of all given values).
 */
function histogram(
  values: number[],
  maxValue: number,
  bins: number,
  normalize: boolean,
): { x: number[]; y: number[]; width: number } {
  const width = maxValue > 0 ? maxValue / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (v < 0 || v > maxValue) continue;
    counts[Math.min(bins - 1, Math.floor(v / width))]++;
  }
  const total = values.length || 1;
  return {
    x: counts.map((_, i) => (i + 0.5) * width),
    y: normalize ? counts.map((c) => c / total) : counts,
    width,
  };
}

/** Counts integer pitches, one bin per pitch from lo to hi. */
function pitchHistogram(pitches: number[], lo: number, hi: number, normalize: boolean) {
  const counts = new Array<number>(Math.max(0, hi - lo + 1)).fill(0);
  for (const p of pitches) counts[Math.round(p) - lo]++;
  const total = pitches.length || 1;
  return {
    x: counts.map((_, i) => lo + i),
    y: normalize ? counts.map((c) => c / total) : counts,
    width: 1,
  };
}

/**
 * Draws three histograms side by side: pitch, step (seconds between onsets) and duration
 * (seconds). Counts are computed here, so the figure stays small for a whole corpus. With
 * `other`, both lists are drawn over each other in two colours with the same bins.
 *
 * @param notes the first (reference) note list (not changed)
 */
export function noteHistogramsFigure(
  notes: Note[],
  options: NoteHistogramsFigureOptions = {},
): PlotlyFigure {
  const lists: Array<{ name: string; notes: Note[]; color: string }> = [
    { name: options.name ?? "corpus", notes, color: PALETTE[0] },
  ];
  if (options.other) {
    lists.push({ name: options.otherName ?? "generated", notes: options.other, color: PALETTE[1] });
  }
  const normalize = options.normalize ?? options.other !== undefined;
  const bins = Math.max(1, Math.round(options.bins ?? 30));
  const drop = options.dropPercentile ?? 2.5;
  const all = lists.flatMap((l) => l.notes);
  const pitches = all.map((n) => Math.round(n.pitch));
  const pitchLo = pitches.length ? pitches.reduce((a, b) => Math.min(a, b)) : 60;
  const pitchHi = pitches.length ? pitches.reduce((a, b) => Math.max(a, b)) : 60;
  const maxStep = percentile(notes.map((n) => n.step), 100 - drop) ||
    all.reduce((m, n) => Math.max(m, n.step), 0);
  const maxDuration = percentile(notes.map((n) => n.duration), 100 - drop) ||
    all.reduce((m, n) => Math.max(m, n.duration), 0);

  const data: PlotlyTrace[] = [];
  lists.forEach((list) => {
    const panels = [
      pitchHistogram(list.notes.map((n) => n.pitch), pitchLo, pitchHi, normalize),
      histogram(list.notes.map((n) => n.step), maxStep, bins, normalize),
      histogram(list.notes.map((n) => n.duration), maxDuration, bins, normalize),
    ];
    panels.forEach((h, panel) => {
      data.push({
        type: "bar",
        name: list.name,
        legendgroup: list.name,
        showlegend: panel === 0,
        x: h.x,
        y: h.y,
        width: h.width,
        marker: { color: list.color },
        opacity: lists.length > 1 ? 0.6 : 1,
        xaxis: panel === 0 ? "x" : `x${panel + 1}`,
        yaxis: panel === 0 ? "y" : `y${panel + 1}`,
      });
    });
  });

  const layout = baseLayout(options.title ?? "Note distributions", options.heightPx ?? 300);
  const yTitle = normalize ? "fraction" : "count";
  layout.grid = { rows: 1, columns: 3, pattern: "independent" };
  layout.barmode = "overlay";
  layout.bargap = 0;
  layout.showlegend = lists.length > 1;
  layout.xaxis = { title: { text: "pitch" } };
  layout.xaxis2 = { title: { text: "step (s)" } };
  layout.xaxis3 = { title: { text: "duration (s)" } };
  layout.yaxis = { title: { text: yTitle } };
  layout.yaxis2 = {};
  layout.yaxis3 = {};
  return { data, layout };
}

/** Options for {@linkcode tokenFrequencyFigure}. */
export interface TokenFrequencyFigureOptions {
  /**
   * Show the this many most frequent tokens.
   * @default {30}
   */
  top?: number;
  /**
   * Figure title.
   * @default {"Most frequent tokens"}
   */
  title?: string;
  /**
   * Figure height in pixels.
   * @default {320}
   */
  heightPx?: number;
}

/**
 * Bar chart of the most frequent tokens (classic family: note names such as `E4` and chords
 * such as `0.4.7`), chords in a second colour. The tokens are not changed.
 */
export function tokenFrequencyFigure(
  tokens: readonly string[],
  options: TokenFrequencyFigureOptions = {},
): PlotlyFigure {
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.top ?? 30);
  const layout = baseLayout(
    `${options.title ?? "Most frequent tokens"} (${counts.size} distinct, ${tokens.length} in all)`,
    options.heightPx ?? 320,
  );
  layout.xaxis = { title: { text: "token" }, type: "category" };
  layout.yaxis = { title: { text: "count" } };
  return {
    data: [{
      type: "bar",
      name: "tokens",
      x: top.map(([t]) => t),
      y: top.map(([, n]) => n),
      marker: { color: top.map(([t]) => (/^\d/.test(t) ? PALETTE[1] : PALETTE[0])) },
    }],
    layout,
  };
}

/** Options for {@linkcode compareLossFigure}. */
export interface CompareLossFigureOptions {
  /**
   * Which series of each history to draw (a dashed `val_<name>` line is added when present).
   * A `val_` series, e.g. `"val_pitch_loss"`, draws the held-out curves alone.
   * @default {"loss"}
   */
  series?: string;
  /**
   * Reference values drawn as dotted grey horizontal lines across the epochs, each named in
   * the legend with its value (for example the n-gram and unigram yardsticks of the runs'
   * held-out series, from `baselineLines`).
   * @default {[]}
   */
  baselines?: LossBaseline[];
  /**
   * Figure title.
   * @default {"Loss per epoch, by run"}
   */
  title?: string;
  /**
   * Draw the y axis on a log scale.
   * @default {false}
   */
  logY?: boolean;
  /**
   * Figure height in pixels.
   * @default {360}
   */
  heightPx?: number;
}

/**
 * Loss curves of several runs in one figure, one colour per run: the training series solid,
 * its validation series dashed (a `val_` series alone is drawn solid). Each of `baselines` is
 * a dotted grey line across the epochs drawn. The histories are not changed.
 *
 * @param histories loss histories by run name
 * @throws {Error} naming the baseline whose value is not a finite number
 */
export function compareLossFigure(
  histories: Readonly<Record<string, LossHistory>>,
  options: CompareLossFigureOptions = {},
): PlotlyFigure {
  const series = options.series ?? "loss";
  const data: PlotlyTrace[] = [];
  Object.entries(histories).forEach(([name, h], i) => {
    const color = PALETTE[i % PALETTE.length];
    for (const key of [series, `val_${series}`]) {
      const y = h[key];
      if (!y) continue;
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: key === series ? name : `${name} (validation)`,
        x: h.epoch ? [...h.epoch] : y.map((_, e) => e + 1),
        y: [...y],
        line: { color, dash: key === series ? "solid" : "dash" },
        marker: { size: 4 },
      });
    }
  });
  data.push(...baselineTraces(data, options.baselines ?? [], "compareLossFigure"));
  const layout = baseLayout(options.title ?? "Loss per epoch, by run", options.heightPx ?? 360);
  layout.xaxis = { title: { text: "epoch" } };
  layout.yaxis = { title: { text: series }, type: options.logY ? "log" : "linear" };
  return { data, layout };
}
