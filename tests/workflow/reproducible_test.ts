import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type DeepPartial, resolveConfig, type RunConfig } from "../../lib/config/config.ts";
import { notesToMidi } from "../../lib/music/midi.ts";
import { loadModel } from "../../lib/io/model_files.ts";
import { readRunProvenance } from "../../lib/io/provenance.ts";
import { readTrainState } from "../../lib/train/resume.ts";
import {
  generateMusic,
  loadRun,
  midiOptionsFor,
  readCorpus,
  trainRun,
} from "../../lib/workflow/workflow.ts";
import {
  dropoutSeeds,
  seedDropoutLayers,
  withSeededDropout,
} from "../../lib/engine/seeded_dropout.ts";
import { lstmFactory } from "../../lib/engine/fused_lstm.ts";
import { tempDir } from "../_helpers.ts";
import { tinyClassic, tinyTutorial, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");

/** Trains a run, generates from it, and returns the history and the MIDI bytes. */
async function trainAndGenerate(overrides: DeepPartial<RunConfig>, runDir: string) {
  const config = resolveConfig(overrides as DeepPartial<RunConfig>);
  const run = await trainRun(config, { runDir });
  const midi = notesToMidi(generateMusic(run, readCorpus(config)).notes, midiOptionsFor(config));
  run.model.dispose();
  return { history: run.history!, midi };
}

for (const family of ["tutorial", "classic"] as const) {
  Deno.test(`${family}: the same config twice gives the same losses and byte-identical MIDI; another seed does not`, async () => {
    const dir = tempDir();
    try {
      const data = writeTinyCorpus(join(dir, "data"));
      const tiny = family === "tutorial" ? tinyTutorial : tinyClassic;
      const one = await trainAndGenerate(tiny(data), join(dir, "one"));
      const two = await trainAndGenerate(tiny(data), join(dir, "two"));
      const other = await trainAndGenerate(tiny(data, { seed: 12 }), join(dir, "other"));
      assert.equal(one.history.loss.length, 3);
      assert.deepEqual(two.history, one.history);
      assert.ok(one.midi.length > 50, `expected a MIDI file, got ${one.midi.length} bytes`);
      assert.deepEqual(two.midi, one.midi);
      assert.notDeepEqual(other.history.loss, one.history.loss);
      assert.notDeepEqual(other.midi, one.midi);

      // Regenerating from the saved run repeats the bytes too.
      const loaded = await loadRun(join(dir, "one"));
      const again = notesToMidi(
        generateMusic(loaded, readCorpus(loaded.config)).notes,
        midiOptionsFor(loaded.config),
      );
      loaded.model.dispose();
      assert.deepEqual(again, one.midi);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a run folder holds the config, provenance, normalisation, history, checkpoints and resume state", async () => {
  const dir = tempDir();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    for (const family of ["tutorial", "classic"] as const) {
      const runDir = join(dir, family);
      const tiny = family === "tutorial" ? tinyTutorial(data) : tinyClassic(data);
      const config = resolveConfig(tiny as DeepPartial<RunConfig>);
      (await trainRun(config, { runDir })).model.dispose();
      const saved = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
      assert.deepEqual(saved, config);
      const provenance = (await readRunProvenance(runDir))!;
      assert.equal(provenance.family, family);
      assert.equal(provenance.seed, 11);
      assert.equal(provenance.data.dir, data);
      assert.equal(provenance.data.files, 4);
      assert.match(provenance.data.fingerprint, /^[0-9a-f]{16}$/);
      assert.equal(provenance.preset, family === "classic" ? "lstm2x256-cpu" : null);
      assert.equal(provenance.sessions.length, 1);
      const session = provenance.sessions[0];
      assert.equal(session.backend, "cpu");
      assert.equal(session.wasmThreads, null);
      assert.equal(session.fromEpoch, 0);
      assert.equal(session.environment.tfjs["tfjs-core"], tf.version_core);
      assert.equal(session.environment.deno.deno, Deno.version.deno);
      assert.ok(!Number.isNaN(Date.parse(session.startedAt)));
      if (family === "tutorial") {
        assert.deepEqual(provenance.normalisation, {
          input: config.model.input,
          pitchScale: 128,
        });
      } else {
        const vocabulary = JSON.parse(await Deno.readTextFile(join(runDir, "vocabulary.json")));
        assert.equal(provenance.normalisation.vocabularySize, vocabulary.tokens.length);
        assert.equal(provenance.normalisation.input, config.model.input);
      }
      const history = JSON.parse(await Deno.readTextFile(join(runDir, "history.json")));
      assert.deepEqual(history.epoch, [1, 2, 3]);
      const latest = JSON.parse(
        await Deno.readTextFile(join(runDir, "checkpoints", "latest.json")),
      );
      (await loadModel(join(runDir, "checkpoints", latest.checkpoint))).dispose();
      const state = (await readTrainState(join(runDir, "resume")))!;
      assert.equal(state.epochsDone, 3);
      assert.deepEqual(state.history, history);
      (await loadModel(join(runDir, "resume", state.last))).dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("seeded dropout draws a new mask for every batch and repeats them after startEpoch()", () => {
  const seeds = dropoutSeeds(5);
  const input = tf.input({ shape: [6, 4] });
  const lstm = withSeededDropout(lstmFactory("fused"), seeds)({
    units: 8,
    recurrentDropout: 0.5,
    returnSequences: true,
  }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dropout({ rate: 0.5, seed: 1 }).apply(lstm) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  assert.equal(seedDropoutLayers(model, seeds), 1);
  const x = tf.ones([2, 6, 4]);
  const run = (training: boolean) =>
    tf.tidy(() => Array.from((model.apply(x, { training }) as tf.Tensor).dataSync()));
  seeds.startEpoch(0);
  const first = run(true);
  const second = run(true);
  seeds.startEpoch(0);
  const repeated = run(true);
  seeds.startEpoch(1);
  const nextEpoch = run(true);
  assert.notDeepEqual(second, first, "two batches drew the same dropout masks");
  assert.deepEqual(repeated, first);
  assert.notDeepEqual(nextEpoch, first);
  assert.ok(first.some((v) => v === 0), "dropout dropped nothing");
  assert.deepEqual(run(false), run(false), "inference is not deterministic");
  x.dispose();
  model.dispose();
});

Deno.test("a run saved before model.input existed loads as scaled and generates as before; a config that contradicts its model is refused", async () => {
  const dir = tempDir();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    for (const family of ["tutorial", "classic"] as const) {
      const runDir = join(dir, family);
      const over = { model: { input: "scaled" as const }, train: { epochs: 1 } };
      const tiny = family === "tutorial" ? tinyTutorial(data, over) : tinyClassic(data, over);
      (await trainRun(resolveConfig(tiny as DeepPartial<RunConfig>), { runDir })).model.dispose();
      const corpus = await readCorpus((await loadRun(runDir)).config);
      const before = await loadRun(runDir);
      const expected = generateMusic(before, corpus, { length: 12 }).notes;
      before.model.dispose();
      // The config.json an older version wrote: no model.input, embeddingSize or dropout.
      const path = join(runDir, "config.json");
      const saved = JSON.parse(await Deno.readTextFile(path));
      for (const key of ["input", "embeddingSize", "dropout"]) delete saved.model[key];
      await Deno.writeTextFile(path, JSON.stringify(saved));
      const notes: string[] = [];
      const old = await loadRun(runDir, { onRenamed: (n) => notes.push(n) });
      assert.equal(old.config.model.input, "scaled", family);
      assert.match(notes.join("\n"), /saved before model\.input existed/);
      assert.deepEqual(generateMusic(old, corpus, { length: 12 }).notes, expected, family);
      old.model.dispose();
      // A config that says "embedding" for a model that reads scaled input.
      saved.model.input = "embedding";
      await Deno.writeTextFile(path, JSON.stringify(saved));
      await assert.rejects(() => loadRun(runDir), /expected model\.input "embedding"/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
