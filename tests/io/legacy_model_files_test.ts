import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/engine/backend.ts";
import { upgradeModelFolder } from "../../lib/io/legacy_model_files.ts";
import { loadModel, saveModel } from "../../lib/io/model_files.ts";
import { tempDir } from "../_helpers.ts";
import { layerClasses, listFiles, stackedInput, stackedLstmModel } from "./_model_fixtures.ts";

await selectBackend({ backend: "cpu" });

Deno.test("an old model folder saved with FusedLSTM still loads, and upgradeModelFolder() rewrites only its model.json", async () => {
  const dir = tempDir();
  try {
    const model = stackedLstmModel("fused");
    const expected = tf.tidy(() =>
      Array.from((model.predict(stackedInput()) as tf.Tensor).dataSync())
    );
    await saveModel(model, dir);
    const jsonPath = join(dir, "model.json");
    const standard = Deno.readTextFileSync(jsonPath);
    // The format before standard files: the same file with the project's class name.
    const old = standard.replaceAll('"class_name":"LSTM"', '"class_name":"FusedLSTM"');
    assert.notEqual(old, standard);
    Deno.writeTextFileSync(jsonPath, old);
    const weightsName = listFiles(dir).find((f) => f.endsWith(".bin"))!;
    const weights = Deno.readFileSync(join(dir, weightsName));

    for (const lstm of [undefined, "fused", "layers"] as const) {
      const loaded = await loadModel(dir, { lstm });
      const className = lstm === "layers" ? "LSTM" : "FusedLSTM";
      assert.deepEqual(layerClasses(loaded).slice(1, 3), [className, className]);
      const got = tf.tidy(() =>
        Array.from((loaded.predict(stackedInput()) as tf.Tensor).dataSync())
      );
      got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${lstm}: ${i}`));
      loaded.dispose();
    }

    assert.equal(await upgradeModelFolder(dir), 2);
    assert.equal(Deno.readTextFileSync(jsonPath), standard);
    assert.deepEqual(Deno.readFileSync(join(dir, weightsName)), weights);
    assert.deepEqual(listFiles(dir), ["model.json", weightsName]);
    assert.equal(await upgradeModelFolder(dir), 0, "a standard folder is left alone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
