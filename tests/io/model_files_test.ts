import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/engine/backend.ts";
import {
  loadModel,
  loadOptimizerState,
  readModelMetadata,
  saveModel,
  saveOptimizerState,
  standardTopology,
} from "../../lib/io/model_files.ts";
import { fusedLstm } from "../../lib/engine/fused_lstm.ts";
import { tempDir } from "../_helpers.ts";
import {
  layerClasses,
  listFiles,
  patched,
  stackedInput,
  stackedLstmModel,
} from "./_model_fixtures.ts";

await selectBackend({ backend: "cpu" });

/** A tutorial-shaped model: [batch, 5, 3] -> LSTM(8) -> pitch / step / duration heads. */
function threeHeadModel(): tf.LayersModel {
  const input = tf.input({ shape: [5, 3], name: "notes" });
  const h = tf.layers.lstm({ units: 8 }).apply(input) as tf.SymbolicTensor;
  const heads = [["pitch", 16], ["step", 1], ["duration", 1]] as const;
  const outputs = heads.map(([name, units]) =>
    tf.layers.dense({ units, name }).apply(h) as tf.SymbolicTensor
  );
  return tf.model({ inputs: input, outputs });
}

function fixedInput(): tf.Tensor {
  return tf.tensor3d(Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.sin(i)), [2, 5, 3]);
}

function predictValues(model: tf.LayersModel): number[][] {
  return tf.tidy(() => {
    const out = model.predict(fixedInput()) as tf.Tensor[];
    return out.map((t) => Array.from(t.dataSync()));
  });
}

Deno.test("saveModel() then loadModel() gives identical predictions for a three-output model", async () => {
  const dir = tempDir();
  try {
    const model = threeHeadModel();
    const result = await saveModel(model, join(dir, "ckpt"));
    assert.equal(result.modelJsonPath, join(dir, "ckpt", "model.json"));
    assert.match(result.weightsPath, /weights\.[0-9a-f]{12}\.bin$/);
    assert.equal(result.info.weightDataBytes, Deno.statSync(result.weightsPath).size);
    const loaded = await loadModel(join(dir, "ckpt"));
    assert.deepEqual(loaded.outputNames, model.outputNames);
    assert.deepEqual(predictValues(loaded), predictValues(model));
    const json = JSON.parse(Deno.readTextFileSync(result.modelJsonPath));
    assert.equal(json.format, "layers-model");
    assert.ok(json.modelTopology);
    assert.deepEqual(json.weightsManifest[0].paths, [result.weightsPath.split("/").pop()]);
    model.dispose();
    loaded.dispose();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("saveModel() stores metadata in model.json and writes side files", async () => {
  const dir = tempDir();
  try {
    const model = threeHeadModel();
    await saveModel(model, dir, {
      metadata: { config: { seqLength: 5 }, vocabulary: ["C4", "D4"] },
      sideFiles: { "config.json": { seqLength: 5 } },
    });
    assert.deepEqual(await readModelMetadata(dir), {
      config: { seqLength: 5 },
      vocabulary: ["C4", "D4"],
    });
    assert.deepEqual(JSON.parse(Deno.readTextFileSync(join(dir, "config.json"))), {
      seqLength: 5,
    });
    const loaded = await loadModel(dir);
    assert.deepEqual(loaded.getUserDefinedMetadata(), await readModelMetadata(dir));
    model.dispose();
    loaded.dispose();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("saveModel() rejects side file names that are paths or model files", async () => {
  const dir = tempDir();
  const model = threeHeadModel();
  try {
    await assert.rejects(saveModel(model, dir, { sideFiles: { "../x.json": 1 } }), /plain file/);
    await assert.rejects(saveModel(model, dir, { sideFiles: { "model.json": 1 } }), /overwrite/);
  } finally {
    model.dispose();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("saveModel() over an earlier save keeps only the new weights file", async () => {
  const dir = tempDir();
  try {
    const first = threeHeadModel();
    const second = threeHeadModel();
    const a = await saveModel(first, dir);
    const b = await saveModel(second, dir);
    assert.notEqual(a.weightsPath, b.weightsPath);
    assert.deepEqual(listFiles(dir), ["model.json", b.weightsPath.split("/").pop()!].sort());
    const loaded = await loadModel(dir);
    assert.deepEqual(predictValues(loaded), predictValues(second));
    [first, second, loaded].forEach((m) => m.dispose());
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("saveModel() interrupted before model.json is replaced leaves the old checkpoint loadable", async () => {
  const dir = tempDir();
  try {
    const old = threeHeadModel();
    await saveModel(old, dir);
    const expected = predictValues(old);
    const newer = threeHeadModel();
    const rename = Deno.rename;
    const failingRename = (from: string | URL, to: string | URL) =>
      String(to).endsWith("model.json")
        ? Promise.reject(new Error("simulated kill"))
        : rename(from, to);
    await assert.rejects(
      patched(Deno, "rename", failingRename, () => saveModel(newer, dir)),
      /simulated kill/,
    );
    const loaded = await loadModel(dir);
    assert.deepEqual(predictValues(loaded), expected);
    [old, newer, loaded].forEach((m) => m.dispose());
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("loadModel() on a missing folder names the folder", async () => {
  const dir = join(tempDir(), "no-such-checkpoint");
  try {
    await assert.rejects(loadModel(dir), (error: Error) => {
      assert.ok(error.message.includes(dir), error.message);
      assert.match(error.message, /does not exist/);
      return true;
    });
  } finally {
    Deno.removeSync(join(dir, ".."), { recursive: true });
  }
});

Deno.test("loadModel() names a missing weights file and a folder without model.json", async () => {
  const dir = tempDir();
  try {
    await assert.rejects(loadModel(dir), /model\.json" does not exist/);
    const model = threeHeadModel();
    const { weightsPath } = await saveModel(model, dir);
    Deno.removeSync(weightsPath);
    await assert.rejects(loadModel(dir), (error: Error) => {
      assert.ok(error.message.includes(weightsPath), error.message);
      return true;
    });
    model.dispose();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** A custom layer: multiplies its input by one learned scalar. */
class ScaleForIoTest extends tf.layers.Layer {
  static className = "ScaleForIoTest";
  scale!: tf.LayerVariable;
  override build(): void {
    this.scale = this.addWeight("scale", [], "float32", tf.initializers.constant({ value: 2.5 }));
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.mul(x, this.scale.read());
  }
}

Deno.test("loadModel() needs custom layer classes registered, and registers those in classes", async () => {
  const dir = tempDir();
  try {
    const input = tf.input({ shape: [3] });
    const output = new ScaleForIoTest({}).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    await saveModel(model, dir);
    await assert.rejects(loadModel(dir), (error: Error) => {
      assert.ok(error.message.includes(dir), error.message);
      assert.match(error.message, /ScaleForIoTest/);
      return true;
    });
    const loaded = await loadModel(dir, { classes: [ScaleForIoTest] });
    const x = tf.tensor2d([[1, 2, 3]]);
    assert.deepEqual(
      Array.from((loaded.predict(x) as tf.Tensor).dataSync()),
      Array.from((model.predict(x) as tf.Tensor).dataSync()),
    );
    model.dispose();
    loaded.dispose();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("saveOptimizerState() and loadOptimizerState() round-trip Adam's step and moments", async () => {
  const dir = tempDir();
  try {
    const model = threeHeadModel();
    const optimizer = tf.train.adam(0.01);
    model.compile({
      optimizer,
      loss: ["meanSquaredError", "meanSquaredError", "meanSquaredError"],
    });
    const x = fixedInput();
    const ys = [tf.ones([2, 16]), tf.ones([2, 1]), tf.zeros([2, 1])];
    await model.trainOnBatch(x, ys);
    await model.trainOnBatch(x, ys);
    const tensorsBefore = tf.memory().numTensors;
    await saveOptimizerState(optimizer, dir);
    assert.equal(tf.memory().numTensors, tensorsBefore, "saving leaks no tensors");

    const restored = tf.train.adam(0.01);
    await loadOptimizerState(restored, dir);
    const want = await optimizer.getWeights();
    const got = await restored.getWeights();
    assert.equal(got.length, want.length);
    assert.ok(want.length > 2, "Adam has moment estimates after training");
    for (let i = 0; i < want.length; i++) {
      assert.equal(got[i].name, want[i].name);
      assert.deepEqual(Array.from(got[i].tensor.dataSync()), Array.from(want[i].tensor.dataSync()));
    }
    assert.equal(got[0].tensor.dataSync()[0], 2, "two steps taken");

    await assert.rejects(loadOptimizerState(tf.train.sgd(0.1), dir), (error: Error) => {
      assert.ok(error.message.includes(join(dir, "optimizer.json")), error.message);
      assert.match(error.message, /Adam/);
      assert.match(error.message, /SGD/);
      return true;
    });
    tf.dispose([x, ...ys]);
    model.dispose();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a fused-LSTM model saves exactly as the same tf.layers.lstm model: class LSTM, same config, weight names and bytes", async () => {
  const dir = tempDir();
  try {
    const fused = stackedLstmModel("fused");
    const plain = stackedLstmModel("layers");
    fused.setWeights(fused.getWeights().map((w) => tf.randomNormal(w.shape, 0, 0.5, "float32", 7)));
    plain.setWeights(fused.getWeights());
    assert.deepEqual(layerClasses(fused).slice(1, 3), ["FusedLSTM", "FusedLSTM"]);
    await saveModel(fused, join(dir, "fused"));
    await saveModel(plain, join(dir, "plain"));
    const read = (name: string) =>
      JSON.parse(Deno.readTextFileSync(join(dir, name, "model.json"))) as tf.io.ModelJSON;
    const [a, b] = [read("fused"), read("plain")];
    assert.deepEqual(a.modelTopology, b.modelTopology);
    assert.deepEqual(a.weightsManifest, b.weightsManifest);
    assert.deepEqual(
      a.weightsManifest[0].weights.slice(0, 3).map((w) => w.name),
      ["lstm_1/kernel", "lstm_1/recurrent_kernel", "lstm_1/bias"],
    );
    assert.ok(!JSON.stringify(a).includes("FusedLSTM"));
    const bytes = (name: string, m: tf.io.ModelJSON) =>
      Deno.readFileSync(join(dir, name, m.weightsManifest[0].paths[0]));
    assert.deepEqual(bytes("fused", a), bytes("plain", b));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModel() builds the LSTMs as options.lstm or the saved config.lstm says, with the same predictions", async () => {
  const dir = tempDir();
  try {
    const model = stackedLstmModel("fused");
    const expected = tf.tidy(() =>
      Array.from((model.predict(stackedInput()) as tf.Tensor).dataSync())
    );
    await saveModel(model, join(dir, "fused-run"), { metadata: { config: { lstm: "fused" } } });
    await saveModel(model, join(dir, "layers-run"), { metadata: { config: { lstm: "layers" } } });
    await saveModel(model, join(dir, "bare"));
    const cases: Array<[string, "fused" | "layers" | undefined, string]> = [
      ["fused-run", undefined, "FusedLSTM"],
      ["layers-run", undefined, "LSTM"],
      ["bare", undefined, "LSTM"],
      ["bare", "fused", "FusedLSTM"],
      ["fused-run", "layers", "LSTM"],
    ];
    for (const [name, lstm, className] of cases) {
      const loaded = await loadModel(join(dir, name), { lstm });
      assert.deepEqual(layerClasses(loaded).slice(1, 3), [className, className], `${name} ${lstm}`);
      const got = tf.tidy(() =>
        Array.from((loaded.predict(stackedInput()) as tf.Tensor).dataSync())
      );
      got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${name} ${lstm}: ${i}`));
      loaded.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("standardTopology() renames FusedLSTM in nested models and leaves the input unchanged", () => {
  const inner = tf.sequential({
    layers: [fusedLstm({ units: 2, inputShape: [3, 1], name: "inner_lstm" })],
    name: "inner",
  });
  const input = tf.input({ shape: [3, 1] });
  const outer = tf.model({ inputs: input, outputs: inner.apply(input) as tf.SymbolicTensor });
  const topology = outer.toJSON(null, false) as object;
  const before = JSON.stringify(topology);
  const { topology: standard, renamed } = standardTopology(topology);
  assert.equal(renamed, 1);
  assert.equal(JSON.stringify(topology), before);
  assert.equal(JSON.stringify(standard), before.replace('"FusedLSTM"', '"LSTM"'));
});
