import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { fusedLstm } from "../../lib/engine/fused_lstm.ts";
import { saveModel } from "../../lib/io/model_files.ts";
import { lockRunFolder } from "../../lib/io/run_folder.ts";
import { tempDir } from "../_helpers.ts";
import { runScript } from "../_tiny_runs.ts";

await tf.setBackend("cpu");

const UPGRADE = "lib/commands/upgrade_run.ts";

/** A run folder whose model folders are in the format before standard files (FusedLSTM). */
async function oldRunFolder(runDir: string): Promise<string[]> {
  const input = tf.input({ shape: [4, 1] });
  const output = fusedLstm({ units: 3, name: "lstm" }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  const folders = ["model", "checkpoints/ckpt-01-0.5000", "resume/epoch-0001"].map((f) =>
    join(runDir, f)
  );
  for (const dir of folders) {
    await saveModel(model, dir);
    const path = join(dir, "model.json");
    const text = Deno.readTextFileSync(path);
    Deno.writeTextFileSync(path, text.replace('"class_name":"LSTM"', '"class_name":"FusedLSTM"'));
  }
  model.dispose();
  return folders;
}

function weightFiles(dir: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.endsWith(".bin")) out[e.name] = Deno.readFileSync(join(dir, e.name));
  }
  return out;
}

Deno.test("upgrade-run rewrites every model.json of a run to the standard LSTM class and keeps the weights", async () => {
  const dir = tempDir();
  try {
    const runDir = join(dir, "old-run");
    const folders = await oldRunFolder(runDir);
    const before = folders.map(weightFiles);
    const result = await runScript(UPGRADE, [runDir]);
    assert.equal(result.code, 0, result.stderr);
    for (const [i, folder] of folders.entries()) {
      assert.ok(result.stdout.includes(`${folder}: 1 layer(s) rewritten`), result.stdout);
      const json = Deno.readTextFileSync(join(folder, "model.json"));
      assert.ok(json.includes('"class_name":"LSTM"') && !json.includes("FusedLSTM"));
      assert.deepEqual(weightFiles(folder), before[i], `${folder}: weights changed`);
    }
    const again = await runScript(UPGRADE, [runDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /model: standard already/);
    assert.deepEqual([...Deno.readDirSync(runDir)].map((e) => e.name).sort(), [
      "checkpoints",
      "model",
      "resume",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("upgrade-run refuses a run folder another writer holds, and a folder without models", async () => {
  const dir = tempDir();
  try {
    const runDir = join(dir, "busy-run");
    await oldRunFolder(runDir);
    const lock = await lockRunFolder(runDir, { command: "a training in the test" });
    try {
      const result = await runScript(UPGRADE, [runDir]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, new RegExp(`is in use: process ${Deno.pid} .*a training`));
      assert.ok(Deno.readTextFileSync(join(runDir, "model", "model.json")).includes("FusedLSTM"));
    } finally {
      await lock.release();
    }
    const empty = await runScript(UPGRADE, [join(dir, "nothing")]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no model folder/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
