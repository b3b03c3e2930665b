import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { registerFileRouters } from "../../lib/io/file_router.ts";
import { loadModel } from "../../lib/io/model_files.ts";
import { tempDir } from "../_helpers.ts";
import { listFiles } from "./_model_fixtures.ts";
import { denoRunArgs, ROOT } from "../_tiny_runs.ts";

await tf.setBackend("cpu");
registerFileRouters();

/** A tiny model: [batch, 4, 2] -> LSTM(3) -> Dense(2). */
function tinyModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: 3, inputShape: [4, 2] }));
  model.add(tf.layers.dense({ units: 2 }));
  return model;
}

function predictValues(model: tf.LayersModel): number[] {
  return tf.tidy(() => {
    const x = tf.tensor3d(Array.from({ length: 2 * 4 * 2 }, (_, i) => Math.cos(i)), [2, 4, 2]);
    return Array.from((model.predict(x) as tf.Tensor).dataSync());
  });
}

function weightValues(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

Deno.test("model.save(file://dir) writes a standard folder that tf.loadLayersModel(file://dir/model.json) loads", async () => {
  const dir = join(tempDir(), "saved");
  try {
    const model = tinyModel();
    const result = await model.save(`file://${dir}`);
    assert.ok((result.modelArtifactsInfo.weightDataBytes ?? 0) > 0);
    const files = listFiles(dir);
    assert.equal(files.length, 2, `files: ${files}`);
    assert.deepEqual(files[0], "model.json");
    assert.match(files[1], /^weights\.[0-9a-f]{12}\.bin$/);
    const json = JSON.parse(Deno.readTextFileSync(join(dir, "model.json")));
    assert.equal(json.format, "layers-model");
    assert.deepEqual(json.weightsManifest.map((g: { paths: string[] }) => g.paths), [[files[1]]]);

    const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
    assert.deepEqual(weightValues(loaded), weightValues(model));
    assert.deepEqual(predictValues(loaded), predictValues(model));
    // The project's own loader reads the same folder.
    const again = await loadModel(dir);
    assert.deepEqual(predictValues(again), predictValues(model));
  } finally {
    await Deno.remove(dirname(dir), { recursive: true });
  }
});

Deno.test("tf.loadLayersModel(file://...) loads a folder as tfjs-node writes it (weights.bin)", async () => {
  const root = tempDir();
  try {
    const model = tinyModel();
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!));
      await Deno.writeFile(join(root, "weights.bin"), weights);
      await Deno.writeTextFile(
        join(root, "model.json"),
        JSON.stringify({
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: null,
          weightsManifest: [{ paths: ["./weights.bin"], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }));
    const loaded = await tf.loadLayersModel(`file://${root}/model.json`);
    assert.deepEqual(predictValues(loaded), predictValues(model));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("file:// URLs take relative paths, and a load may name the folder", async () => {
  const root = tempDir();
  try {
    const dir = relative(Deno.cwd(), join(root, "rel"));
    assert.ok(!dir.startsWith("/"), dir);
    const model = tinyModel();
    await model.save(`file://${dir}`);
    assert.ok(Deno.statSync(join(root, "rel", "model.json")).isFile);
    const loaded = await tf.loadLayersModel(`file://${dir}`);
    assert.deepEqual(predictValues(loaded), predictValues(model));
    // Saving again replaces the weights file instead of adding one.
    model.layers[1].setWeights(model.layers[1].getWeights().map((w) => tf.onesLike(w)));
    await model.save(`file://${resolve(root, "rel")}`);
    assert.equal([...Deno.readDirSync(join(root, "rel"))].length, 2);
    const reloaded = await tf.loadLayersModel(`file://${dir}/model.json`);
    assert.deepEqual(predictValues(reloaded), predictValues(model));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("file:// routers name a missing model, a .json save target and an empty path", async () => {
  const root = tempDir();
  try {
    await assert.rejects(
      () => tf.loadLayersModel(`file://${root}/nothing/model.json`),
      /nothing.*does not exist/,
    );
    await assert.rejects(
      () => tinyModel().save(`file://${root}/model.json`),
      /expected a folder to save into/,
    );
    assert.throws(() => tf.io.getSaveHandlers("file://"), /expected a path after "file:\/\/"/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("registerFileRouters() registers once, also from a second copy of the module, and leaves other schemes alone", async () => {
  assert.equal(registerFileRouters(), false);
  const copy = await import("../../lib/io/file_router.ts?second-copy");
  assert.notEqual(copy.registerFileRouters, registerFileRouters);
  assert.equal(copy.registerFileRouters(), false);
  assert.equal(tf.io.getSaveHandlers("file://some/dir").length, 1);
  assert.equal(tf.io.getLoadHandlers("file://some/dir/model.json").length, 1);
  assert.equal(tf.io.getSaveHandlers("localstorage://x").length, 0);
  assert.equal(tf.io.getLoadHandlers("http://example.com/model.json").length, 1); // tfjs's own
});

/** What `_file_router_beside_another.ts` reports for `order`. */
async function besideAnother(order: "before" | "after" | "none"): Promise<unknown> {
  const root = tempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: denoRunArgs("tests/io/_file_router_beside_another.ts", [order, join(root, "m")]),
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("importing lib/io/mod.ts registers the routers: file:// saves and loads", async () => {
  assert.deepEqual(await besideAnother("none"), {
    saveHandlers: 1,
    loadHandlers: 1,
    used: [],
    projectWrote: true,
    loaded: true,
  });
});

for (const order of ["before", "after"] as const) {
  Deno.test(`a file:// router registered ${order} the project's (as tfjs-node's) is the only one used`, async () => {
    assert.deepEqual(await besideAnother(order), {
      saveHandlers: 1,
      loadHandlers: 1,
      used: ["other save", "other load"],
      projectWrote: false,
      loaded: false,
    });
  });
}
