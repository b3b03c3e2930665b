import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConfig } from "../../lib/config/config.ts";
import { prepareData, unigramBaseline } from "../../lib/workflow/workflow.ts";
import { unigramCrossEntropy } from "../../lib/train/baseline.ts";
import type { ClassicData } from "../../lib/classic/run.ts";
import type { TutorialData } from "../../lib/tutorial/run.ts";
import { tempDir } from "../_helpers.ts";
import { tinyClassic, tinyTutorial, writeTinyCorpus } from "../_tiny_runs.ts";

const data = writeTinyCorpus(join(tempDir(), "data"), 6);

Deno.test("unigramBaseline() of tutorial data scores held-out next pitches, compared with val_pitch_loss", () => {
  const config = resolveConfig(tinyTutorial(data, { data: { validationFraction: 0.3 } }));
  const prepared = prepareData(config);
  const baseline = unigramBaseline(prepared)!;
  assert.equal(baseline.compareWith, "val_pitch_loss");
  assert.equal(baseline.label, "pitch");
  // The same number from the notes themselves: each window's label is the note after it.
  const { train, validation } = prepared.data as TutorialData;
  const next = (index: typeof train) =>
    Array.from({ length: index.count }, (_, w) => {
      const values = index.sequences[index.sequence[w]];
      return values[(index.offset[w] + index.sequenceLength) * 3];
    });
  const want = unigramCrossEntropy({ train: next(train), heldOut: next(validation) }, {
    classes: 128,
  });
  assert.ok(Math.abs(baseline.nats - want) < 1e-12);
  assert.ok(baseline.nats > 0 && baseline.nats < Math.log(128));
});

Deno.test("unigramBaseline() of classic data scores held-out next tokens over the vocabulary, compared with val_loss", () => {
  const config = resolveConfig(tinyClassic(data, { data: { validationFraction: 0.3 } }));
  const prepared = prepareData(config);
  const baseline = unigramBaseline(prepared)!;
  assert.equal(baseline.compareWith, "val_loss");
  const { train, validation, vocabulary } = prepared.data as ClassicData;
  const labelsOf = (index: typeof train) =>
    Array.from(
      { length: index.count },
      (_, w) => index.sequences[index.sequence[w]][index.offset[w] + index.sequenceLength],
    );
  const want = unigramCrossEntropy(
    { train: labelsOf(train), heldOut: labelsOf(validation!) },
    { classes: vocabulary.size },
  );
  assert.ok(Math.abs(baseline.nats - want) < 1e-12);
});

Deno.test("unigramBaseline() is null when nothing is held out", () => {
  const config = resolveConfig(tinyTutorial(data, { data: { validationFraction: 0 } }));
  assert.equal(unigramBaseline(prepareData(config)), null);
});
