import assert from "node:assert/strict";
import {
  compareLossFigure,
  lossFigure,
  noteHistogramsFigure,
  pianoRollFigure,
  tokenFrequencyFigure,
} from "../../lib/notebook/plot.ts";
import type { Note } from "../../lib/music/midi.ts";

function note(pitch: number, start: number, duration: number, step = 0): Note {
  return { pitch, start, end: start + duration, step, duration, velocity: 100 };
}

const NOTES: Note[] = [
  note(60, 0, 0.5, 0),
  note(64, 0.5, 0.5, 0.5),
  note(67, 1, 1, 0.5),
  note(72, 2, 0.25, 1),
];

Deno.test("lossFigure() draws one line per series and leaves out epoch", () => {
  const fig = lossFigure({ epoch: [0, 1, 2], loss: [3, 2, 1], val_loss: [4, 3, 2] });
  assert.deepEqual(fig.data.map((t) => t.name), ["loss", "val_loss"]);
  assert.deepEqual(fig.data[0].x, [0, 1, 2]);
  assert.deepEqual(fig.data[1].y, [4, 3, 2]);
});

Deno.test("lossFigure() counts epochs from 1 when the history has no epoch key", () => {
  const fig = lossFigure({ pitch_loss: [5, 4], step_loss: [0.2, 0.1] });
  assert.deepEqual(fig.data[0].x, [1, 2]);
  assert.equal(fig.data.length, 2);
});

Deno.test("lossFigure() gives a validation series its training colour and a dashed line", () => {
  const fig = lossFigure({ loss: [1], val_loss: [2], duration_loss: [3] });
  const line = (i: number) => fig.data[i].line as { color: string; dash: string };
  assert.equal(line(1).color, line(0).color);
  assert.equal(line(1).dash, "dash");
  assert.notEqual(line(2).color, line(0).color);
});

Deno.test("lossFigure() uses a log y axis only when asked", () => {
  const yType = (logY: boolean) =>
    (lossFigure({ loss: [1] }, { logY }).layout.yaxis as { type: string }).type;
  assert.equal(yType(true), "log");
  assert.equal(yType(false), "linear");
});

Deno.test("lossFigure() draws only the chosen series, in the chosen order", () => {
  const fig = lossFigure({ loss: [1], val_loss: [2], step_loss: [3] }, {
    series: ["step_loss", "loss", "missing"],
  });
  assert.deepEqual(fig.data.map((t) => t.name), ["step_loss", "loss"]);
});

Deno.test("lossFigure() draws each baseline as a named flat line across the epochs", () => {
  const fig = lossFigure({ epoch: [1, 2, 3], val_pitch_loss: [2.5, 2, 1.8] }, {
    baselines: [{ name: "n-gram (4)", value: 1.87412 }, { name: "unigram", value: 2.74 }],
  });
  assert.deepEqual(fig.data.map((t) => t.name), [
    "val_pitch_loss",
    "n-gram (4) 1.874",
    "unigram 2.74",
  ]);
  assert.deepEqual(fig.data[1].x, [1, 3]);
  assert.deepEqual(fig.data[1].y, [1.87412, 1.87412]);
  assert.equal((fig.data[2].line as { dash: string }).dash, "dot");
  // One epoch still gives a line with some length.
  const one = lossFigure({ loss: [1] }, { baselines: [{ name: "n-gram (2)", value: 0.5 }] });
  assert.deepEqual(one.data[1].x, [0.5, 1.5]);
  assert.throws(
    () => lossFigure({ loss: [1] }, { baselines: [{ name: "x", value: NaN }] }),
    /baselines\[0\]\.value: expected a finite number, got NaN/,
  );
});

Deno.test("lossFigure() copies the history arrays", () => {
  const history = { loss: [1, 2] };
  const fig = lossFigure(history);
  history.loss.push(3);
  assert.deepEqual(fig.data[0].y, [1, 2]);
});

Deno.test("lossFigure() names the series that is not an array of numbers", () => {
  assert.throws(
    () => lossFigure({ loss: ["a"] as unknown as number[] }),
    /history\.loss: expected an array of numbers/,
  );
});

Deno.test("compareLossFigure() draws each run's series solid and its validation series dashed", () => {
  const fig = compareLossFigure({
    a: { epoch: [1, 2], pitch_loss: [3, 2], val_pitch_loss: [3.2, 2.5] },
    b: { epoch: [1, 2, 3], pitch_loss: [3, 1.5, 1], val_pitch_loss: [3.1, 2.4, 2.6] },
  }, { series: "pitch_loss" });
  assert.deepEqual(fig.data.map((t) => t.name), ["a", "a (validation)", "b", "b (validation)"]);
  assert.deepEqual(fig.data.map((t) => (t.line as { dash: string }).dash), [
    "solid",
    "dash",
    "solid",
    "dash",
  ]);
  assert.equal(
    (fig.data[0].line as { color: string }).color,
    (fig.data[1].line as { color: string }).color,
  );
  assert.notEqual(
    (fig.data[0].line as { color: string }).color,
    (fig.data[2].line as { color: string }).color,
  );
  assert.deepEqual(fig.data[3].x, [1, 2, 3]);
});

Deno.test("compareLossFigure() draws a val_ series alone, with the baselines as flat lines across the runs' epochs", () => {
  const history = { epoch: [1, 2, 3], pitch_loss: [3, 2, 1], val_pitch_loss: [2.5, 2, 2.1] };
  const fig = compareLossFigure({
    scaled: { epoch: [1, 2], val_pitch_loss: [2.6, 2.4] },
    embedding: history,
  }, {
    series: "val_pitch_loss",
    baselines: [{ name: "n-gram (4)", value: 1.87412 }, { name: "unigram", value: 2.74 }],
  });
  assert.deepEqual(fig.data.map((t) => t.name), [
    "scaled",
    "embedding",
    "n-gram (4) 1.874",
    "unigram 2.74",
  ]);
  assert.deepEqual(fig.data[1].y, [2.5, 2, 2.1]);
  assert.deepEqual(fig.data[2].x, [1, 3]);
  assert.deepEqual(fig.data[2].y, [1.87412, 1.87412]);
  assert.equal((fig.data[3].line as { dash: string }).dash, "dot");
  assert.deepEqual((fig.layout.yaxis as { title: { text: string } }).title.text, "val_pitch_loss");
  // The figure keeps copies: later epochs of a history do not change it.
  history.epoch.push(4);
  history.val_pitch_loss.push(2.2);
  assert.deepEqual(fig.data[1].x, [1, 2, 3]);
  assert.throws(
    () => compareLossFigure({ a: { loss: [1] } }, { baselines: [{ name: "x", value: Infinity }] }),
    /compareLossFigure: baselines\[0\]\.value: expected a finite number, got Infinity/,
  );
});

Deno.test("pianoRollFigure() draws each note as a bar from its start for its duration at its pitch", () => {
  const fig = pianoRollFigure(NOTES);
  assert.equal(fig.data.length, 1);
  const bars = fig.data[0];
  assert.equal(bars.type, "bar");
  assert.equal(bars.orientation, "h");
  assert.deepEqual(bars.base, [0, 0.5, 1, 2]);
  assert.deepEqual(bars.x, [0.5, 0.5, 1, 0.25]);
  assert.deepEqual(bars.y, [60, 64, 67, 72]);
  assert.match((bars.hovertext as string[])[0], /^C4 \(60\) start 0\.00 s, 0\.50 s$/);
});

Deno.test("pianoRollFigure() draws at most maxNotes notes and says so in the title", () => {
  const fig = pianoRollFigure(NOTES, { maxNotes: 2 });
  assert.equal((fig.data[0].y as unknown[]).length, 2);
  assert.match((fig.layout.title as { text: string }).text, /first 2 of 4 notes/);
});

Deno.test("noteHistogramsFigure() counts every note once per panel", () => {
  const fig = noteHistogramsFigure(NOTES, { dropPercentile: 0 });
  assert.equal(fig.data.length, 3);
  for (const trace of fig.data) {
    const total = (trace.y as number[]).reduce((a, b) => a + b, 0);
    assert.equal(total, NOTES.length, `panel on ${trace.xaxis}`);
  }
  assert.deepEqual(fig.data.map((t) => t.xaxis), ["x", "x2", "x3"]);
});

Deno.test("noteHistogramsFigure() uses one bin per pitch from the lowest to the highest", () => {
  const fig = noteHistogramsFigure(NOTES);
  const x = fig.data[0].x as number[];
  assert.equal(x[0], 60);
  assert.equal(x[x.length - 1], 72);
  assert.equal((fig.data[0].y as number[])[64 - 60], 1);
});

Deno.test("noteHistogramsFigure() overlays a second list as fractions with both names", () => {
  const other = [note(60, 0, 1), note(60, 1, 1, 1)];
  const fig = noteHistogramsFigure(NOTES, { other, name: "corpus", otherName: "model" });
  assert.equal(fig.data.length, 6);
  assert.deepEqual([...new Set(fig.data.map((t) => t.name))], ["corpus", "model"]);
  const otherPitch = fig.data[3].y as number[];
  assert.equal(otherPitch[0], 1);
  assert.equal(fig.layout.barmode, "overlay");
});

Deno.test("noteHistogramsFigure() leaves out steps above the drop percentile", () => {
  const notes = [...Array(99)].map((_, i) => note(60, i, 0.5, 0.5)).concat(note(60, 200, 0.5, 100));
  const fig = noteHistogramsFigure(notes, { dropPercentile: 2.5 });
  const stepTotal = (fig.data[1].y as number[]).reduce((a, b) => a + b, 0);
  assert.equal(stepTotal, 99);
});

Deno.test("tokenFrequencyFigure() shows the most frequent tokens first, chords in their own colour", () => {
  const fig = tokenFrequencyFigure(["E4", "0.4.7", "E4", "C4", "E4", "0.4.7"], { top: 2 });
  const bar = fig.data[0] as { x: string[]; y: number[]; marker: { color: string[] } };
  assert.deepEqual(bar.x, ["E4", "0.4.7"]);
  assert.deepEqual(bar.y, [3, 2]);
  assert.notEqual(bar.marker.color[0], bar.marker.color[1]);
});
