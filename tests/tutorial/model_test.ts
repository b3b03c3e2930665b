import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { resolveTutorialConfig } from "../../lib/config/config.ts";
import { buildTutorialModel } from "../../lib/tutorial/model.ts";

await tf.setBackend("cpu");

Deno.test("buildTutorialModel() has the tutorial's 84,354 parameters and three named heads", () => {
  const model = buildTutorialModel(resolveTutorialConfig());
  assert.equal(model.countParams(), 84354);
  assert.deepEqual(model.outputNames, ["pitch", "step", "duration"]);
  model.dispose();
});

Deno.test("buildTutorialModel() maps [batch, seqLength, 3] to [batch, 128], [batch, 1], [batch, 1]", () => {
  const config = resolveTutorialConfig({ dataset: { seqLength: 7 }, model: { lstmUnits: 16 } });
  const model = buildTutorialModel(config);
  const out = model.predict(tf.zeros([5, 7, 3])) as tf.Tensor[];
  assert.deepEqual(out.map((t) => t.shape), [[5, 128], [5, 1], [5, 1]]);
  tf.dispose(out);
  model.dispose();
});

Deno.test("buildTutorialModel() initialises weights from the config's seed", () => {
  const weights = (seed: number) => {
    const model = buildTutorialModel(resolveTutorialConfig({ seed, model: { lstmUnits: 8 } }));
    const values = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return values;
  };
  assert.deepEqual(weights(1), weights(1));
  assert.notDeepEqual(weights(1), weights(2));
});

Deno.test("buildTutorialModel() starts the recurrent kernel with orthonormal rows", () => {
  const model = buildTutorialModel(resolveTutorialConfig({ model: { lstmUnits: 16 } }));
  const k = model.getLayer("lstm").getWeights()[1]; // [16, 64]
  const gram = tf.matMul(k, k, false, true).arraySync() as number[][];
  gram.forEach((row, i) =>
    row.forEach((v, j) =>
      assert.ok(Math.abs(v - (i === j ? 1 : 0)) < 1e-4, `gram[${i}][${j}] = ${v}`)
    )
  );
  model.dispose();
});
