import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync } from "node:fs";
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
import { selectBackend } from "../../lib/engine/backend.ts";
import { tempDir } from "../_helpers.ts";
import {
  denoRunArgs,
  ROOT,
  runScript,
  tinyClassic,
  tinyTutorial,
  writeJson,
  writeTinyCorpus,
} from "../_tiny_runs.ts";

await tf.setBackend("cpu");
// As the train CLI does (its runs are compared with this process's): the LSTM's products on
// the system's BLAS when there is one.
await selectBackend({ backend: "cpu" });

/** Trains (or resumes) a run in this process; returns history, final weights and MIDI. */
async function train(overrides: DeepPartial<RunConfig>, runDir: string, resume = false) {
  const config = resolveConfig(overrides);
  const run = await trainRun(config, { runDir, resume });
  const weights = run.model.getWeights().map((w) => Array.from(w.dataSync()));
  const midi = notesToMidi(generateMusic(run, readCorpus(config)).notes, midiOptionsFor(config));
  run.model.dispose();
  return { history: run.history!, weights, midi, result: run.result };
}

/** Checks that every checkpoint, the resume state and the final model of a run load. */
async function assertRunLoads(runDir: string): Promise<void> {
  const checkpoints = join(runDir, "checkpoints");
  for await (const entry of Deno.readDir(checkpoints)) {
    if (entry.isDirectory) (await loadModel(join(checkpoints, entry.name))).dispose();
  }
  const latest = JSON.parse(await Deno.readTextFile(join(checkpoints, "latest.json")));
  (await loadModel(join(checkpoints, latest.checkpoint))).dispose();
  const state = (await readTrainState(join(runDir, "resume")))!;
  (await loadModel(join(runDir, "resume", state.last))).dispose();
  (await loadRun(runDir)).model.dispose();
}

const readHistory = async (runDir: string) =>
  JSON.parse(await Deno.readTextFile(join(runDir, "history.json")));

for (const family of ["tutorial", "classic"] as const) {
  Deno.test(`${family}: a run resumed after epoch 1 continues bit for bit like an uninterrupted one`, async () => {
    const dir = tempDir();
    try {
      const data = writeTinyCorpus(join(dir, "data"));
      const tiny = (epochs: number) =>
        (family === "tutorial" ? tinyTutorial : tinyClassic)(data, { train: { epochs } });
      const whole = await train(tiny(4), join(dir, "whole"));
      const first = await train(tiny(1), join(dir, "resumed"));
      assert.deepEqual(first.history.epoch, [1]);
      const resumed = await train(tiny(4), join(dir, "resumed"), true);
      assert.equal(resumed.result.initialEpoch, 1);
      assert.deepEqual(resumed.history.epoch, [1, 2, 3, 4]);
      assert.deepEqual(resumed.history, whole.history);
      assert.deepEqual(resumed.weights, whole.weights);
      assert.deepEqual(resumed.midi, whole.midi);
      const sessions = (await readRunProvenance(join(dir, "resumed")))!.sessions;
      assert.deepEqual(sessions.map((s) => s.fromEpoch), [0, 1]);
      await assertRunLoads(join(dir, "resumed"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("trainRun() with resume refuses a changed setting, naming it, and starts afresh without a saved epoch", async () => {
  const dir = tempDir();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    const runDir = join(dir, "run");
    await train(tinyTutorial(data, { train: { epochs: 1 } }), runDir);
    await assert.rejects(
      () => train(tinyTutorial(data, { model: { lstmUnits: 13 } }), runDir, true),
      /model\.lstmUnits \(saved 12, now 13\)/,
    );
    await assert.rejects(
      () => train(tinyClassic(data), runDir, true),
      /resume: run .* is a tutorial-family run/,
    );
    const fresh = await train(tinyTutorial(data, { train: { epochs: 2 } }), join(dir, "new"), true);
    assert.deepEqual(fresh.history.epoch, [1, 2]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train CLI killed with SIGKILL mid-run continues with --resume and completes every epoch", async () => {
  const dir = tempDir();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    const overrides = tinyTutorial(data, { train: { epochs: 8, maxBatchesPerEpoch: 12 } });
    const configPath = writeJson(dir, "config.json", overrides);
    const runDir = join(dir, "run");
    const child = new Deno.Command(Deno.execPath(), {
      args: denoRunArgs("lib/commands/train.ts", ["--config", configPath, "--run-dir", runDir]),
      cwd: ROOT,
      stdout: "null",
      stderr: "null",
    }).spawn();
    let epochsAtKill = 0;
    let exited = false;
    child.status.then(() => exited = true);
    while (!exited) {
      try {
        epochsAtKill = (await readHistory(runDir)).epoch.length;
      } catch { /* not written yet */ }
      if (epochsAtKill >= 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!exited) child.kill("SIGKILL");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL", "the run ended before it could be killed");
    assert.ok(epochsAtKill >= 1 && epochsAtKill < 8, `killed after ${epochsAtKill} epochs`);

    const resumed = await runScript("lib/commands/train.ts", ["--resume", "--run-dir", runDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /resuming after epoch \d/);
    const history = await readHistory(runDir);
    assert.deepEqual(history.epoch, [1, 2, 3, 4, 5, 6, 7, 8]);
    const reference = await train(overrides, join(dir, "reference"));
    assert.deepEqual(history, reference.history);
    await assertRunLoads(runDir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a crash half-way through a checkpoint or the resume state leaves the last good one loadable and resumable", async () => {
  const dir = tempDir();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    // Watching the training loss, every epoch improves and writes a checkpoint to crash in.
    const overrides = tinyClassic(data, { train: { epochs: 4, monitor: "loss" } });
    const configPath = writeJson(dir, "config.json", overrides);
    const reference = await train(overrides, join(dir, "reference"));
    const crashes = [
      // the new checkpoint's weights are in place, its model.json is not
      { rename: "/checkpoints/[^/]*-0[2-9]-[^/]*/model\\.json$", skip: 0, lastGood: 1 },
      // the optimizer state of epoch 2 is half written
      { rename: "/resume/epoch-0002/optimizer\\.json$", skip: 0, lastGood: 1 },
      // state.json of epoch 3 is about to replace that of epoch 2
      { rename: "/resume/state\\.json$", skip: 2, lastGood: 2 },
    ];
    for (const [i, crash] of crashes.entries()) {
      const runDir = join(dir, `run-${i}`);
      const crashed = await runScript(
        "tests/_crash_train.ts",
        ["--config", configPath, "--run-dir", runDir],
        { MIDI_LSTM_TEST_CRASH_RENAME: crash.rename, MIDI_LSTM_TEST_CRASH_SKIP: `${crash.skip}` },
      );
      assert.equal(crashed.code, 137, `crash ${crash.rename} did not happen: ${crashed.stderr}`);
      const state = (await readTrainState(join(runDir, "resume")))!;
      assert.equal(state.epochsDone, crash.lastGood, crash.rename);
      (await loadModel(join(runDir, "resume", state.last))).dispose();
      const latest = JSON.parse(
        await Deno.readTextFile(join(runDir, "checkpoints", "latest.json")),
      );
      (await loadModel(join(runDir, "checkpoints", latest.checkpoint))).dispose();
      if (i === 0) {
        // The crash hit between the new checkpoint's weights file and its model.json.
        const folders = [...Deno.readDirSync(join(runDir, "checkpoints"))]
          .filter((e) => e.isDirectory).map((e) => join(runDir, "checkpoints", e.name));
        const half = folders.filter((f) => !existsSync(join(f, "model.json")));
        assert.equal(half.length, 1, `expected one half-written checkpoint in ${folders}`);
        assert.ok([...Deno.readDirSync(half[0])].some((e) => /^weights\..*\.bin$/.test(e.name)));
      }

      const resumed = await runScript("lib/commands/train.ts", ["--resume", "--run-dir", runDir]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(await readHistory(runDir), reference.history, crash.rename);
      await assertRunLoads(runDir);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
