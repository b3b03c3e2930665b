/**
 * The run folder's lock around training (beginRun / finishRun / runTrainOptions), for both
 * families: held while training, refused to a second writer in this or another process,
 * released after finishing and after an error, taken over after a kill.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type DeepPartial, resolveConfig, type RunConfig } from "../../lib/config/config.ts";
import { readRunLock } from "../../lib/io/run_folder.ts";
import { trainRun } from "../../lib/workflow/workflow.ts";
import { tempDir } from "../_helpers.ts";
import { startScript } from "../_child_process.ts";
import { runScript, tinyClassic, tinyTutorial, writeJson, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");

const TRAIN = "lib/commands/train.ts";
const dir = tempDir();
const data = writeTinyCorpus(join(dir, "data"));

function tinyConfig(family: "tutorial" | "classic"): DeepPartial<RunConfig> {
  return (family === "tutorial" ? tinyTutorial : tinyClassic)(data, {
    train: { epochs: 2 },
  }) as DeepPartial<RunConfig>;
}

for (const family of ["tutorial", "classic"] as const) {
  Deno.test(`${family}: training holds the run folder's lock, refuses a second call into it, and releases it at the end`, async () => {
    const runDir = join(dir, `${family}-held`);
    const config = resolveConfig(tinyConfig(family));
    const seen: Array<{ pid?: number; refused?: string }> = [];
    const run = await trainRun(config, {
      runDir,
      onEpochEnd: async (info) => {
        if (info.epoch !== 0) return;
        const holder = await readRunLock(runDir);
        const second = await trainRun(config, { runDir }).then(
          (r) => (r.model.dispose(), "granted"),
          (e: Error) => e.message,
        );
        seen.push({ pid: holder?.pid, refused: second });
      },
    });
    run.model.dispose();
    assert.equal(seen.length, 1);
    assert.equal(seen[0].pid, Deno.pid);
    assert.ok(seen[0].refused!.includes(runDir), seen[0].refused);
    assert.match(seen[0].refused!, new RegExp(`process ${Deno.pid} on host .*another call`));
    assert.equal(await readRunLock(runDir), null, "the lock outlived the run");
    assert.equal(run.history!.loss.length, 2, "the refused call disturbed the run");
  });

  Deno.test(`${family}: a training that throws releases the lock, so the folder can be trained again`, async () => {
    const runDir = join(dir, `${family}-thrown`);
    const config = resolveConfig(tinyConfig(family));
    await assert.rejects(
      trainRun(config, {
        runDir,
        onEpochEnd: () => {
          throw new Error("stop here");
        },
      }),
      /stop here/,
    );
    assert.equal(await readRunLock(runDir), null);
    const again = await trainRun(config, { runDir });
    again.model.dispose();
    assert.equal(await readRunLock(runDir), null);
  });
}

Deno.test("two processes cannot train the same folder; a killed trainer's lock is taken over by --resume", async () => {
  const runDir = join(dir, "two-processes");
  const configPath = writeJson(dir, "two-processes.json", tinyConfig("tutorial"));
  const first = startScript("tests/train/_train_and_wait.ts", [configPath, runDir]);
  try {
    const pid = Number((await first.waitFor(/^training \d+$/)).split(" ")[1]);
    assert.equal((await readRunLock(runDir))?.pid, pid);

    for (const args of [["--config", configPath], ["--resume"]]) {
      const second = await runScript(TRAIN, [...args, "--run-dir", runDir]);
      assert.notEqual(second.code, 0, `second trainer ${args} was let in:\n${second.stdout}`);
      assert.ok(second.stderr.includes(runDir), second.stderr);
      assert.match(second.stderr, new RegExp(`is in use: process ${pid} on host `));
      assert.match(second.stderr, /_train_and_wait\.ts/, "the message names the holder's command");
    }
    const done = await first.finish();
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^finished$/m);
    assert.equal(await readRunLock(runDir), null);

    // A trainer killed mid-run leaves its lock; resuming takes it over.
    const killed = startScript("tests/train/_train_and_wait.ts", [configPath, runDir]);
    const killedPid = Number((await killed.waitFor(/^training \d+$/)).split(" ")[1]);
    killed.process.kill("SIGKILL");
    await killed.finish();
    assert.equal((await readRunLock(runDir))?.pid, killedPid);
    const resumed = await runScript(TRAIN, ["--resume", "--run-dir", runDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(await readRunLock(runDir), null);
  } finally {
    await first.finish();
  }
});

Deno.test({
  name: "run_steps tests: clean up",
  fn: async () => {
    await Deno.remove(dir, { recursive: true });
  },
});
