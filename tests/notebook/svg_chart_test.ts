import assert from "node:assert/strict";
import { escapeXml, figureSvg } from "../../lib/notebook/svg_chart.ts";
import {
  compareLossFigure,
  lossFigure,
  noteHistogramsFigure,
  pianoRollFigure,
  type PlotlyFigure,
  tokenFrequencyFigure,
} from "../../lib/notebook/plot.ts";
import type { Note } from "../../lib/music/midi.ts";
import { unigramTrace } from "../_helpers.ts";

type Attrs = Record<string, string>;

/** Every element `<tag ...>` of the SVG text, as attribute maps, in order. */
function elements(svg: string, tag: string, within?: string): Attrs[] {
  const text = within ?? svg;
  return [...text.matchAll(new RegExp(`<${tag}(\\s[^>]*?)?/?>`, "g"))].map((m) =>
    Object.fromEntries(
      [...(m[1] ?? "").matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]),
    )
  );
}

/** The text of the `<g class="...">` group that starts with `attrs` (its first match). */
function group(svg: string, className: string, nth = 0): string {
  const opens = [...svg.matchAll(new RegExp(`<g class="${className}"[^>]*>`, "g"))];
  assert.ok(opens.length > nth, `expected a <g class="${className}"> #${nth}`);
  const start = opens[nth].index!;
  let depth = 0;
  for (const m of svg.slice(start).matchAll(/<g[\s>]|<\/g>/g)) {
    depth += m[0] === "</g>" ? -1 : 1;
    if (depth === 0) return svg.slice(start, start + m.index! + 4);
  }
  throw new Error(`unclosed <g class="${className}">`);
}

/** The texts of the `<text>` elements of some SVG, unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1].replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
      .replaceAll("&#39;", "'").replaceAll("&amp;", "&")
  );
}

/** Asserts the text is well-formed XML as far as tags, quoting and entities go. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const tokens = svg.split(/(<[^>]*>)/);
  for (const token of tokens) {
    if (token.startsWith("<")) {
      const m = token.match(/^<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/);
      assert.ok(m, `malformed tag: ${token.slice(0, 80)}`);
      if (m[1]) assert.equal(stack.pop(), m[2], `closing ${m[2]} out of order`);
      else if (!m[4]) stack.push(m[2]);
    } else {
      assert.doesNotMatch(token, /&(?!(amp|lt|gt|quot|#39);)/, `raw & in text: ${token}`);
      assert.ok(!token.includes(">"), `raw > in text: ${token}`);
    }
  }
  assert.deepEqual(stack, []);
}

/** The data-range of an axis group, as numbers. */
function range(axisGroup: string): [number, number] {
  const r = axisGroup.match(/data-range="([^"]+)"/)![1].split(" ").map(Number);
  return [r[0], r[1]];
}

/** Where a data point should be drawn: the plot area and the axes' ranges. */
function projector(svg: string, subplot = 0) {
  const sp = group(svg, "subplot", subplot);
  const area = elements(sp, "rect").find((r) => r.class === "plot-area")!;
  const [left, top, width, height] = ["x", "y", "width", "height"].map((k) => Number(area[k]));
  const [x0, x1] = range(group(sp, "x-axis"));
  const [y0, y1] = range(group(sp, "y-axis"));
  const ty = group(sp, "y-axis").includes('data-type="log"') ? Math.log10 : (v: number) => v;
  return {
    left,
    top,
    width,
    height,
    x: (v: number) => left + ((v - x0) / (x1 - x0)) * width,
    y: (v: number) => top + height - ((ty(v) - y0) / (y1 - y0)) * height,
  };
}

/** "x,y x,y" of a polyline as number pairs. */
function points(polyline: Attrs): number[][] {
  return polyline.points.split(" ").map((p) => p.split(",").map(Number));
}

/** Coordinates are written to 0.1 px: one within 0.05 px, a sum or difference of two 0.1 px. */
function near(actual: number, expected: number, what: string, tolerance = 0.11): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: expected ${expected}, got ${actual}`,
  );
}

function note(pitch: number, start: number, duration: number): Note {
  return { pitch, start, end: start + duration, step: 0, duration, velocity: 90 };
}

Deno.test("figureSvg() draws a loss series as a polyline through its points, one marker each", () => {
  const fig = lossFigure({ epoch: [1, 2, 3, 4], loss: [2, 1.5, 1.25, 1] });
  const svg = figureSvg(fig, { widthPx: 600, heightPx: 300 });
  assertWellFormed(svg);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="600" height="300"/);
  const p = projector(svg);
  const [line] = elements(svg, "polyline");
  assert.equal(line.stroke, "#1f77b4");
  const drawn = points(line);
  assert.equal(drawn.length, 4);
  [[1, 2], [2, 1.5], [3, 1.25], [4, 1]].forEach(([x, y], i) => {
    near(drawn[i][0], p.x(x), `point ${i} x`);
    near(drawn[i][1], p.y(y), `point ${i} y`);
  });
  // Inside the plot area, first at the left and the falling loss going down the page.
  assert.ok(drawn.every(([x, y]) => x >= p.left && x <= p.left + p.width && y >= p.top));
  assert.ok(drawn[0][1] < drawn[3][1]);
  assert.equal(elements(svg, "circle").filter((c) => c.class === "marker").length, 4);
});

Deno.test("figureSvg() gives the axes round ticks inside their range, and their titles", () => {
  const fig = lossFigure({ epoch: [1, 2, 3, 4], loss: [2, 1.5, 1.25, 1] });
  const svg = figureSvg(fig);
  const x = group(svg, "x-axis");
  const y = group(svg, "y-axis");
  assert.deepEqual(texts(x), ["1", "2", "3", "4", "epoch"]);
  const yLabels = texts(y);
  assert.equal(yLabels.at(-1), "loss");
  assert.deepEqual(yLabels.slice(0, -1), ["1.0", "1.2", "1.4", "1.6", "1.8", "2.0"]);
  const [lo, hi] = range(y);
  assert.ok(lo <= 1 && hi >= 2, `y range ${lo}..${hi} holds the data`);
  assert.deepEqual(texts(svg).slice(0, 1), ["Training loss"]);
});

Deno.test("figureSvg() draws val_ series dashed in their series' colour, with a legend entry each", () => {
  const svg = figureSvg(lossFigure({ loss: [3, 2, 1], val_loss: [4, 3, 2.5] }));
  const [train, val] = elements(svg, "polyline");
  assert.equal(val.stroke, train.stroke);
  assert.equal(train["stroke-dasharray"], undefined);
  assert.ok(val["stroke-dasharray"], "a dashed validation line");
  const legend = group(svg, "legend");
  assert.deepEqual(texts(legend), ["loss", "val_loss"]);
  assert.equal(elements(legend, "line")[1]["stroke-dasharray"], val["stroke-dasharray"]);
});

Deno.test("figureSvg() draws a baseline trace as a flat line across the epochs, in the legend", () => {
  const fig = lossFigure({ loss: [3, 2, 1] });
  fig.data.push(unigramTrace(2.5, 3));
  const svg = figureSvg(fig);
  const p = projector(svg);
  const baseline = elements(svg, "polyline")[1];
  const [[xa, ya], [xb, yb]] = points(baseline);
  near(ya, p.y(2.5), "baseline y");
  assert.equal(ya, yb);
  near(xa, p.x(1), "baseline start");
  near(xb, p.x(3), "baseline end");
  assert.equal(baseline.stroke, "#999999");
  assert.equal(baseline["stroke-width"], "1.5");
  assert.deepEqual(texts(group(svg, "legend")), ["loss", "unigram 2.5"]);
});

Deno.test("figureSvg() draws a line shape on paper across the whole plot, at its y value", () => {
  const fig = lossFigure({ loss: [3, 2, 1] });
  fig.layout.shapes = [{
    type: "line",
    xref: "paper",
    x0: 0,
    x1: 1,
    yref: "y",
    y0: 4,
    y1: 4,
    line: { color: "#444", dash: "dash", width: 1 },
  }];
  const svg = figureSvg(fig);
  const p = projector(svg);
  const [shape] = elements(svg, "line").filter((l) => l.class === "shape");
  near(Number(shape.x1), p.left, "from the left edge");
  near(Number(shape.x2), p.left + p.width, "to the right edge");
  near(Number(shape.y1), p.y(4), "at y = 4");
  assert.ok(Number(shape.y1) >= p.top, "the y range grew to hold the shape");
});

Deno.test("figureSvg() breaks a line where a value is missing", () => {
  const fig: PlotlyFigure = {
    data: [{ type: "scatter", mode: "lines", x: [0, 1, 2, 3, 4], y: [1, 2, null, 3, 4] }],
    layout: {},
  };
  const lines = elements(figureSvg(fig), "polyline");
  assert.deepEqual(lines.map((l) => points(l).length), [2, 2]);
  assert.equal(elements(figureSvg(fig), "circle").length, 0);
});

Deno.test("figureSvg() puts a log axis's ticks at their logarithms", () => {
  const fig = lossFigure({ loss: [100, 10, 1, 0.1] }, { logY: true });
  const svg = figureSvg(fig);
  const y = group(svg, "y-axis");
  assert.match(y, /data-type="log"/);
  const labels = texts(y).slice(0, -1);
  for (const v of ["0.1", "1", "10", "100"]) assert.ok(labels.includes(v), `tick ${v}: ${labels}`);
  const p = projector(svg);
  const drawn = points(elements(svg, "polyline")[0]);
  // Equal ratios, equal steps.
  near(drawn[1][1] - drawn[0][1], drawn[2][1] - drawn[1][1], "one decade per epoch");
  near(drawn[3][1], p.y(0.1), "0.1 on the log axis");
});

Deno.test("figureSvg() escapes text and leaves nothing that could run", () => {
  const fig = lossFigure({ ['<b>"a" & b</b>']: [1, 2], loss: [2, 1] }, {
    title: "</svg><script>alert('x')</script>",
    series: ['<b>"a" & b</b>', "loss"],
  });
  const svg = figureSvg(fig);
  assertWellFormed(svg);
  assert.doesNotMatch(svg, /<script|<b>/);
  assert.ok(texts(svg).includes("</svg><script>alert('x')</script>"));
  assert.ok(texts(group(svg, "legend")).includes('<b>"a" & b</b>'));
  assert.match(svg, /data-name="&lt;b&gt;&quot;a&quot; &amp; b&lt;\/b&gt;"/);
  assert.equal(escapeXml("a\u0001<&>\"'"), "a&lt;&amp;&gt;&quot;&#39;");
});

Deno.test("figureSvg() draws a piano roll as one rectangle per note, from start to end at its pitch", () => {
  const notes = [note(60, 0, 0.5), note(64, 0.5, 0.5), note(67, 1, 1), note(72, 2, 0.25)];
  const svg = figureSvg(pianoRollFigure(notes), { widthPx: 700, heightPx: 300 });
  assertWellFormed(svg);
  const p = projector(svg);
  const bars = elements(svg, "rect").filter((r) => r.class === "bar");
  assert.equal(bars.length, 4);
  notes.forEach((n, i) => {
    const b = bars[i];
    near(Number(b.x), p.x(n.start), `note ${i} start`);
    near(Number(b.x) + Number(b.width), p.x(n.end), `note ${i} end`);
    near(Number(b.y) + Number(b.height) / 2, p.y(n.pitch), `note ${i} pitch`);
  });
  assert.equal(elements(svg, "g").filter((g) => g.class === "legend").length, 0);
  assert.deepEqual(texts(group(svg, "x-axis")).at(-1), "time (s)");
});

Deno.test("figureSvg() draws histograms as bars in three subplots, one axis title each", () => {
  const notes = [note(60, 0, 0.5), note(62, 0.5, 0.5), note(62, 1, 1), note(64, 2, 0.25)];
  const svg = figureSvg(noteHistogramsFigure(notes, { dropPercentile: 0 }));
  assertWellFormed(svg);
  assert.equal(elements(svg, "g").filter((g) => g.class === "subplot").length, 3);
  const pitch = group(svg, "subplot", 0);
  assert.equal(texts(group(pitch, "x-axis")).at(-1), "pitch");
  assert.equal(texts(group(group(svg, "subplot", 2), "x-axis")).at(-1), "duration (s)");
  // Pitch bins 60..64: counts 1, 0, 2, 0, 1; an empty bin has no height.
  const bars = elements(pitch, "rect").filter((r) => r.class === "bar");
  const p = projector(svg, 0);
  assert.equal(bars.length, 5);
  [1, 0, 2, 0, 1].forEach((count, i) => {
    near(Number(bars[i].height), p.y(0) - p.y(count), `pitch ${60 + i} bar`);
  });
  near(Number(bars[2].y), p.y(2), "the tallest bar's top");
  const [x0, x1] = range(group(pitch, "x-axis"));
  assert.ok(x0 <= 59.6 && x1 >= 64.4, `pitch range ${x0}..${x1} holds the bars`);
});

Deno.test("figureSvg() names each category under its bar and colours bars one by one", () => {
  const svg = figureSvg(tokenFrequencyFigure(["E4", "0.4.7", "E4", "C4", "E4", "0.4.7"]));
  const x = group(svg, "x-axis");
  assert.match(x, /data-type="category"/);
  assert.deepEqual(texts(x), ["E4", "0.4.7", "C4", "token"]);
  const bars = elements(svg, "rect").filter((r) => r.class === "bar");
  assert.equal(bars.length, 3);
  assert.notEqual(bars[0].fill, bars[1].fill);
  assert.ok(Number(bars[0].height) > Number(bars[1].height));
  assert.ok(Number(bars[1].height) > Number(bars[2].height));
});

Deno.test("figureSvg() draws every run of a comparison with a legend, validation dashed", () => {
  const svg = figureSvg(compareLossFigure({
    small: { loss: [3, 2, 1], val_loss: [3.5, 2.5, 2] },
    large: { loss: [3, 1.5, 0.5] },
  }));
  assertWellFormed(svg);
  assert.equal(elements(svg, "polyline").length, 3);
  assert.deepEqual(texts(group(svg, "legend")), ["small", "small (validation)", "large"]);
});

Deno.test("figureSvg() keeps ids apart for different figures and draws an empty figure", () => {
  const a = figureSvg(lossFigure({ loss: [1, 2] }, { title: "a" }));
  const b = figureSvg(lossFigure({ loss: [1, 2] }, { title: "b" }));
  const id = (svg: string) => svg.match(/<clipPath id="([^"]+)"/)![1];
  assert.notEqual(id(a), id(b));
  const empty = figureSvg({ data: [], layout: { title: { text: "nothing yet" } } });
  assertWellFormed(empty);
  assert.ok(texts(empty).includes("nothing yet"));
});
