import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { resolveConfig, type RunConfig } from "../../lib/config/config.ts";
import { prepareData, trainRun, unigramBaseline } from "../../lib/workflow/workflow.ts";
import {
  compareWithBaselines,
  describeBaselines,
  heldOutBaselines,
} from "../../lib/workflow/baselines.ts";
import { ngramCrossEntropy } from "../../lib/train/ngram.ts";
import type { HeldOutBaselines } from "../../lib/train/baseline.ts";
import type { ClassicData } from "../../lib/classic/run.ts";
import type { TutorialData } from "../../lib/tutorial/run.ts";
import { readRunProvenance } from "../../lib/io/provenance.ts";
import { tempDir } from "../_helpers.ts";
import { tinyClassic, tinyTutorial, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");
const data = writeTinyCorpus(join(tempDir(), "data"), 12);

Deno.test("heldOutBaselines() of tutorial data scores each held-out window's next pitch from the pitches before it", () => {
  const config = resolveConfig(tinyTutorial(data, { data: { validationFraction: 0.3 } }));
  const prepared = prepareData(config);
  const baselines = heldOutBaselines(prepared)!;
  assert.equal(baselines.compareWith, "val_pitch_loss");
  assert.equal(baselines.classes, 128);
  assert.equal(baselines.unigram, unigramBaseline(prepared)!.nats);
  // The same labels from the notes themselves: the training files' pitch sequences, and
  // each held-out window's label (the note after it) at its place in its file.
  const { train, validation } = prepared.data as TutorialData;
  const pitches = (index: typeof train) =>
    index.sequences.map((values) =>
      Array.from({ length: values.length / 3 }, (_, i) => values[i * 3])
    );
  const sequence: number[] = [];
  const position: number[] = [];
  for (let w = 0; w < validation.count; w++) {
    sequence.push(validation.file[w]);
    position.push(validation.offset[w] + 8);
  }
  const want = ngramCrossEntropy(
    { train: pitches(train), heldOut: { sequences: pitches(validation), sequence, position } },
    { classes: 128, maxContext: 8 },
  );
  assert.deepEqual(baselines.ngram, want);
  assert.equal(want.labels, validation.count);
  // The tiny corpus repeats short patterns (each file transposed, so held-out files bring
  // pitches the training files never had): counting contexts still beats the unigram.
  assert.ok(baselines.ngram.nats < baselines.unigram, describeBaselines(baselines));
  assert.ok(baselines.ngram.order >= 2);
  assert.equal(heldOutBaselines(prepared), baselines, "computed once per prepared data");
});

Deno.test("heldOutBaselines() of classic data scores held-out next tokens over the vocabulary", () => {
  const config = resolveConfig(tinyClassic(data, { data: { validationFraction: 0.3 } }));
  const prepared = prepareData(config);
  const baselines = heldOutBaselines(prepared)!;
  const { train, validation, vocabulary } = prepared.data as ClassicData;
  assert.equal(baselines.compareWith, "val_loss");
  assert.equal(baselines.classes, vocabulary.size);
  const want = ngramCrossEntropy({
    train: train.sequences,
    heldOut: {
      sequences: validation!.sequences,
      sequence: validation!.sequence,
      position: validation!.offset.map((o) => o + 8),
    },
  }, { classes: vocabulary.size, maxContext: 8 });
  assert.deepEqual(baselines.ngram, want);
});

Deno.test("heldOutBaselines() is null when nothing is held out", () => {
  const config = resolveConfig(tinyTutorial(data, { data: { validationFraction: 0 } }));
  assert.equal(heldOutBaselines(prepareData(config)), null);
});

const BASELINES: HeldOutBaselines = {
  compareWith: "val_pitch_loss",
  label: "pitch",
  classes: 128,
  unigram: 2.74,
  ngram: {
    nats: 1.874,
    order: 4,
    smoothing: { kind: "modified-kneser-ney" },
    tuningNats: 1.9,
    labels: 100,
  },
};

function tutorialConfig(input: "scaled" | "embedding"): RunConfig {
  return resolveConfig({ family: "tutorial", model: { input } });
}

Deno.test("compareWithBaselines() reports how far under the n-gram and the unigram the best loss is", () => {
  const history = { val_pitch_loss: [2.5, 1.8, 1.7, 1.75] };
  const c = compareWithBaselines(BASELINES, history, {
    config: tutorialConfig("scaled"),
    trainWindows: 1000,
  });
  assert.equal(c.best, 1.7);
  assert.equal(c.bestEpoch, 3);
  assert.equal(c.beatsNgram, true);
  assert.ok(Math.abs(c.underNgramPercent! - 100 * (1 - 1.7 / 1.874)) < 1e-9);
  assert.deepEqual(c.reasons, []);
  assert.deepEqual(c.lines, [
    "best val_pitch_loss 1.7000 at epoch 3: 9.3% under the n-gram (4) 1.8740, " +
    "38.0% under the unigram 2.7400",
  ]);
});

Deno.test("compareWithBaselines() says plainly when the model loses to the n-gram, with the reasons that apply", () => {
  const still = compareWithBaselines(BASELINES, { val_pitch_loss: [2.6, 2.4, 2.222] }, {
    config: tutorialConfig("scaled"),
    trainWindows: 5000,
  });
  assert.equal(still.beatsNgram, false);
  assert.match(still.lines[0], /18\.6% over the n-gram \(4\) 1\.8740/);
  assert.match(still.lines[0], /worse than counting 4-grams of the training files does/);
  assert.equal(still.reasons.length, 3);
  assert.match(still.reasons[0], /^too few epochs: val_pitch_loss was still falling/);
  assert.match(still.reasons[1], /^too little data: 5000 training windows/);
  assert.match(still.reasons[2], /^the scaled encoding: model\.input "scaled".*pitch \/ 128/);
  // A large corpus, the embedding, and a loss that turned up: only overfitting applies.
  const over = compareWithBaselines(BASELINES, { val_pitch_loss: [2.3, 2.0, 2.1, 2.2] }, {
    config: tutorialConfig("embedding"),
    trainWindows: 200_000,
  });
  assert.deepEqual(over.reasons.map((r) => r.split(":")[0]), ["overfitting"]);
  assert.match(over.reasons[0], /stopped improving at epoch 2 of 4/);
  assert.deepEqual(over.lines.slice(1), ["likely reasons:", `  - ${over.reasons[0]}`]);
  const none = compareWithBaselines(BASELINES, { loss: [1] }, {
    config: tutorialConfig("embedding"),
    trainWindows: 10,
  });
  assert.equal(none.best, null);
  assert.match(none.lines[0], /no val_pitch_loss in the history/);
});

Deno.test("a trained run records its baselines in run.json", async () => {
  const runDir = join(tempDir(), "run");
  const config = resolveConfig(
    tinyTutorial(data, { data: { validationFraction: 0.3 }, train: { epochs: 1 } }),
  );
  const prepared = prepareData(config);
  const run = await trainRun(config, { runDir, prepared });
  run.model.dispose();
  const record = await readRunProvenance(runDir);
  assert.deepEqual(record!.baselines, JSON.parse(JSON.stringify(heldOutBaselines(prepared))));
});
