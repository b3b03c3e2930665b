import assert from "node:assert/strict";
import { buildTutorialModel } from "../../lib/tutorial/model.ts";
import { buildClassicModel } from "../../lib/classic/model.ts";
import { fastModelOptions } from "../../lib/engine/fast_parts.ts";
import * as tf from "@tensorflow/tfjs";
import {
  defaultClassicConfig,
  resolveClassicConfig,
  resolveTutorialConfig,
} from "../../lib/config/config.ts";
import { classicPresetConfig } from "../../lib/config/classic_presets.ts";
import { generateNotes } from "../../lib/tutorial/sample.ts";
import { generateNotesStateful } from "../../lib/tutorial/run.ts";
import type { NoteFeaturesRow } from "../../lib/tutorial/encode.ts";
import { generateTokens, sampleToken } from "../../lib/classic/sample.ts";
import { generateTokensStateful } from "../../lib/classic/run.ts";
import { createStatefulRunner } from "../../lib/engine/stateful.ts";
import { mulberry32 } from "../../lib/random/random.ts";
import { sampleLogits } from "../../lib/random/sampling.ts";
import { fusedLstm } from "../../lib/engine/fused_lstm.ts";
import { selectBackend } from "../../lib/engine/backend.ts";
import { patternNotes } from "../_helpers.ts";

await tf.setBackend("cpu");

const KINDS = ["fused", "layers"] as const;
const INPUTS = ["scaled", "embedding"] as const;
type Input = typeof INPUTS[number];
const SEQ = 8;

function tutorialModel(kind: "fused" | "layers", input: Input = "scaled"): tf.LayersModel {
  const config = resolveTutorialConfig({
    model: { sequenceLength: SEQ, lstmUnits: 16, input, embeddingSize: 6 },
    lstm: kind,
  });
  return buildTutorialModel(config, fastModelOptions(config.lstm));
}

/** A small classic model; `bn` adds the classic-bn layers (BatchNormalization, relu). */
function classicModel(
  kind: "fused" | "layers",
  bn = false,
  input: Input = "scaled",
): tf.LayersModel {
  const base = classicPresetConfig(bn ? "classic-bn" : "classic-small");
  const config = {
    ...base,
    input,
    embeddingSize: 5,
    sequenceLength: SEQ,
    lstm: base.lstm.slice(0, 2).map((l) => ({ ...l, units: 12 })),
    denseUnits: 10,
  };
  const model = buildClassicModel({ ...defaultClassicConfig(), seed: 3, model: config }, {
    vocabSize: 14,
    ...fastModelOptions(kind),
  });
  if (bn) {
    // Moving statistics away from 0 and 1, so inference-mode normalisation matters.
    const random = mulberry32(11);
    for (const layer of model.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
      layer.setWeights(
        layer.getWeights().map((w, i) =>
          tf.tidy(() => {
            const values = Array.from({ length: w.size }, () => random());
            return i === 3 ? tf.tensor(values.map((v) => 0.5 + v), w.shape) : tf.tensor(
              values.map((v) => v - 0.5),
              w.shape,
            );
          })
        ),
      );
    }
  }
  return model;
}

/** The tutorial model run over a whole history from a zero state (tfjs layers, eagerly). */
function tutorialOutputs(model: tf.LayersModel, notes: NoteFeaturesRow[]): Float32Array[] {
  return tf.tidy(() => {
    const x = model.inputs.length === 1
      ? tf.tensor3d(notes.flatMap((n) => [n.pitch / 128, n.step, n.duration]), [
        1,
        notes.length,
        3,
      ])
      : model.getLayer("note_vectors").apply([
        model.getLayer("pitch_embedding").apply(
          tf.tensor2d(notes.map((n) => n.pitch), [1, notes.length]),
        ) as tf.Tensor,
        tf.tensor3d(notes.flatMap((n) => [n.step, n.duration]), [1, notes.length, 2]),
      ]) as tf.Tensor;
    const h = model.getLayer("lstm").apply(x) as tf.Tensor;
    return ["pitch", "step", "duration"].map((name) =>
      ((model.getLayer(name).apply(h) as tf.Tensor).dataSync() as Float32Array).slice()
    );
  });
}

/** A classic model (a chain) run over a whole history from a zero state. */
function classicOutputs(model: tf.LayersModel, ids: number[], vocab: number): Float32Array {
  return tf.tidy(() => {
    let x: tf.Tensor = model.inputs[0].shape.length === 2
      ? tf.tensor2d(ids, [1, ids.length])
      : tf.tensor3d(ids.map((id) => id / vocab), [1, ids.length, 1]);
    for (const layer of model.layers.slice(1)) {
      x = layer.apply(x, { training: false }) as tf.Tensor;
    }
    return (x.dataSync() as Float32Array).slice();
  });
}

/** Generation by re-feeding everything since the seed window from a zero state each note. */
function growingWindowNotes(
  model: tf.LayersModel,
  seed: NoteFeaturesRow[],
  count: number,
  temperature: number,
  randomSeed: number,
): NoteFeaturesRow[] {
  const random = mulberry32(randomSeed);
  const history = seed.slice(-SEQ);
  const out: NoteFeaturesRow[] = [];
  for (let i = 0; i < count; i++) {
    const [logits, step, duration] = tutorialOutputs(model, history);
    const next = {
      pitch: sampleLogits(logits, { temperature, random }),
      step: Math.max(0, step[0]),
      duration: Math.max(0, duration[0]),
    };
    out.push(next);
    history.push(next);
  }
  return out;
}

function assertSameNotes(actual: NoteFeaturesRow[], expected: NoteFeaturesRow[], what: string) {
  assert.equal(actual.length, expected.length, `${what}: number of notes`);
  assert.deepEqual(actual.map((n) => n.pitch), expected.map((n) => n.pitch), `${what}: pitches`);
  actual.forEach((n, i) => {
    for (const key of ["step", "duration"] as const) {
      assert.ok(
        Math.abs(n[key] - expected[i][key]) < 1e-5,
        `${what}: note ${i} ${key} ${n[key]} vs ${expected[i][key]}`,
      );
    }
  });
}

const seedNotes = patternNotes(12);

for (const kind of KINDS) {
  for (const input of INPUTS) {
    Deno.test(`generateNotesStateful() with memory "window" gives generateNotes' notes (${kind}, ${input})`, () => {
      const model = tutorialModel(kind, input);
      try {
        const before = tf.memory().numTensors;
        const copy = structuredClone(seedNotes);
        for (const temperature of [1, 3]) {
          const options = { length: 30, seed: 5, temperature };
          const expected = generateNotes(model, seedNotes, options);
          const actual = generateNotesStateful(model, seedNotes, { ...options, memory: "window" });
          assertSameNotes(actual, expected, `temperature ${temperature}`);
          for (let i = 0; i < actual.length; i++) {
            assert.ok(Math.abs(actual[i].start - expected[i].start) < 1e-4);
            assert.equal(actual[i].velocity, expected[i].velocity);
          }
          if (kind === "fused") {
            // The same products row by row, and the model's own Dense ops: bit for bit.
            const exact = generateNotesStateful(model, seedNotes, {
              ...options,
              memory: "window",
              layerMath: "tfjs",
            });
            assert.deepEqual(exact, expected);
          }
        }
        assert.deepEqual(seedNotes, copy, "the seed notes are not changed");
        assert.equal(tf.memory().numTensors, before, "stateful generation leaks tensors");
      } finally {
        model.dispose();
      }
    });

    Deno.test(`generateNotesStateful() carried: first note as generateNotes, all as the growing window (${kind}, ${input})`, () => {
      const model = tutorialModel(kind, input);
      try {
        const before = tf.memory().numTensors;
        const options = { length: 24, seed: 7, temperature: 2 };
        const carried = generateNotesStateful(model, seedNotes, options);
        const window = generateNotes(model, seedNotes, options);
        assertSameNotes(carried.slice(0, 1), window.slice(0, 1), "first note");
        const growing = growingWindowNotes(model, seedNotes, 24, 2, 7);
        assertSameNotes(carried, growing, "growing window");
        assert.equal(tf.memory().numTensors, before, "stateful generation leaks tensors");
      } finally {
        model.dispose();
      }
    });
  }
}

Deno.test("createStatefulRunner(): a carried state differs from the sliding window once it slides", () => {
  const model = tutorialModel("fused");
  try {
    const rows = (notes: NoteFeaturesRow[]) =>
      notes.flatMap((n) => [n.pitch / 128, n.step, n.duration]);
    const notes = patternNotes(SEQ + 6, [60, 67, 62, 71, 64, 72, 59]);
    const carried = createStatefulRunner(model, { memory: "carried" });
    const window = createStatefulRunner(model, { memory: "window" });
    assert.equal(window.windowLength, SEQ);
    const first = carried.feed(rows(notes.slice(0, SEQ)));
    assert.deepEqual(
      window.feed(rows(notes.slice(0, SEQ))),
      first,
      "the first window is read from a zero state by both",
    );
    let maxDiff = 0;
    for (const note of notes.slice(SEQ)) {
      const a = carried.feed(rows([note]));
      const b = window.feed(rows([note]));
      maxDiff = Math.max(maxDiff, ...a[0].map((v, i) => Math.abs(v - b[0][i])));
      const expected = tutorialOutputs(model, notes.slice(window.steps - SEQ, window.steps));
      for (let k = 0; k < 3; k++) {
        b[k].forEach((v, i) =>
          assert.ok(Math.abs(v - expected[k][i]) < 1e-5, `window output at step ${window.steps}`)
        );
      }
    }
    assert.ok(maxDiff > 1e-4, `the carried state should remember older notes (diff ${maxDiff})`);
    assert.equal(carried.steps, SEQ + 6);
    carried.reset();
    assert.equal(carried.steps, 0);
    assert.deepEqual(carried.feed(rows(notes.slice(0, SEQ))), first, "reset starts afresh");
    assert.throws(() => carried.feed([0.5, 0.1]), /feed: expected \[time, 3\] row-major/);
  } finally {
    model.dispose();
  }
});

const seedIds = [0, 3, 5, 1, 7, 2, 9, 4, 6, 8, 10, 11, 13, 12];

for (const kind of KINDS) {
  for (const input of INPUTS) {
    for (const bn of [false, true]) {
      const name = `${bn ? "classic-bn" : "classic-small"} shape, ${kind}, ${input}`;
      Deno.test(`generateTokensStateful() with memory "window" gives generateTokens' ids (${name})`, () => {
        const model = classicModel(kind, bn, input);
        try {
          // tf.layers.lstm keeps its recurrent dropout masks after its first call.
          generateTokens(model, seedIds, { length: 1 });
          const before = tf.memory().numTensors;
          for (
            const sampling of [
              { temperature: "argmax" as const },
              { temperature: 0.8, seed: 4 },
              { temperature: 1.5, topK: 3, seed: 9 },
            ]
          ) {
            const options = { length: 25, ...sampling };
            const expected = generateTokens(model, seedIds, options);
            for (const layerMath of ["js", "tfjs"] as const) {
              const actual = generateTokensStateful(model, seedIds, {
                ...options,
                memory: "window",
                layerMath,
              });
              assert.deepEqual(actual, expected, `${JSON.stringify(sampling)} ${layerMath}`);
            }
          }
          assert.equal(tf.memory().numTensors, before, "stateful generation leaks tensors");
        } finally {
          model.dispose();
        }
      });

      Deno.test(`generateTokensStateful() carried: first id as generateTokens, all as the growing window (${name})`, () => {
        const model = classicModel(kind, bn, input);
        try {
          const options = { length: 20, temperature: 1.2, seed: 2 };
          const carried = generateTokensStateful(model, seedIds, options);
          assert.equal(carried[0], generateTokens(model, seedIds, options)[0]);
          const random = mulberry32(2);
          const history = seedIds.slice(-SEQ);
          const growing: number[] = [];
          for (let i = 0; i < 20; i++) {
            const probs = classicOutputs(model, history, 14);
            const id = sampleToken(probs, { temperature: 1.2, random });
            growing.push(id);
            history.push(id);
          }
          assert.deepEqual(carried, growing);
        } finally {
          model.dispose();
        }
      });
    }
  }
}

Deno.test("stateful generation draws the same random numbers as the window method", () => {
  const counting = (seed: number) => {
    const random = mulberry32(seed);
    const counter = { calls: 0, random: () => (counter.calls++, random()) };
    return counter;
  };
  const tutorial = tutorialModel("fused");
  const classic = classicModel("fused");
  try {
    for (const memory of ["carried", "window"] as const) {
      const a = counting(1);
      const b = counting(1);
      generateNotes(tutorial, seedNotes, { length: 10, random: a.random });
      generateNotesStateful(tutorial, seedNotes, { length: 10, random: b.random, memory });
      assert.equal(b.calls, a.calls);
      const c = counting(1);
      const d = counting(1);
      generateTokens(classic, seedIds, { length: 10, topK: 4, random: c.random });
      generateTokensStateful(classic, seedIds, { length: 10, topK: 4, random: d.random, memory });
      assert.equal(d.calls, c.calls);
      assert.equal(c.calls, 10);
    }
  } finally {
    tutorial.dispose();
    classic.dispose();
  }
});

Deno.test("stateful generation checks its inputs as the window method does", () => {
  const tutorial = tutorialModel("fused");
  const classic = classicModel("fused");
  try {
    assert.throws(
      () => generateNotesStateful(tutorial, patternNotes(3)),
      /seedNotes: expected at least 8 notes \(the model.s window\), got 3/,
    );
    assert.throws(
      () => generateNotesStateful(tutorial, seedNotes, { temperature: 0 }),
      /temperature: expected a number above 0 or "argmax", got 0/,
    );
    assert.deepEqual(generateNotesStateful(tutorial, seedNotes, { length: 0 }), []);
    assert.throws(
      () => generateTokensStateful(classic, [1, 2]),
      /seed: expected at least 8 token ids/,
    );
    assert.throws(
      () => generateTokensStateful(classic, [...seedIds, 14]),
      /seed id 14: expected an integer in 0\.\.13, got 14/,
    );
    assert.throws(
      () => generateTokensStateful(classic, seedIds, { length: -1 }),
      /length: expected an integer >= 0, got -1/,
    );
    assert.throws(
      () => createStatefulRunner(tutorial, { memory: "window", windowLength: 0 }),
      /windowLength: expected a positive integer/,
    );
  } finally {
    tutorial.dispose();
    classic.dispose();
  }
});

Deno.test("createStatefulRunner() names a layer it cannot step", () => {
  const input = tf.input({ shape: [SEQ, 1] });
  const lstm = tf.layers.lstm({ units: 4, returnSequences: true }).apply(input);
  const flat = tf.layers.flatten({ name: "flat" }).apply(lstm) as tf.SymbolicTensor;
  const model = tf.model({
    inputs: input,
    outputs: tf.layers.dense({ units: 3 }).apply(flat) as tf.SymbolicTensor,
  });
  try {
    assert.throws(
      () => createStatefulRunner(model),
      /layer flat \(Flatten\) cannot be stepped one note at a time; supported are LSTM/,
    );
  } finally {
    model.dispose();
  }
});

/** Largest absolute difference between two lists of outputs. */
function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let max = 0;
  a.forEach((v, k) => {
    assert.equal(v.length, b[k].length);
    v.forEach((x, i) => (max = Math.max(max, Math.abs(x - b[k][i]))));
  });
  return max;
}

/**
 * Feeds `seedSteps` rows at once, then `steps` single rows, to a runner with the single-step
 * path and one without; checks both agree after every step and returns the last outputs.
 */
function compareSingleSteps(
  model: tf.LayersModel,
  rows: number[][],
  seedSteps: number,
  what: string,
): Float32Array[] {
  const fast = createStatefulRunner(model);
  const general = createStatefulRunner(model, { fastStep: false });
  let a = fast.feed(rows.slice(0, seedSteps).flat());
  let b = general.feed(rows.slice(0, seedSteps).flat());
  assert.deepEqual(a, b, `${what}: the seed window takes the same path`);
  for (const row of rows.slice(seedSteps)) {
    a = fast.feed(row);
    b = general.feed(row);
    const diff = maxAbsDiff(a, b);
    assert.ok(diff < 1e-5, `${what}: step ${fast.steps} differs by ${diff}`);
  }
  return a;
}

/** `count` rows of `dim` values from `seed` (ids / vocab for `dim` 1). */
function randomRows(count: number, dim: number, seed: number): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length: dim }, () => random()));
}

/** A model whose layers form a chain, run over `rows` `[time][dim]` from a zero state. */
function chainOutputs(model: tf.LayersModel, rows: number[][]): Float32Array {
  const y = tf.tidy(() => {
    let x: tf.Tensor = tf.tensor3d(rows.flat(), [1, rows.length, rows[0].length]);
    for (const layer of model.layers.slice(1)) {
      x = layer.apply(x, { training: false }) as tf.Tensor;
    }
    return x;
  });
  const out = (y.dataSync() as Float32Array).slice();
  y.dispose();
  return out;
}

/** Replaces every LSTM bias of `model` with values in -0.5 .. 0.5 (they start at zero). */
function randomLstmBiases(model: tf.LayersModel, seed: number): tf.LayersModel {
  const random = mulberry32(seed);
  for (const layer of model.layers) {
    if (!["LSTM", "FusedLSTM"].includes(layer.getClassName())) continue;
    const [kernel, recurrent, bias] = layer.getWeights();
    const values = Array.from({ length: bias.size }, () => random() - 0.5);
    const fresh = tf.tensor1d(values);
    layer.setWeights([kernel, recurrent, fresh]);
    fresh.dispose();
  }
  return model;
}

/** Two stacked fused LSTMs with sigmoid gates (Keras 2's default) and a softmax head. */
function sigmoidGateModel(): tf.LayersModel {
  const input = tf.input({ shape: [null, 3] });
  const a = fusedLstm({ units: 8, recurrentActivation: "sigmoid", returnSequences: true });
  const b = fusedLstm({ units: 20, recurrentActivation: "sigmoid" });
  const head = tf.layers.dense({ units: 5, activation: "softmax" });
  const output = head.apply(b.apply(a.apply(input))) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

Deno.test("createStatefulRunner() steps single rows as the sequence path does (cpu)", () => {
  const models = [
    { what: "tutorial, fused", model: randomLstmBiases(tutorialModel("fused"), 1), dim: 3 },
    { what: "tutorial, layers", model: randomLstmBiases(tutorialModel("layers"), 2), dim: 3 },
    { what: "classic-bn shape", model: randomLstmBiases(classicModel("fused", true), 3), dim: 1 },
    { what: "sigmoid gates", model: randomLstmBiases(sigmoidGateModel(), 4), dim: 3 },
  ];
  try {
    for (const { what, model, dim } of models) {
      const before = tf.memory().numTensors;
      const rows = randomRows(SEQ + 50, dim, 21);
      const last = compareSingleSteps(model, rows, SEQ, what);
      // Against the model's own layers over the whole history from a zero state.
      const expected = what.startsWith("tutorial")
        ? tutorialOutputs(
          model,
          rows.map(([p, step, duration]) => ({ pitch: p * 128, step, duration })),
        )
        : [chainOutputs(model, rows)];
      const diff = maxAbsDiff(last, expected);
      assert.ok(diff < 1e-4, `${what}: ${diff} from the model's own layers`);
      assert.equal(tf.memory().numTensors, before, `${what}: leaks tensors`);
    }
  } finally {
    for (const { model } of models) model.dispose();
  }
});

Deno.test("createStatefulRunner() steps embedding models (two inputs side by side) as their layers", () => {
  const tutorial = randomLstmBiases(tutorialModel("fused", "embedding"), 7);
  const classic = randomLstmBiases(classicModel("fused", true, "embedding"), 8);
  try {
    const random = mulberry32(31);
    const notes = Array.from({ length: SEQ + 40 }, () => ({
      pitch: Math.floor(random() * 128),
      step: random(),
      duration: random(),
    }));
    const runner = createStatefulRunner(tutorial);
    assert.equal(runner.inputDim, 3, "pitch id, then step and duration");
    const rows = notes.map((n) => [n.pitch, n.step, n.duration]);
    const last = compareSingleSteps(tutorial, rows, SEQ, "tutorial embedding");
    assert.ok(maxAbsDiff(last, tutorialOutputs(tutorial, notes)) < 1e-4, "tutorial embedding");
    const ids = Array.from({ length: SEQ + 40 }, () => Math.floor(random() * 14));
    const probs = compareSingleSteps(classic, ids.map((id) => [id]), SEQ, "classic embedding");
    assert.ok(maxAbsDiff(probs, [classicOutputs(classic, ids, 14)]) < 1e-4, "classic embedding");
    assert.throws(
      () => createStatefulRunner(classic).feed([14]),
      /Embedding token_embedding expected ids 0\.\.13, got 14/,
    );
  } finally {
    tutorial.dispose();
    classic.dispose();
  }
});

Deno.test("createStatefulRunner() single steps on wasm match the sequence path and leak no tensors", async () => {
  await selectBackend({ backend: "wasm", wasmThreads: 1 });
  const config = resolveTutorialConfig({ seed: 1, model: { input: "scaled" } });
  const tutorial = randomLstmBiases(
    buildTutorialModel(config, fastModelOptions(config.lstm)),
    5,
  );
  const classic = randomLstmBiases(
    buildClassicModel(
      resolveClassicConfig({
        seed: 1,
        lstm: "layers",
        model: { preset: "lstm2x256-cpu", input: "scaled" },
      }),
      { vocabSize: 20, ...fastModelOptions("layers") },
    ),
    6,
  );
  try {
    const seqLength = (m: tf.LayersModel) => m.inputs[0].shape[1] as number;
    const noteRows = randomRows(seqLength(tutorial) + 50, 3, 5);
    const last = compareSingleSteps(tutorial, noteRows, seqLength(tutorial), "tutorial");
    const notes = noteRows.map(([p, step, duration]) => ({ pitch: p * 128, step, duration }));
    const expected = tutorialOutputs(tutorial, notes);
    assert.ok(maxAbsDiff(last, expected) < 1e-4, "tutorial: as the model's own layers");
    const idRows = randomRows(seqLength(classic) + 50, 1, 6).map((
      [v],
    ) => [Math.floor(v * 20) / 20]);
    const probs = compareSingleSteps(classic, idRows, seqLength(classic), "classic-small");
    assert.ok(
      maxAbsDiff(probs, [chainOutputs(classic, idRows)]) < 1e-4,
      "classic-small: as its layers",
    );
    for (const model of [tutorial, classic]) {
      const runner = createStatefulRunner(model);
      const dim = runner.inputDim;
      runner.feed(randomRows(seqLength(model), dim, 7).flat());
      runner.feed(new Float32Array(dim).fill(0.5));
      const before = tf.memory().numTensors;
      for (const row of randomRows(1000, dim, 8)) runner.feed(row);
      assert.equal(tf.memory().numTensors, before, `${model.name}: tensors after 1,000 steps`);
    }
  } finally {
    tutorial.dispose();
    classic.dispose();
    await selectBackend({ backend: "cpu" });
  }
});
