import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import {
  classicLossSpec,
  generateFromClassicRun,
  loadClassicRun,
  readClassicTokens,
  trainClassic,
} from "../../lib/classic/run.ts";
import { classicLoss } from "../../lib/classic/model.ts";
import { learnTokenTiming } from "../../lib/classic/timing.ts";
import { defaultClassicConfig, resolveClassicConfig } from "../../lib/config/config.ts";
import { buildMidi } from "../_helpers.ts";
import { tinyClassic, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");

Deno.test("learnTokenTiming() takes each token's median step and duration from the files", () => {
  const dir = Deno.makeTempDirSync();
  try {
    // At 120 bpm a quarter note is 0.5 s. C4 is always followed after 1 beat and lasts 1 beat;
    // E4 follows after 2 beats (twice) or 4 (once) and lasts 2; G4 ends the piece.
    const notes = [
      { pitch: 60, start: 0, duration: 0.5 },
      { pitch: 64, start: 0.5, duration: 1 },
      { pitch: 60, start: 1.5, duration: 0.5 },
      { pitch: 64, start: 2, duration: 1 },
      { pitch: 60, start: 3, duration: 0.5 },
      { pitch: 64, start: 3.5, duration: 1 },
      { pitch: 67, start: 5.5, duration: 0.25 },
    ];
    Deno.writeFileSync(join(dir, "a.mid"), buildMidi([notes]));
    const config = resolveClassicConfig({ data: { dir } });
    const table = learnTokenTiming(config, [{ path: join(dir, "a.mid") }]);
    assert.deepEqual(table.stepBeats, { C4: 1, E4: 2 });
    assert.deepEqual(table.durationBeats, { C4: 1, E4: 2, G4: 0.5 });
    assert.equal(table.fallback.stepBeats, 1.5); // median of 1, 2, 1, 2, 1, 4
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test('generateFromClassicRun() with generate.timing "learned" plays each token with its learnt rhythm', async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    const config = resolveClassicConfig(
      tinyClassic(data, { generate: { timing: "learned", length: 20 } }),
    );
    const runDir = join(dir, "run");
    const trained = await trainClassic(config, { runDir });
    trained.model.dispose();
    const run = await loadClassicRun(runDir);
    assert.ok(run.timing, "the run folder holds timing.json");
    const music = generateFromClassicRun(run, { seedFrom: readClassicTokens(config).files });
    const starts = [...new Set(music.notes.map((n) => n.start))].sort((a, b) => a - b);
    const beat = 60 / config.generate.bpm;
    for (let i = 1; i < starts.length; i++) {
      const token = music.tokens![i - 1];
      const expected = (run.timing!.stepBeats[token] ?? run.timing!.fallback.stepBeats) * beat;
      assert.ok(Math.abs(starts[i] - starts[i - 1] - expected) < 1e-9, `step after ${token}`);
    }
    run.model.dispose();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("classicLossSpec() names classicLoss of model.ts, with the config", async () => {
  const config = defaultClassicConfig();
  const spec = classicLossSpec(config);
  const module = await import(spec.module);
  assert.equal(module[spec.name], classicLoss);
  assert.deepEqual(spec.args, [config]);
  assert.equal(spec.batchLoss, undefined);
});
