/**
 * Loads a saved model with plain TensorFlow.js, as a browser or Node would, and prints its
 * predictions: no module of this project is imported, so no project layer class is
 * registered. Run by `model_files_plain_tfjs_test.ts`:
 *
 * ```
 * deno run --allow-read tests/io/_plain_tfjs_predict.ts MODEL_DIR INPUT_JSON
 * ```
 *
 * `INPUT_JSON` holds one `{ "shape": [...], "values": [...] }` per model input, in a list;
 * stdout gets one JSON line
 * `{ "classes": [layer class names], "outputs": [[values of each output]] }`.
 */
// The package itself, not the project's import map: this script must stand for any tfjs user.
// deno-lint-ignore no-import-prefix
import * as tf from "npm:@tensorflow/tfjs@4.22.0";

const [modelDir, inputPath] = Deno.args;
if (!modelDir || !inputPath) {
  console.error("usage: _plain_tfjs_predict.ts MODEL_DIR INPUT_JSON");
  Deno.exit(2);
}
await tf.setBackend("cpu");

/** The loader a page would use, reading files instead of fetching URLs. */
const handler: tf.io.IOHandler = {
  load: async () => {
    const json = JSON.parse(await Deno.readTextFile(`${modelDir}/model.json`)) as tf.io.ModelJSON;
    return await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const specs = manifest.flatMap((group) => group.weights);
      const parts = await Promise.all(
        manifest.flatMap((group) => group.paths).map((p) => Deno.readFile(`${modelDir}/${p}`)),
      );
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const p of parts) {
        bytes.set(p, offset);
        offset += p.length;
      }
      return [specs, bytes.buffer];
    });
  },
};

const model = await tf.loadLayersModel(handler);
const inputs = JSON.parse(await Deno.readTextFile(inputPath)) as Array<{
  shape: number[];
  values: number[];
}>;
const predicted = model.predict(inputs.map((x) => tf.tensor(x.values, x.shape)));
const outputs = (Array.isArray(predicted) ? predicted : [predicted]).map((t) =>
  Array.from(t.dataSync())
);
console.log(JSON.stringify({ classes: model.layers.map((l) => l.getClassName()), outputs }));
