import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { resolveConfig, type RunConfig } from "../../lib/config/config.ts";
import {
  FAMILIES,
  familyNamed,
  familyOf,
  familyOfSavedRun,
  type PerFamily,
  perFamily,
} from "../../lib/workflow/families.ts";
import { tutorialFamily } from "../../lib/tutorial/family.ts";
import { classicFamily } from "../../lib/classic/family.ts";
import { prepareData, readCorpus } from "../../lib/workflow/workflow.ts";
import { tempDir } from "../_helpers.ts";
import { tinyClassic, tinyTutorial, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");
const data = writeTinyCorpus(join(tempDir(), "data"), 6);

Deno.test("familyOf() picks the family object that config.family names", () => {
  assert.equal(familyOf(resolveConfig(tinyTutorial(data))), tutorialFamily);
  assert.equal(familyOf(resolveConfig(tinyClassic(data))), classicFamily);
  assert.equal(familyNamed("classic").name, "classic");
});

Deno.test("familyNamed() names the known families when asked for another", () => {
  assert.throws(
    () => familyNamed("jazz"),
    /family: expected one of "tutorial", "classic", got "jazz"/,
  );
  assert.throws(() => familyNamed("toString"), /got "toString"/);
});

Deno.test("familyOfSavedRun() reads a missing or unknown family as the tutorial family", () => {
  assert.equal(familyOfSavedRun(undefined), tutorialFamily);
  assert.equal(familyOfSavedRun("classic"), classicFamily);
  assert.equal(familyOfSavedRun(3), tutorialFamily);
});

Deno.test("both families have the same members", () => {
  const members = (o: object) => Object.keys(o).sort();
  assert.deepEqual(members(FAMILIES.tutorial), members(FAMILIES.classic));
  for (const [name, family] of Object.entries(FAMILIES)) assert.equal(family.name, name);
});

Deno.test("a family's labels and dataset agree on the number of training windows", async () => {
  for (const options of [tinyTutorial(data), tinyClassic(data)]) {
    const config = resolveConfig(options);
    const family = familyOf(config);
    const prepared = prepareData(config, readCorpus(config));
    const labels = family.labels(prepared.data);
    assert.ok(labels, config.family);
    assert.equal(labels.train.length, prepared.data.train.count, config.family);
    const batches = await family.dataset(config, prepared.data).toArray();
    const windows = batches.reduce<number>((n, batch) => {
      const { ys } = batch as { ys: tf.Tensor | { pitch: tf.Tensor } };
      return n + (ys instanceof tf.Tensor ? ys : ys.pitch).shape[0];
    }, 0);
    tf.dispose(batches);
    assert.equal(windows, labels.train.length, config.family);
  }
});

Deno.test("perFamily() calls the entry of the values' family with the values", () => {
  const tutorial = resolveConfig(tinyTutorial(data, { dataset: { pitchScale: 100 } }));
  const classic = resolveConfig(tinyClassic(data, { model: { preset: "lstm2x256-cpu" } }));
  const corpus = readCorpus(classic);
  const table: PerFamily<readonly [RunConfig], string> = {
    tutorial: (c) => `tutorial, pitch scale ${c.dataset.pitchScale}`,
    classic: (c) => `classic, preset ${c.model.preset}`,
  };
  assert.equal(perFamily([tutorial], table), "tutorial, pitch scale 100");
  assert.equal(perFamily([classic], table), "classic, preset lstm2x256-cpu");
  const files = perFamily([classic, corpus], {
    tutorial: () => -1,
    classic: (config, corpus) => config === classic ? corpus.folder.files.length : -2,
  });
  assert.equal(files, corpus.folder.files.length);
});

Deno.test("perFamily() names both families when the values belong to different ones", () => {
  const tutorial = resolveConfig(tinyTutorial(data));
  const corpus = readCorpus(resolveConfig(tinyClassic(data)));
  const table = { tutorial: () => 1, classic: () => 2 };
  assert.throws(
    () => perFamily([tutorial, corpus], table),
    /family: expected values of one family, got tutorial and classic/,
  );
  assert.throws(() => perFamily([{ family: "jazz" as "classic" }], table), /got "jazz"/);
});
