import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { gridCombinations, runSweep } from "../../lib/judge/sweep.ts";
import { compareLossFigure } from "../../lib/notebook/plot.ts";
import { notesToMidi } from "../../lib/music/midi.ts";
import { patternNotes, tempDir } from "../_helpers.ts";

await tf.setBackend("cpu");

Deno.test("gridCombinations() makes every combination, last setting fastest", () => {
  assert.deepEqual(gridCombinations({ a: [1, 2], b: ["x", "y"] }), [
    { a: 1, b: "x" },
    { a: 1, b: "y" },
    { a: 2, b: "x" },
    { a: 2, b: "y" },
  ]);
  assert.throws(() => gridCombinations({ a: [] }), /grid\.a: expected a non-empty list/);
});

Deno.test("runSweep() trains one run per combination into its own folder and tabulates them", async () => {
  const dir = tempDir();
  try {
    const data = join(dir, "data");
    Deno.mkdirSync(data);
    for (let i = 0; i < 3; i++) {
      Deno.writeFileSync(join(data, `p${i}.mid`), notesToMidi(patternNotes(60 + 10 * i)));
    }
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
    }
    const summary = JSON.parse(Deno.readTextFileSync(join(dir, "sweeps", "t", "summary.json")));
    assert.equal(summary.rows.length, 2);
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
