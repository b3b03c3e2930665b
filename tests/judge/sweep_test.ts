import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import {
  gridCombinations,
  heldOutTable,
  runSweep,
  sweepBaselines,
  sweepCombinations,
  type SweepRow,
} from "../../lib/judge/sweep.ts";
import { compareLossFigure } from "../../lib/notebook/plot.ts";
import type { HeldOutBaselines } from "../../lib/train/baseline.ts";
import { notesToMidi } from "../../lib/music/midi.ts";
import { patternNotes, tempDir } from "../_helpers.ts";

await tf.setBackend("cpu");

/** Writes three pattern pieces (60, 70 and 80 notes) into `<dir>/data`; returns that folder. */
function writeCorpus(dir: string): string {
  const data = join(dir, "data");
  Deno.mkdirSync(data);
  for (let i = 0; i < 3; i++) {
    Deno.writeFileSync(join(data, `p${i}.mid`), notesToMidi(patternNotes(60 + 10 * i)));
  }
  return data;
}

Deno.test("gridCombinations() makes every combination, last setting fastest", () => {
  assert.deepEqual(gridCombinations({ a: [1, 2], b: ["x", "y"] }), [
    { a: 1, b: "x" },
    { a: 1, b: "y" },
    { a: 2, b: "x" },
    { a: 2, b: "y" },
  ]);
  assert.throws(() => gridCombinations({ a: [] }), /grid\.a: expected a non-empty list/);
});

Deno.test("sweepCombinations() runs the grid's combinations, then the chosen runs", () => {
  assert.deepEqual(
    sweepCombinations({
      grid: { "model.lstmUnits": [8, 16] },
      runs: [{ "model.input": "scaled", "model.dropout": 0 }],
    }),
    [
      { "model.lstmUnits": 8 },
      { "model.lstmUnits": 16 },
      { "model.input": "scaled", "model.dropout": 0 },
    ],
  );
  assert.deepEqual(sweepCombinations({ runs: [{ "model.input": "embedding" }] }), [
    { "model.input": "embedding" },
  ]);
  assert.throws(() => sweepCombinations({}), /expected a grid or runs with at least one/);
  assert.throws(
    () => sweepCombinations({ runs: [{ "model.input": "scaled" }, { "other.input": "scaled" }] }),
    /two combinations share the label input=scaled/,
  );
  assert.throws(
    () => sweepCombinations({ runs: ["scaled"] as unknown as Record<string, unknown>[] }),
    /runs\[0\]: expected an object of values by setting path, got "scaled"/,
  );
});

Deno.test("heldOutTable() lists each run's best held-out loss against the yardsticks, rounded", () => {
  const row = (run: string, best: number | null): SweepRow => ({
    run,
    loss: 1,
    valLoss: best,
    bestHeldOut: best,
    ngram: best === null ? null : 1.87654,
    unigram: best === null ? null : 2.74321,
    underNgramPct: best === null ? null : 100 * (1 - best / 1.87654),
    epochs: 3,
    stopped: "time",
    seconds: 12.345,
    entropyBits: 3,
    scaleConsistency: 0.9,
    repeatedNgrams: 0.1,
    longestCopy: 4,
    values: {},
    runDir: run,
  });
  const baselines: HeldOutBaselines = {
    compareWith: "val_pitch_loss",
    label: "pitch",
    classes: 128,
    unigram: 2.74321,
    ngram: {
      nats: 1.87654,
      order: 4,
      smoothing: { kind: "modified-kneser-ney" },
      tuningNats: null,
      labels: 10,
    },
  };
  assert.deepEqual(
    heldOutTable({
      rows: [row("input=scaled", 2.22222), row("input=embedding", 1.71555)],
      baselines: { "input=scaled": baselines, "input=embedding": baselines },
    }),
    [
      {
        run: "input=scaled",
        "best val_pitch_loss": 2.222,
        "n-gram": 1.877,
        "% under n-gram": -18.4,
        unigram: 2.743,
        epochs: 3,
        seconds: 12.3,
      },
      {
        run: "input=embedding",
        "best val_pitch_loss": 1.716,
        "n-gram": 1.877,
        "% under n-gram": 8.6,
        unigram: 2.743,
        epochs: 3,
        seconds: 12.3,
      },
    ],
  );
  assert.equal(sweepBaselines({ baselines: { x: baselines, y: { ...baselines } } }), baselines);
  assert.equal(
    sweepBaselines({ baselines: { x: baselines, y: { ...baselines, unigram: 3 } } }),
    null,
  );
  assert.equal(sweepBaselines({ baselines: { x: baselines, y: null } }), null);
  // Without held-out files: no yardsticks, null values, a generic column name.
  assert.deepEqual(
    heldOutTable({ rows: [row("a", null)], baselines: { a: null } }, { digits: 2 }),
    [
      {
        run: "a",
        "best held-out": null,
        "n-gram": null,
        "% under n-gram": null,
        unigram: null,
        epochs: 3,
        seconds: 12.3,
      },
    ],
  );
});

Deno.test("runSweep() trains one run per combination into its own folder and tabulates them", async () => {
  const dir = tempDir();
  try {
    const data = writeCorpus(dir);
    const result = await runSweep({
      name: "t",
      base: {
        family: "tutorial",
        data: { dir: data, validationFraction: 0.34 },
        model: { lstmUnits: 8 },
        train: { epochs: 2, maxBatchesPerEpoch: 2 },
        generate: { length: 30 },
        backend: "cpu",
      },
      grid: { "model.sequenceLength": [8, 12], "model.learningRate": [0.01] },
    }, { rootDir: join(dir, "sweeps") });
    assert.deepEqual(result.rows.map((r) => r.run), [
      "sequenceLength=8,learningRate=0.01",
      "sequenceLength=12,learningRate=0.01",
    ]);
    for (const row of result.rows) {
      assert.ok(Number.isFinite(row.loss) && row.valLoss !== null && row.epochs === 2);
      assert.ok(row.entropyBits >= 0 && row.scaleConsistency > 0 && row.scaleConsistency <= 1);
      const config = JSON.parse(Deno.readTextFileSync(join(row.runDir, "config.json")));
      assert.equal(config.model.sequenceLength, row.values["model.sequenceLength"]);
      // The n-gram yardstick of the run's own held-out labels, as its run.json records it.
      const runJson = JSON.parse(Deno.readTextFileSync(join(row.runDir, "run.json")));
      assert.equal(row.ngram, runJson.baselines.ngram.nats);
      assert.equal(row.bestHeldOut, Math.min(...result.histories[row.run].val_pitch_loss));
      assert.ok(Math.abs(row.underNgramPct! - 100 * (1 - row.bestHeldOut! / row.ngram!)) < 1e-9);
      assert.equal(row.unigram, runJson.baselines.unigram);
      assert.equal(result.baselines[row.run]?.ngram.nats, row.ngram);
      assert.equal(row.stopped, null);
    }
    const summary = JSON.parse(Deno.readTextFileSync(join(dir, "sweeps", "t", "summary.json")));
    assert.equal(summary.rows.length, 2);
    // Windows of 8 and of 12 notes: different held-out labels, so no shared yardsticks.
    assert.notEqual(result.rows[0].ngram, null);
    assert.equal(sweepBaselines(result), null);
    const fig = compareLossFigure(result.histories);
    assert.equal(fig.data.length, 4, "a training and a validation line per run");
    await assert.rejects(
      runSweep({ name: "bad", base: { family: "tutorial" }, grid: { "train.epochs": [0] } }),
      /train\.epochs: expected a positive integer, got 0/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("runSweep() runs chosen combinations of either family, each under the base's time budget", async () => {
  const dir = tempDir();
  try {
    const data = writeCorpus(dir);
    const base = {
      family: "classic" as const,
      data: { dir: data, validationFraction: 0.34 },
      model: {
        sequenceLength: 8,
        lstm: [{ units: 8, recurrentDropout: 0, dropoutAfter: 0 }],
        denseUnits: 8,
        embeddingSize: 4,
      },
      train: { epochs: 2, maxBatchesPerEpoch: 2 },
      generate: { length: 20 },
      backend: "cpu" as const,
    };
    const runs = [{ "model.input": "scaled" }, { "model.input": "embedding" }];
    const result = await runSweep({ name: "c", base, runs }, { rootDir: join(dir, "sweeps") });
    assert.deepEqual(result.rows.map((r) => r.run), ["input=scaled", "input=embedding"]);
    for (const row of result.rows) {
      const config = JSON.parse(Deno.readTextFileSync(join(row.runDir, "config.json")));
      assert.equal(config.model.input, row.values["model.input"]);
      assert.equal(row.epochs, 2);
      assert.equal(row.bestHeldOut, Math.min(...result.histories[row.run].val_loss));
      assert.equal(result.baselines[row.run]?.compareWith, "val_loss");
      assert.ok(row.ngram! > 0 && row.unigram! > 0);
    }
    // The same data and windows: the same yardsticks for both runs, shared by the sweep.
    assert.deepEqual(result.baselines["input=scaled"], result.baselines["input=embedding"]);
    assert.deepEqual(sweepBaselines(result), result.baselines["input=scaled"]);
    // A budget used up before the first epoch ends: no finished epoch, stopped by time.
    const spent = await runSweep({
      name: "spent",
      base: { ...base, train: { ...base.train, maxMinutes: 1e-9 } },
      runs: [{ "model.input": "embedding" }],
    }, { rootDir: join(dir, "sweeps") });
    assert.equal(spent.rows[0].epochs, 0);
    assert.equal(spent.rows[0].stopped, "time");
    assert.equal(spent.rows[0].bestHeldOut, null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
