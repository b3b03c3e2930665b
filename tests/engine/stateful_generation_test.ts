import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createStatefulRunner } from "../../lib/engine/stateful.ts";
import { generateStateful } from "../../lib/engine/stateful_generation.ts";
import { mulberry32 } from "../../lib/random/random.ts";

await tf.setBackend("cpu");

/** A one-input model: an LSTM over `[time, 2]` rows and a Dense head of 3 scores. */
function smallModel(): tf.LayersModel {
  const input = tf.input({ shape: [4, 2] });
  const hidden = tf.layers.lstm({
    units: 5,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    recurrentInitializer: tf.initializers.glorotUniform({ seed: 2 }),
  }).apply(input) as tf.SymbolicTensor;
  const scores = tf.layers.dense({
    units: 3,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
  }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: scores });
}

/** The greedy pick of a row of scores, and the row an id is fed back as. */
const pick = ([scores]: Float32Array[]) => scores.indexOf(Math.max(...scores));
const rowOf = (id: number) => [id / 3, 1 - id / 3];

for (const memory of ["carried", "window"] as const) {
  Deno.test(`generateStateful() picks and feeds as a loop over the stateful runner does (memory "${memory}")`, () => {
    const model = smallModel();
    const seedRows = [0.1, 0.9, 0.4, 0.2, 0.7, 0.3, 0.2, 0.6];
    const random = mulberry32(5);
    // Noisy picks, so that the items depend on the random numbers and their order.
    const noisy = (outputs: Float32Array[]) => pick([outputs[0].map((s) => s + 0.5 * random())]);
    const progress: number[] = [];
    const items = generateStateful(model, seedRows, {
      length: 12,
      pick: noisy,
      rowOf,
      memory,
      onProgress: (done, total) => progress.push(done / total),
    });
    const runner = createStatefulRunner(model, { memory });
    const again = mulberry32(5);
    const expected: number[] = [];
    let outputs = runner.feed(seedRows);
    for (let i = 0; i < 12; i++) {
      const id = pick([outputs[0].map((s) => s + 0.5 * again())]);
      expected.push(id);
      outputs = runner.feed(rowOf(id));
    }
    assert.deepEqual(items, expected);
    assert.deepEqual(progress, expected.map((_, i) => (i + 1) / 12));
    model.dispose();
  });
}

Deno.test("generateStateful() with length 0 gives nothing and refuses a length that is not an integer >= 0", () => {
  const model = smallModel();
  const options = { pick, rowOf };
  assert.deepEqual(generateStateful(model, [0, 0], { ...options, length: 0 }), []);
  assert.throws(
    () => generateStateful(model, [0, 0], { ...options, length: -1 }),
    /length: expected an integer >= 0, got -1/,
  );
  assert.throws(
    () => generateStateful(model, [0, 0], { ...options, length: 1.5 }),
    /length: expected an integer >= 0, got 1.5/,
  );
  model.dispose();
});
