import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import {
  FusedLSTM,
  fusedLstm,
  type FusedLstmOptions,
  lstmSequence,
  lstmStep,
  lstmWeights,
} from "../../lib/engine/fused_lstm.ts";
import { runSequence } from "../../lib/engine/_lstm_bptt.ts";

await tf.setBackend("cpu");

type Shape3 = [number, number, number];

/** Largest |actual - expected| relative to the largest |expected| (the tensor's scale). */
function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0];
    const scale = tf.max(tf.abs(expected)).dataSync()[0];
    return diff / Math.max(scale, 1e-6);
  });
}

function assertClose(actual: tf.Tensor, expected: tf.Tensor, what: string, tolerance = 1e-4) {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const error = relativeError(actual, expected);
  assert.ok(error <= tolerance, `${what}: relative error ${error} > ${tolerance}`);
}

let seed = 1;
const randn = (shape: number[], std = 1) => tf.randomNormal(shape, 0, std, "float32", seed++);

/** A tf.layers.lstm and a fused layer with the same config and the same random weights. */
function layerPair(config: FusedLstmOptions, inputShape: Shape3) {
  const reference = tf.layers.lstm({ ...config });
  const fused = fusedLstm({ ...config });
  const probe = tf.zeros(inputShape);
  tf.dispose([reference.apply(probe), fused.apply(probe)] as tf.Tensor[]);
  probe.dispose();
  const weights = reference.getWeights().map((w) => randn(w.shape, 0.5));
  reference.setWeights(weights);
  fused.setWeights(weights);
  tf.dispose(weights);
  return { reference, fused };
}

const asList = (y: tf.Tensor | tf.Tensor[]) => Array.isArray(y) ? y : [y];

/** Outputs and gradients (of a fixed random weighting of all outputs) w.r.t. `sources`. */
function outputsAndGrads(
  layer: tf.layers.Layer,
  x: tf.Variable,
  options: {
    initialState?: tf.Variable[];
    training?: boolean;
    weights: tf.Tensor[];
    inputGradient?: boolean;
  },
) {
  const run = () =>
    asList(
      layer.apply(x, {
        initialState: options.initialState,
        training: options.training ?? false,
      }) as tf.Tensor | tf.Tensor[],
    );
  const outputs = run();
  const sources = [
    ...(options.inputGradient ?? true ? [x] : []),
    ...layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val),
    ...(options.initialState ?? []),
  ];
  const { grads } = tf.variableGrads(
    () => tf.addN(run().map((y, k) => tf.sum(tf.mul(y, options.weights[k])))) as tf.Scalar,
    sources,
  );
  return { outputs, grads: sources.map((s) => grads[s.name]) };
}

/** d sum(output * weight) / dx of tf.layers.lstm for one time step, zero state, no dropout. */
function singleStepInputGradient(lstm: tf.layers.Layer, x: tf.Tensor, weight: tf.Tensor) {
  const cell = (lstm as unknown as { cell: tf.layers.Layer }).cell;
  const [batch, , inputDim] = x.shape;
  const units = weight.shape[weight.rank - 1]!;
  return tf.grad((input: tf.Tensor) => {
    const zeros = tf.zeros([batch, units]);
    const [h] = cell.call([tf.reshape(input, [batch, inputDim!]), zeros, zeros], {}) as tf.Tensor[];
    return tf.sum(tf.mul(tf.reshape(h, weight.shape), weight));
  })(x);
}

/** Checks that the fused layer's outputs and gradients equal tf.layers.lstm's. */
function checkAgainstReference(
  config: FusedLstmOptions,
  shape: Shape3,
  options: { initialState?: boolean; training?: boolean } = {},
) {
  const [batch, ,] = shape;
  const { reference, fused } = layerPair(config, shape);
  const x = tf.variable(randn(shape));
  const initialState = options.initialState
    ? [tf.variable(randn([batch, config.units])), tf.variable(randn([batch, config.units]))]
    : undefined;
  const probe = asList(reference.apply(x, { initialState }) as tf.Tensor | tf.Tensor[]);
  const weights = probe.map((y) => randn(y.shape));
  tf.dispose(probe);
  // tf.layers.lstm cannot differentiate w.r.t. its input when time = 1 ("Argument tensors
  // passed to stack must be a `Tensor[]`"); that gradient then comes from its cell.
  const singleStep = shape[1] === 1;
  const expected = outputsAndGrads(reference, x, {
    ...options,
    initialState,
    weights,
    inputGradient: !singleStep,
  });
  if (singleStep) expected.grads.unshift(singleStepInputGradient(reference, x, weights[0]));
  const actual = outputsAndGrads(fused, x, { ...options, initialState, weights });
  const label = `${JSON.stringify(config)} x [${shape}]`;
  assert.equal(actual.outputs.length, expected.outputs.length);
  actual.outputs.forEach((y, k) => assertClose(y, expected.outputs[k], `${label} output ${k}`));
  const names = ["x", "kernel", "recurrent kernel", "bias", "h0", "c0"];
  actual.grads.forEach((g, k) => assertClose(g, expected.grads[k], `${label} d${names[k]}`));
  tf.dispose([x, ...(initialState ?? []), ...weights]);
  tf.dispose([expected, actual] as unknown as tf.Tensor[]);
  reference.dispose();
  fused.dispose();
}

Deno.test("fusedLstm() matches tf.layers.lstm outputs and input/weight gradients", () => {
  const shapes: Shape3[] = [[1, 1, 1], [4, 7, 3], [1, 7, 3], [4, 1, 1], [3, 5, 2]];
  const unitChoices = [2, 8];
  for (const shape of shapes) {
    for (const units of unitChoices) {
      for (const returnSequences of [false, true]) {
        for (const recurrentActivation of ["hardSigmoid", "sigmoid"] as const) {
          checkAgainstReference({ units, returnSequences, recurrentActivation }, shape);
        }
      }
    }
  }
});

Deno.test("fusedLstm() matches tf.layers.lstm with an initial state, returnState and no bias", () => {
  // 6 units run the JS step kernels, 8 the wasm ones.
  for (const units of [6, 8]) {
    for (const returnSequences of [false, true]) {
      for (const useBias of [true, false]) {
        const config = { units, returnSequences, returnState: true, useBias };
        checkAgainstReference(config, [3, 5, 4], { initialState: true });
        checkAgainstReference({ ...config, recurrentActivation: "sigmoid" }, [2, 4, 3], {
          initialState: true,
        });
      }
    }
  }
});

Deno.test("fusedLstm() applies dropout masks like tf.layers.lstm in training", () => {
  // A deterministic stand-in for random dropout, used by both layers.
  const dropoutFunc = (ones: tf.Tensor, rate: number) =>
    tf.tidy(() => {
      const keep = Array.from({ length: ones.size }, (_, k) => ((k * 7 + 3) % 10) / 10 >= rate);
      return tf.tensor(keep.map((kept) => (kept ? 1 / (1 - rate) : 0)), ones.shape);
    });
  // 5 units run the JS step kernels, 8 the wasm ones.
  for (const [units, returnSequences] of [[5, false], [5, true], [8, true]] as const) {
    const config = { units, returnSequences, dropout: 0.3, recurrentDropout: 0.4, dropoutFunc };
    checkAgainstReference(config, [4, 6, 3], { training: true });
    checkAgainstReference({ ...config, returnState: true }, [2, 3, 2], {
      training: true,
      initialState: true,
    });
  }
});

Deno.test("fusedLstm() ignores dropout in inference and applies it in training", () => {
  const shape: Shape3 = [8, 6, 4];
  const { reference, fused } = layerPair({ units: 8, dropout: 0.5, recurrentDropout: 0.5 }, shape);
  const plain = fusedLstm({ units: 8 });
  const x = randn(shape);
  tf.dispose(plain.apply(x) as tf.Tensor);
  plain.setWeights(fused.getWeights());
  const inference = fused.apply(x) as tf.Tensor;
  assertClose(inference, plain.apply(x) as tf.Tensor, "inference output", 1e-6);
  assertClose(fused.apply(x, { training: false }) as tf.Tensor, inference, "training: false", 1e-6);
  assertClose(inference, reference.apply(x) as tf.Tensor, "inference vs tf.layers.lstm");
  const trained = fused.apply(x, { training: true }) as tf.Tensor;
  assert.ok(relativeError(trained, inference) > 1e-2, "dropout changes training outputs");
});

Deno.test("fusedLstm() matches tf.layers.lstm with goBackwards", () => {
  checkAgainstReference({ units: 4, returnSequences: true, goBackwards: true }, [2, 5, 3]);
  checkAgainstReference({ units: 4, goBackwards: true, recurrentActivation: "sigmoid" }, [
    2,
    5,
    3,
  ]);
});

Deno.test("a stateful fusedLstm() carries its state between calls like tf.layers.lstm", () => {
  const config = { units: 3, stateful: true, batchInputShape: [2, 4, 3], returnSequences: true };
  const { reference, fused } = layerPair(config, [2, 4, 3]);
  reference.resetStates();
  fused.resetStates();
  const [x1, x2] = [randn([2, 4, 3]), randn([2, 4, 3])];
  const first = fused.apply(x1) as tf.Tensor;
  assertClose(first, reference.apply(x1) as tf.Tensor, "first call");
  const second = fused.apply(x2) as tf.Tensor;
  assertClose(second, reference.apply(x2) as tf.Tensor, "second call");
  fused.resetStates();
  reference.resetStates();
  const fresh = fused.apply(x2) as tf.Tensor;
  assertClose(fresh, reference.apply(x2) as tf.Tensor, "after resetStates()");
  assert.ok(relativeError(fresh, second) > 1e-3, "resetStates() forgets the state");
});

Deno.test("fusedLstm() falls back to the per-step path for other activations and masks", () => {
  checkAgainstReference({ units: 4, recurrentActivation: "tanh" }, [2, 4, 3]);
  checkAgainstReference({ units: 4, activation: "relu", returnSequences: true }, [2, 4, 3]);
  const build = (lstm: (c: FusedLstmOptions) => tf.layers.Layer) =>
    tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [4, 2] }),
        lstm({ units: 3, name: "lstm" }),
      ],
    });
  const reference = build((c) => tf.layers.lstm(c));
  const fused = build(fusedLstm);
  fused.setWeights(reference.getWeights());
  const x = tf.tensor3d([[[1, 2], [0, 0], [3, -1], [0, 0]], [[0.5, 1], [1, 1], [0, 0], [0, 0]]]);
  assertClose(fused.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor, "masked output");
});

Deno.test("fusedLstm() gets the weight names, shapes and initial values of tf.layers.lstm", () => {
  const config = {
    units: 4,
    name: "lstm",
    kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: 4 }),
    unitForgetBias: true,
  };
  const reference = tf.layers.lstm(config);
  const fused = fusedLstm(config);
  const x = tf.ones([1, 2, 3]);
  tf.dispose([reference.apply(x), fused.apply(x)] as tf.Tensor[]);
  assert.deepEqual(
    fused.weights.map((w) => [w.originalName, w.shape]),
    [["lstm/kernel", [3, 16]], ["lstm/recurrent_kernel", [4, 16]], ["lstm/bias", [16]]],
  );
  assert.deepEqual(
    fused.weights.map((w) => w.originalName),
    reference.weights.map((w) => w.originalName),
  );
  const [a, b] = [fused.getWeights(), reference.getWeights()];
  a.forEach((w, k) => assertClose(w, b[k], `initial ${fused.weights[k].originalName}`, 0));
  assert.deepEqual(Array.from(a[2].dataSync().slice(4, 8)), [1, 1, 1, 1], "unit forget bias");
});

/** Two stacked LSTMs and a dense head, with either LSTM implementation. */
function stackedModel(lstm: (c: FusedLstmOptions) => tf.layers.Layer): tf.Sequential {
  return tf.sequential({
    layers: [
      lstm({ units: 8, inputShape: [7, 3], returnSequences: true, name: "lstm_a" }),
      lstm({ units: 5, name: "lstm_b", recurrentActivation: "sigmoid" }),
      tf.layers.dense({ units: 2, name: "head" }),
    ],
  });
}

Deno.test("weights copied from tf.layers.lstm give the same predictions in a tf.sequential", () => {
  const reference = stackedModel((c) => tf.layers.lstm(c));
  const fused = stackedModel(fusedLstm);
  reference.setWeights(reference.getWeights().map((w) => randn(w.shape, 0.5)));
  fused.setWeights(reference.getWeights());
  const x = randn([4, 7, 3]);
  assertClose(fused.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor, "prediction");
  const back = stackedModel((c) => tf.layers.lstm(c));
  back.setWeights(fused.getWeights());
  assertClose(back.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor, "copied back");
});

Deno.test("weights saved from a tf.layers.lstm model load by name into a fused model", async () => {
  const reference = stackedModel((c) => tf.layers.lstm(c));
  reference.setWeights(reference.getWeights().map((w) => randn(w.shape, 0.5)));
  let artifacts: tf.io.ModelArtifacts | null = null;
  await reference.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const saved = artifacts! as tf.io.ModelArtifacts;
  const named = tf.io.decodeWeights(saved.weightData!, saved.weightSpecs!);
  const fused = stackedModel(fusedLstm);
  fused.loadWeights(named, true);
  const x = randn([3, 7, 3]);
  assertClose(fused.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor, "prediction");
});

Deno.test("FusedLSTM survives getConfig/fromConfig and a model save/load round trip", async () => {
  const layer = fusedLstm({
    units: 3,
    returnSequences: true,
    recurrentActivation: "sigmoid",
    dropout: 0.25,
    unitForgetBias: true,
    name: "rt",
  });
  const config = layer.getConfig();
  assert.equal(layer.getClassName(), "FusedLSTM");
  assert.equal(config.units, 3);
  assert.equal(config.returnSequences, true);
  assert.equal(config.recurrentActivation, "sigmoid");
  assert.equal(config.dropout, 0.25);
  const copy = FusedLSTM.fromConfig(FusedLSTM, config);
  assert.ok(copy instanceof FusedLSTM);
  assert.deepEqual(copy.getConfig(), layer.getConfig());

  const model = stackedModel(fusedLstm);
  model.setWeights(model.getWeights().map((w) => randn(w.shape, 0.5)));
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  assert.deepEqual(loaded.layers.map((l) => l.getClassName()), ["FusedLSTM", "FusedLSTM", "Dense"]);
  const x = randn([2, 7, 3]);
  assertClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, "reloaded", 1e-6);
});

Deno.test("lstmStep() run step by step equals the layer's full-sequence output", () => {
  const shape: Shape3 = [3, 6, 2];
  for (const recurrentActivation of ["hardSigmoid", "sigmoid"] as const) {
    const { reference, fused } = layerPair(
      { units: 4, returnSequences: true, recurrentActivation },
      shape,
    );
    const x = randn(shape) as tf.Tensor3D;
    const expected = fused.apply(x) as tf.Tensor3D;
    for (const layer of [fused, reference]) {
      const weights = lstmWeights(layer);
      let state: { h: tf.Tensor2D; c: tf.Tensor2D } | undefined;
      const steps: tf.Tensor2D[] = [];
      for (let t = 0; t < shape[1]; t++) {
        const xt = tf.squeeze(tf.slice(x, [0, t, 0], [-1, 1, -1]), [1]) as tf.Tensor2D;
        const next = lstmStep(weights, { x: xt, state });
        steps.push(next.h);
        state = next;
      }
      assertClose(tf.stack(steps, 1), expected, `${layer.getClassName()} steps`);
      const whole = lstmSequence(weights, { x });
      assertClose(whole.sequence!, expected, "lstmSequence");
      assertClose(whole.state.h, steps[steps.length - 1], "final h");
      assertClose(whole.state.c, state!.c, "final c");
    }
  }
});

Deno.test("lstmSequence() continues from a state like the layer with initialState", () => {
  const shape: Shape3 = [2, 5, 3];
  const { fused } = layerPair({ units: 4, returnSequences: true, returnState: true }, shape);
  const x = randn(shape) as tf.Tensor3D;
  const state = { h: randn([2, 4]) as tf.Tensor2D, c: randn([2, 4]) as tf.Tensor2D };
  const [sequence, h, c] = fused.apply(x, { initialState: [state.h, state.c] }) as tf.Tensor[];
  const out = lstmSequence(lstmWeights(fused), { x, state });
  assertClose(out.sequence!, sequence, "sequence");
  assertClose(out.state.h, h, "h");
  assertClose(out.state.c, c, "c");
  const firstHalf = lstmSequence(lstmWeights(fused), {
    x: tf.slice(x, [0, 0, 0], [-1, 2, -1]),
    state,
    returnSequence: false,
  });
  assert.equal(firstHalf.sequence, null);
  const secondHalf = lstmSequence(lstmWeights(fused), {
    x: tf.slice(x, [0, 2, 0], [-1, 3, -1]),
    state: firstHalf.state,
  });
  assertClose(secondHalf.state.h, h, "h after two halves");
});

Deno.test("lstmWeights() and lstmSequence() reject what they cannot use", () => {
  assert.throws(() => lstmWeights(tf.layers.dense({ units: 2 })), /expected an LSTM/);
  assert.throws(() => lstmWeights(fusedLstm({ units: 2 })), /not built/);
  const { fused } = layerPair({ units: 2 }, [1, 2, 3]);
  const weights = lstmWeights(fused);
  assert.throws(
    () => lstmSequence(weights, { x: tf.zeros([1, 2, 4]) }),
    /expected x \[batch, time, 3\]/,
  );
  assert.throws(
    () =>
      lstmStep(weights, {
        x: tf.zeros([1, 3]),
        state: { h: tf.zeros([2, 2]), c: tf.zeros([2, 2]) },
      }),
    /state.h \[1, 2\]/,
  );
  const tanhGates = tf.layers.lstm({ units: 2, recurrentActivation: "tanh" });
  tf.dispose(tanhGates.apply(tf.zeros([1, 2, 3])) as tf.Tensor);
  assert.throws(() => lstmWeights(tanhGates), /recurrentActivation tanh/);
});

Deno.test("model.fit() updates the weights as it does with tf.layers.lstm", async () => {
  const build = (lstm: (c: FusedLstmOptions) => tf.layers.Layer) => {
    const model = stackedModel(lstm);
    model.compile({ optimizer: tf.train.sgd(0.5), loss: "meanSquaredError" });
    return model;
  };
  const reference = build((c) => tf.layers.lstm(c));
  const fused = build(fusedLstm);
  reference.setWeights(reference.getWeights().map((w) => randn(w.shape, 0.5)));
  fused.setWeights(reference.getWeights());
  const x = randn([6, 7, 3]);
  const y = randn([6, 2]);
  const a = await reference.fit(x, y, { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
  const b = await fused.fit(x, y, { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
  assert.ok(Math.abs(a.history.loss[1] as number - (b.history.loss[1] as number)) < 1e-4);
  const after = fused.getWeights();
  reference.getWeights().forEach((w, k) => assertClose(after[k], w, `weight ${k} after fit`));
});

Deno.test("fusedLstm() training and prediction leave no tensors behind", () => {
  const model = stackedModel(fusedLstm);
  const optimizer = tf.train.adam(0.01);
  const x = randn([4, 7, 3]);
  const y = randn([4, 2]);
  const step = () =>
    tf.dispose(
      optimizer.minimize(
        () =>
          tf.losses.meanSquaredError(
            y,
            model.apply(x, { training: true }) as tf.Tensor,
          ) as tf.Scalar,
        true,
      )!,
    );
  step();
  const before = tf.memory().numTensors;
  step();
  tf.dispose(model.predict(x) as tf.Tensor);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("runSequence() gives the same results with backend and JS matrix products", () => {
  const [batch, seqLength, inputDim, units] = [3, 4, 5, 6];
  const x = randn([batch, seqLength, inputDim]) as tf.Tensor3D;
  const kernel = randn([inputDim, 4 * units], 0.5) as tf.Tensor2D;
  const recurrentKernel = randn([units, 4 * units], 0.5) as tf.Tensor2D;
  const bias = randn([4 * units], 0.5) as tf.Tensor1D;
  const h0 = randn([batch, units]) as tf.Tensor2D;
  const c0 = randn([batch, units]) as tf.Tensor2D;
  const stateMask = new Float32Array(batch * units).map((_, k) => (k % 3 === 0 ? 0 : 1.5));
  const dy = new Float32Array(batch * (seqLength + 1) * units).map((_, k) => Math.sin(k));
  const results = (["backend", "js"] as const).map((matMul) => {
    const run = runSequence({
      x,
      kernel,
      recurrentKernel,
      bias,
      h0,
      c0,
      gate: "sigmoid",
      inputMask: null,
      stateMask,
      matMul,
    });
    const packed = run.packed.slice(); // a view of memory that backward() hands on
    return { packed, grads: run.backward(dy, "packed", { kernel, recurrentKernel }) };
  });
  assertClose(
    tf.tensor(results[1].packed),
    tf.tensor(results[0].packed),
    "outputs",
  );
  for (const key of ["x", "kernel", "recurrentKernel", "bias", "h0", "c0"] as const) {
    assertClose(results[1].grads[key], results[0].grads[key], `d${key}`);
  }
});

Deno.test("runSequence() refuses backward() after backward() or release()", () => {
  const [batch, seqLength, inputDim, units] = [2, 3, 2, 4];
  const kernel = randn([inputDim, 4 * units], 0.5) as tf.Tensor2D;
  const recurrentKernel = randn([units, 4 * units], 0.5) as tf.Tensor2D;
  const x = randn([batch, seqLength, inputDim]) as tf.Tensor3D;
  const args = {
    x,
    kernel,
    recurrentKernel,
    bias: null,
    h0: null,
    c0: null,
    gate: "sigmoid" as const,
    inputMask: null,
    stateMask: null,
  };
  const dy = new Float32Array(batch * units).fill(1);
  const run = runSequence(args);
  tf.dispose(Object.values(run.backward(dy, "last", { kernel, recurrentKernel })));
  assert.throws(() => run.backward(dy, "last", { kernel, recurrentKernel }), /runs once/);
  const released = runSequence(args);
  released.release();
  assert.throws(() => released.backward(dy, "last", { kernel, recurrentKernel }), /release/);
  tf.dispose([x, kernel, recurrentKernel]);
});

Deno.test("fusedLstm() matches tf.layers.lstm on the wasm backend", async () => {
  await tf.setBackend("wasm");
  try {
    checkAgainstReference({ units: 8, returnSequences: true }, [4, 6, 3]);
    checkAgainstReference({ units: 5, returnState: true, recurrentActivation: "sigmoid" }, [
      3,
      4,
      2,
    ], { initialState: true });
  } finally {
    await tf.setBackend("cpu");
  }
});
