import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type DeepPartial, resolveConfig, type RunConfig } from "../../lib/config/config.ts";
import { readTrainState } from "../../lib/train/resume.ts";
import { loadRun, trainRun } from "../../lib/workflow/workflow.ts";
import { selectBackend } from "../../lib/engine/backend.ts";
import { tempDir } from "../_helpers.ts";
import { startScript } from "../_child_process.ts";
import { runScript, tinyTutorial, writeJson, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");
// As the train CLI does (its runs are compared with this process's).
await selectBackend({ backend: "cpu" });

const readHistory = async (runDir: string) =>
  JSON.parse(await Deno.readTextFile(join(runDir, "history.json")));

Deno.test("train CLI stops at the next batch on Ctrl-C (SIGINT), exits 0 saying how to resume, and --resume continues exactly", async () => {
  const dir = tempDir();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    // Far more epochs than can run before the signal arrives.
    const overrides = tinyTutorial(data, { train: { epochs: 1000, maxBatchesPerEpoch: 12 } });
    const configPath = writeJson(dir, "config.json", overrides);
    const runDir = join(dir, "run");
    const child = startScript("lib/commands/train.ts", [
      "--config",
      configPath,
      "--run-dir",
      runDir,
    ]);
    // Piped output prints the run's first batch at once (then a line every 15 s at most).
    await child.waitFor(/^epoch +1\/1000 \[[#-]+\] batch +1\/12 +loss \d/);
    child.process.kill("SIGINT");
    const stopped = await child.finish();
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /Ctrl-C: stopping at the next batch/);
    assert.match(stopped.stdout, /stopped by Ctrl-C (during|after) epoch \d+/);
    assert.match(
      stopped.stdout,
      new RegExp(`continue with: deno task train --resume --run-dir ${runDir}`),
    );
    const kept = (await readHistory(runDir)).epoch.length;
    assert.ok(kept < 1000, `${kept} epochs before the stop`);
    assert.equal((await readTrainState(join(runDir, "resume")))?.epochsDone ?? 0, kept);

    // Continue for two more epochs than were kept: the same as a run never stopped.
    const epochs = kept + 2;
    const resumed = await runScript("lib/commands/train.ts", [
      "--resume",
      "--run-dir",
      runDir,
      "--epochs",
      String(epochs),
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.doesNotMatch(resumed.stdout, /stopped by/);
    const history = await readHistory(runDir);
    assert.deepEqual(history.epoch, Array.from({ length: epochs }, (_, i) => i + 1));
    const config = resolveConfig({
      ...overrides,
      train: { ...overrides.train, epochs },
    } as DeepPartial<RunConfig>);
    const reference = await trainRun(config, { runDir: join(dir, "reference") });
    reference.model.dispose();
    assert.deepEqual(history, reference.history);
    (await loadRun(runDir)).model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train CLI --max-minutes stops the run as Ctrl-C does, and --resume may lift the budget", async () => {
  const dir = tempDir();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    const configPath = writeJson(dir, "config.json", tinyTutorial(data));
    const runDir = join(dir, "run");
    // A budget shorter than any batch.
    const stopped = await runScript("lib/commands/train.ts", [
      "--config",
      configPath,
      "--run-dir",
      runDir,
      "--max-minutes",
      "0.000000001",
    ]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped by the time budget \(train\.maxMinutes 1e-9\)/);
    assert.match(stopped.stdout, /no epoch finished, so there is no model yet/);
    const saved = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
    assert.equal(saved.train.maxMinutes, 1e-9);

    const resumed = await runScript("lib/commands/train.ts", [
      "--resume",
      "--run-dir",
      runDir,
      "--max-minutes",
      "none",
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual((await readHistory(runDir)).epoch, [1, 2, 3]);
    const bad = await runScript("lib/commands/train.ts", [
      "--resume",
      "--run-dir",
      runDir,
      "--max-minutes=-1",
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /train\.maxMinutes: expected null \(no time budget\) or a number/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
