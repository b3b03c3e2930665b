/**
 * Plain TensorFlow.js (a subprocess that imports only `npm:@tensorflow/tfjs`, see
 * `_plain_tfjs_predict.ts`) loads the shipped pretrained models and freshly trained runs of
 * both families, checkpoints and resumable state included, and predicts what the project
 * predicts with the same files (where the LSTMs are the fused layer again).
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type DeepPartial, resolveConfig, type RunConfig } from "../../lib/config/config.ts";
import { loadModel } from "../../lib/io/model_files.ts";
import { runModelFolders } from "../../lib/io/run_folder.ts";
import { loadRun, trainRun } from "../../lib/workflow/workflow.ts";
import { tempDir } from "../_helpers.ts";
import { denoRunArgs, ROOT, tinyClassic, tinyTutorial, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");

/** Largest difference allowed between the project's and plain tfjs's predictions. */
const TOLERANCE = 1e-5;

/** One input tensor as plain data. */
type PlainInput = { shape: number[]; values: number[] };

/**
 * A fixed input for each of a model's inputs: batch 1, values in [0, 1) spread over the window,
 * or small ids (0..2) for an input `[batch, time]` that an Embedding reads.
 */
function fixedInput(model: tf.LayersModel): PlainInput[] {
  return model.inputs.map((input) => {
    const shape = [1, ...input.shape.slice(1) as number[]];
    const size = shape.reduce((a, b) => a * b, 1);
    const ids = input.shape.length === 2;
    const values = Array.from({ length: size }, (_, i) => ids ? i % 3 : ((i * 37) % 101) / 101);
    return { shape, values };
  });
}

/** What plain TensorFlow.js, in its own process, makes of a model folder. */
async function plainPredict(
  modelDir: string,
  input: PlainInput[],
): Promise<{ classes: string[]; outputs: number[][] }> {
  const inputPath = join(await Deno.makeTempDir({ prefix: "plain-tfjs-" }), "input.json");
  await Deno.writeTextFile(inputPath, JSON.stringify(input));
  const out = await new Deno.Command(Deno.execPath(), {
    args: denoRunArgs("tests/io/_plain_tfjs_predict.ts", [resolve(ROOT, modelDir), inputPath]),
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `plain tfjs could not load ${modelDir}:\n${stderr}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

function projectPredict(model: tf.LayersModel, input: PlainInput[]) {
  return tf.tidy(() => {
    const predicted = model.predict(input.map((x) => tf.tensor(x.values, x.shape)));
    return (Array.isArray(predicted) ? predicted : [predicted]).map((t) =>
      Array.from(t.dataSync())
    );
  });
}

/** Asserts that plain tfjs loads `modelDir` as standard layers and predicts as `model` does. */
async function assertPlainMatches(model: tf.LayersModel, modelDir: string): Promise<void> {
  const input = fixedInput(model);
  const plain = await plainPredict(modelDir, input);
  assert.ok(plain.classes.includes("LSTM"), `${modelDir}: layers ${plain.classes}`);
  assert.ok(!plain.classes.includes("FusedLSTM"), `${modelDir}: layers ${plain.classes}`);
  const ours = projectPredict(model, input);
  assert.equal(plain.outputs.length, ours.length, `${modelDir}: number of outputs`);
  ours.forEach((values, o) => {
    assert.equal(plain.outputs[o].length, values.length, `${modelDir}: output ${o} size`);
    let worst = 0;
    values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - plain.outputs[o][i]))));
    assert.ok(worst <= TOLERANCE, `${modelDir}: output ${o} differs by up to ${worst}`);
  });
}

for (const family of ["tutorial", "classic"] as const) {
  Deno.test(`plain tfjs loads the shipped pretrained-${family} model and predicts as the project`, async () => {
    const runDir = join("weights", `pretrained-${family}`);
    const run = await loadRun(join(ROOT, runDir));
    try {
      assert.equal(run.config.lstm, "fused");
      const classes = run.model.layers.map((l) => l.getClassName());
      assert.ok(classes.includes("FusedLSTM"), `the project put back the fused layer: ${classes}`);
      const text = await Deno.readTextFile(join(ROOT, runDir, "model", "model.json"));
      assert.ok(!text.includes("FusedLSTM"), "the shipped model.json names FusedLSTM");
      await assertPlainMatches(run.model, join(runDir, "model"));
    } finally {
      run.model.dispose();
    }
  });

  Deno.test(`plain tfjs loads a freshly trained fused ${family} run: model, checkpoints and resume state`, async () => {
    const dir = tempDir();
    try {
      const data = writeTinyCorpus(join(dir, "data"));
      const tiny = family === "tutorial" ? tinyTutorial : tinyClassic;
      const config = resolveConfig(
        tiny(data, { lstm: "fused", train: { epochs: 2 } }) as DeepPartial<RunConfig>,
      );
      const runDir = join(dir, "run");
      const trained = await trainRun(config, { runDir });
      trained.model.dispose();
      const run = await loadRun(runDir);
      try {
        assert.ok(run.model.layers.some((l) => l.getClassName() === "FusedLSTM"));
        await assertPlainMatches(run.model, join(runDir, "model"));
      } finally {
        run.model.dispose();
      }
      const folders = await runModelFolders(runDir);
      const checkpoints = folders.filter((f) => f.includes("checkpoints"));
      const resume = folders.filter((f) => f.includes("resume"));
      assert.ok(checkpoints.length >= 1 && resume.length >= 1, `model folders: ${folders}`);
      for (const modelDir of [...checkpoints, ...resume]) {
        const text = await Deno.readTextFile(join(modelDir, "model.json"));
        assert.ok(!text.includes("FusedLSTM"), `${modelDir}/model.json names FusedLSTM`);
        const model = await loadModel(modelDir, { lstm: "fused" });
        try {
          await assertPlainMatches(model, modelDir);
        } finally {
          model.dispose();
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
