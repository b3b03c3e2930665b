import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import {
  activeBlas,
  type Blas,
  blasCandidates,
  loadBlas,
  setActiveBlas,
} from "../../lib/engine/blas.ts";
import { selectBackend } from "../../lib/engine/backend.ts";
import { fusedLstm } from "../../lib/engine/fused_lstm.ts";
import { type MatMulMode, runSequence, type SequenceArgs } from "../../lib/engine/_lstm_bptt.ts";
import { resolveConfig, type RunConfig } from "../../lib/config/config.ts";
import { notesToMidi } from "../../lib/music/midi.ts";
import {
  generateMusic,
  midiOptionsFor,
  readCorpus,
  trainRun,
} from "../../lib/workflow/workflow.ts";
import { tempDir } from "../_helpers.ts";
import { ROOT, tinyClassic, tinyTutorial, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");

/** The system's BLAS, when there is one (CI installs libopenblas0-pthread). */
const system = loadBlas({ library: "auto" });
const noBlas = system.blas == null;
const needsBlas = noBlas ? ` (ignored: ${system.reason})` : "";
const blas = () => system.blas as Blas;

/** Deterministic values in [-scale, scale). */
function values(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647 * 2 - 1) * scale;
  });
}

/** Largest |a - b| relative to the largest |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, "lengths");
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string) {
  const error = relativeError(actual, expected);
  assert.ok(error <= 1e-4, `${what}: relative error ${error} > 1e-4`);
}

/** `op(A) x op(B)` in float64, A stored `[rows, cols]` with stride `lda`, ... */
function reference(
  m: number,
  n: number,
  k: number,
  a: { data: Float32Array; ld: number; trans: boolean },
  b: { data: Float32Array; ld: number; trans: boolean },
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = a.trans ? a.data[p * a.ld + i] : a.data[i * a.ld + p];
        const bv = b.trans ? b.data[j * b.ld + p] : b.data[p * b.ld + j];
        sum += av * bv;
      }
      out[i * n + j] = sum;
    }
  }
  return out;
}

Deno.test("blasCandidates() names OpenBLAS on Linux, Accelerate on macOS, a DLL on Windows", () => {
  assert.ok(blasCandidates("linux").includes("libopenblas.so.0"));
  assert.ok(blasCandidates("linux").some((p) => p.includes("openblas-pthread")));
  assert.match(blasCandidates("darwin")[0], /Accelerate\.framework/);
  assert.ok(blasCandidates("windows").every((p) => p.endsWith(".dll")));
});

Deno.test({
  name: `sgemm() computes op(A) x op(B) with transposes, strides, offsets and beta${needsBlas}`,
  ignore: noBlas,
  fn() {
    // m = 1 runs as a matrix-vector product (sgemv); the other shape as sgemm.
    for (const [m, n, k] of [[7, 5, 9], [1, 6, 11]]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          // Row strides wider than the rows, and operands that start inside larger arrays.
          const lda = (transA ? m : k) + 3;
          const ldb = (transB ? k : n) + 2;
          const ldc = n + 4;
          const aAll = values(3 + (transA ? k : m) * lda, 1);
          const bAll = values(5 + (transB ? n : k) * ldb, 2);
          const a = aAll.subarray(3);
          const b = bAll.subarray(5);
          const c = values(m * ldc, 3);
          const before = c.slice();
          blas().sgemm({ transA, transB, m, n, k, a, lda, b, ldb, c, ldc, alpha: 2, beta: 0.5 });
          const expected = reference(m, n, k, { data: a, ld: lda, trans: transA }, {
            data: b,
            ld: ldb,
            trans: transB,
          });
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < ldc; j++) {
              const got = c[i * ldc + j];
              if (j >= n) {
                assert.equal(got, before[i * ldc + j], "padding between rows is not written");
                continue;
              }
              const want = 2 * expected[i * n + j] + 0.5 * before[i * ldc + j];
              assert.ok(
                Math.abs(got - want) < 1e-5,
                `transA ${transA} transB ${transB} (${i}, ${j})`,
              );
            }
          }
          assert.deepEqual(aAll.subarray(0, 3), values(3, 1), "A before its offset untouched");
        }
      }
    }
  },
});

Deno.test({
  name: `sgemm() of one row with beta 0 ignores what C held, NaN included${needsBlas}`,
  ignore: noBlas,
  fn() {
    const [n, k] = [6, 11];
    const a = values(k, 1);
    const b = values(k * n, 2);
    const expected = reference(1, n, k, { data: a, ld: k, trans: false }, {
      data: b,
      ld: n,
      trans: false,
    });
    const c = new Float32Array(n).fill(NaN);
    blas().sgemm({ m: 1, n, k, a, b, c });
    for (let j = 0; j < n; j++) assert.ok(Math.abs(c[j] - expected[j]) < 1e-5, `column ${j}`);
  },
});

Deno.test({
  name: `sgemm() refuses arrays shorter than their shape needs${needsBlas}`,
  ignore: noBlas,
  fn() {
    const a = new Float32Array(6);
    assert.throws(
      () => blas().sgemm({ m: 3, n: 3, k: 3, a, b: new Float32Array(9), c: new Float32Array(9) }),
      /expected A with 3 rows of 3 floats \(row stride 3\), got 6 floats/,
    );
    assert.throws(
      () => blas().sgemm({ m: 2, n: 3, k: 3, a, b: new Float32Array(9), c: new Float32Array(5) }),
      /expected C/,
    );
  },
});

Deno.test({
  name: `loadBlas() reports the library, its build and its threads${needsBlas}`,
  ignore: noBlas,
  fn() {
    const { blas, reason, install } = system;
    assert.ok(blas != null);
    assert.equal(install, "");
    assert.ok(reason.startsWith(blas.name), reason);
    if (blas.name.startsWith("OpenBLAS")) {
      assert.match(blas.name, /^OpenBLAS \d+\.\d+/);
      assert.ok(blas.setThreads(1));
      assert.equal(blas.threads(), 1);
      assert.ok(blas.setThreads(2));
      assert.equal(blas.threads(), 2);
      assert.throws(() => blas.setThreads(0), /integer >= 1, got 0/);
    }
    assert.equal(loadBlas({ library: "auto" }), system, "loaded once, then the same result");
  },
});

Deno.test("a missing, a broken or an off library gives no BLAS and says why", () => {
  const missing = loadBlas({ library: "/nonexistent/libopenblas.so.0" });
  assert.equal(missing.blas, null);
  assert.match(missing.reason, /BLAS "\/nonexistent\/libopenblas\.so\.0" did not load: /);
  assert.match(missing.install, /libopenblas0|openblas|Accelerate/);
  const dir = tempDir();
  try {
    const bogus = join(dir, "libbogus.so");
    Deno.writeTextFileSync(bogus, "this is not a shared library\n");
    const broken = loadBlas({ library: bogus });
    assert.equal(broken.blas, null);
    assert.ok(broken.reason.includes(`"${bogus}" did not load`), broken.reason);
    assert.equal(broken.tried.length, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  const off = loadBlas({ library: "off" });
  assert.equal(off.blas, null);
  assert.equal(off.reason, "BLAS off");
  assert.equal(off.install, "");
});

/** Runs `runSequence` forward and backward with `matMul` and returns every output array. */
function runAll(args: Omit<SequenceArgs, "matMul">, dy: Float32Array, matMul: MatMulMode) {
  const run = runSequence({ ...args, matMul });
  const packed = run.packed.slice(); // a view of memory that backward() hands on
  const grads = run.backward(dy, "packed", args);
  const keys = ["x", "kernel", "recurrentKernel", "bias", "h0", "c0"] as const;
  const out = [packed, ...keys.map((key) => grads[key].dataSync() as Float32Array)];
  tf.dispose(Object.values(grads));
  return out;
}

const SHAPES = [
  {
    batch: 3,
    seqLength: 5,
    inputDim: 2,
    units: 4,
    gate: "hardSigmoid",
    state: false,
    masks: false,
  },
  { batch: 8, seqLength: 7, inputDim: 3, units: 12, gate: "sigmoid", state: true, masks: false },
  { batch: 5, seqLength: 9, inputDim: 6, units: 10, gate: "hardSigmoid", state: true, masks: true },
  { batch: 2, seqLength: 1, inputDim: 5, units: 7, gate: "sigmoid", state: true, masks: true },
  { batch: 16, seqLength: 12, inputDim: 33, units: 64, gate: "sigmoid", state: false, masks: true },
] as const;

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test({
    name: `runSequence(): BLAS, ${backend} and JS products give the same outputs and ` +
      `gradients (1e-4) on ${SHAPES.length} shapes${needsBlas}`,
    ignore: noBlas,
    async fn() {
      await tf.setBackend(backend);
      setActiveBlas(blas());
      blas().setThreads(2);
      try {
        SHAPES.forEach((shape, s) => {
          const { batch, seqLength, inputDim, units } = shape;
          const seed = 100 * (s + 1);
          const args = {
            x: tf.tensor3d(values(batch * seqLength * inputDim, seed), [
              batch,
              seqLength,
              inputDim,
            ]),
            kernel: tf.tensor2d(values(inputDim * 4 * units, seed + 1, 0.5), [inputDim, 4 * units]),
            recurrentKernel: tf.tensor2d(values(units * 4 * units, seed + 2, 0.5), [
              units,
              4 * units,
            ]),
            bias: tf.tensor1d(values(4 * units, seed + 3, 0.3)),
            h0: shape.state ? tf.tensor2d(values(batch * units, seed + 4), [batch, units]) : null,
            c0: shape.state ? tf.tensor2d(values(batch * units, seed + 5), [batch, units]) : null,
            gate: shape.gate,
            inputMask: shape.masks
              ? values(batch * inputDim, seed + 6).map((v) => v > 0 ? 1.25 : 0)
              : null,
            stateMask: shape.masks
              ? values(batch * units, seed + 7).map((v) => v > 0 ? 1.5 : 0)
              : null,
          };
          const dy = values(batch * (seqLength + 1) * units, seed + 8);
          const onBlas = runAll(args, dy, "blas");
          const names = ["output", "dx", "dkernel", "drecurrent", "dbias", "dh0", "dc0"];
          const others: MatMulMode[] = backend === "wasm" ? ["backend", "js"] : ["js"];
          for (const other of others) {
            const result = runAll(args, dy, other);
            onBlas.forEach((a, k) =>
              assertClose(a, result[k], `${JSON.stringify(shape)} ${names[k]} blas vs ${other}`)
            );
          }
          tf.dispose([args.x, args.kernel, args.recurrentKernel, args.bias]);
          if (args.h0 != null) tf.dispose([args.h0, args.c0!]);
        });
      } finally {
        setActiveBlas(null);
        await tf.setBackend("cpu");
      }
    },
  });
}

Deno.test({
  name: `runSequence() with BLAS products is byte-identical from run to run${needsBlas}`,
  ignore: noBlas,
  fn() {
    // Large enough that OpenBLAS splits the products across its threads.
    const [batch, seqLength, inputDim, units] = [24, 20, 96, 64];
    setActiveBlas(blas());
    blas().setThreads(2);
    try {
      const args = {
        x: tf.tensor3d(values(batch * seqLength * inputDim, 5), [batch, seqLength, inputDim]),
        kernel: tf.tensor2d(values(inputDim * 4 * units, 6, 0.2), [inputDim, 4 * units]),
        recurrentKernel: tf.tensor2d(values(units * 4 * units, 7, 0.2), [units, 4 * units]),
        bias: tf.tensor1d(values(4 * units, 8, 0.2)),
        h0: null,
        c0: null,
        gate: "hardSigmoid" as const,
        inputMask: null,
        stateMask: null,
      };
      const dy = values(batch * (seqLength + 1) * units, 9);
      const one = runAll(args, dy, "blas");
      const two = runAll(args, dy, "blas");
      one.forEach((a, k) =>
        assert.deepEqual(new Uint8Array(two[k].buffer), new Uint8Array(a.buffer))
      );
      tf.dispose([args.x, args.kernel, args.recurrentKernel, args.bias]);
    } finally {
      setActiveBlas(null);
    }
  },
});

Deno.test({
  name: `fusedLstm() on BLAS matches tf.layers.lstm outputs and gradients${needsBlas}`,
  ignore: noBlas,
  async fn() {
    await tf.setBackend("wasm");
    setActiveBlas(blas());
    try {
      const cases = [
        { batch: 4, seqLength: 6, inputDim: 3, units: 8, gate: "hardSigmoid" },
        { batch: 6, seqLength: 10, inputDim: 5, units: 20, gate: "sigmoid" },
      ] as const;
      for (const { batch, seqLength, inputDim, units, gate } of cases) {
        const config = { units, returnSequences: true, recurrentActivation: gate };
        const reference = tf.layers.lstm(config);
        const fused = fusedLstm(config);
        const probe = tf.zeros([1, seqLength, inputDim]);
        tf.dispose([reference.apply(probe), fused.apply(probe)] as tf.Tensor[]);
        fused.setWeights(reference.getWeights());
        const x = tf.variable(tf.tensor3d(values(batch * seqLength * inputDim, 11), [
          batch,
          seqLength,
          inputDim,
        ]));
        const w = tf.tensor3d(values(batch * seqLength * units, 12), [batch, seqLength, units]);
        const measure = (layer: tf.layers.Layer) => {
          const loss = () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, w)) as tf.Scalar;
          const sources = [
            x,
            ...layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val),
          ];
          const { value, grads } = tf.variableGrads(loss, sources);
          const y = layer.apply(x) as tf.Tensor;
          const out = [y, ...sources.map((s) => grads[s.name])].map((t) =>
            t.dataSync() as Float32Array
          );
          tf.dispose([value, y, ...Object.values(grads)]);
          return out;
        };
        const actual = measure(fused);
        setActiveBlas(null);
        const expected = measure(reference);
        setActiveBlas(blas());
        ["output", "dx", "dkernel", "drecurrent", "dbias"].forEach((name, k) =>
          assertClose(
            actual[k],
            expected[k],
            `[${batch}, ${seqLength}, ${inputDim}] ${units} ${gate} ${name}`,
          )
        );
        tf.dispose([x, w, probe]);
        reference.dispose();
        fused.dispose();
      }
    } finally {
      setActiveBlas(null);
      await tf.setBackend("cpu");
    }
  },
});

/** Trains a run and generates from it; returns the losses and the MIDI bytes. */
async function trainAndGenerate(overrides: Record<string, unknown>, runDir: string) {
  const config = resolveConfig(overrides as Parameters<typeof resolveConfig>[0]) as RunConfig;
  const run = await trainRun(config, { runDir });
  const midi = notesToMidi(generateMusic(run, readCorpus(config)).notes, midiOptionsFor(config));
  run.model.dispose();
  return { history: run.history!, midi };
}

Deno.test({
  name: `a seeded run trained on BLAS (2 threads) is reproducible byte for byte${needsBlas}`,
  ignore: noBlas,
  async fn() {
    const choice = await selectBackend({ backend: "cpu", wasmThreads: 2, blas: "auto" });
    assert.ok(choice.blas != null, choice.reason);
    assert.equal(activeBlas(), blas());
    assert.match(choice.reason, /LSTM products on .+, 2 threads/);
    const dir = tempDir();
    try {
      const data = writeTinyCorpus(join(dir, "data"));
      // Wide enough that OpenBLAS splits the products across its threads.
      const tutorial = tinyTutorial(data, { model: { lstmUnits: 64 } });
      const classic = tinyClassic(data);
      for (const [name, config] of [["tutorial", tutorial], ["classic", classic]] as const) {
        const one = await trainAndGenerate(config, join(dir, `${name}-one`));
        const two = await trainAndGenerate(config, join(dir, `${name}-two`));
        assert.deepEqual(two.history, one.history, `${name}: losses`);
        assert.ok(
          one.midi.length > 50,
          `${name}: expected a MIDI file, got ${one.midi.length} bytes`,
        );
        assert.deepEqual(two.midi, one.midi, `${name}: MIDI bytes`);
        const record = JSON.parse(Deno.readTextFileSync(join(dir, `${name}-one`, "run.json")));
        assert.equal(
          record.sessions[0].blas?.name,
          blas().name,
          `${name}: run.json records the BLAS`,
        );
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
      setActiveBlas(null);
    }
  },
});

Deno.test("selectBackend() without a usable BLAS keeps the products on the backend and says why", async () => {
  const dir = tempDir();
  try {
    const bogus = join(dir, "libopenblas.so.0");
    Deno.writeFileSync(bogus, new Uint8Array(64));
    for (const library of ["/nonexistent", bogus]) {
      const choice = await selectBackend({ backend: "cpu", blas: library });
      assert.equal(choice.blas, null);
      assert.equal(activeBlas(), null);
      assert.ok(
        choice.lstmProducts.startsWith(`LSTM products on cpu (BLAS "${library}" did not load: `),
        choice.lstmProducts,
      );
      assert.match(choice.lstmProducts, /install one: /);
      assert.ok(choice.reason.endsWith(choice.lstmProducts), choice.reason);
      // Training still works, on the backend's products.
      const layer = fusedLstm({ units: 4 });
      const x = tf.ones([2, 3, 2]);
      const y = layer.apply(x) as tf.Tensor;
      assert.deepEqual(y.shape, [2, 4]);
      tf.dispose([x, y]);
    }
    const off = await selectBackend({ backend: "cpu", blas: "off" });
    assert.equal(off.lstmProducts, "LSTM products on cpu (BLAS off)");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("MIDI_LSTM_BLAS=/nonexistent: a command-line process falls back with a clear message", async () => {
  const script = new URL("../../lib/engine/backend.ts", import.meta.url).href;
  const code = `import { selectBackend } from ${JSON.stringify(script)};\n` +
    `const c = await selectBackend({ backend: "cpu" });\n` +
    `console.log(JSON.stringify({ blas: c.blas, products: c.lstmProducts }));`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: ROOT,
    env: { MIDI_LSTM_BLAS: "/nonexistent", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, stderr);
  const result = JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
  assert.equal(result.blas, null);
  assert.match(
    result.products,
    /^LSTM products on cpu \(MIDI_LSTM_BLAS="\/nonexistent" did not load: /,
  );
});

Deno.test({
  name:
    `wasm matrix products on the BLAS (Dense layers) equal XNNPACK's, with their gradients${needsBlas}`,
  ignore: noBlas,
  async fn() {
    const { installWasmMatMulWorkaround } = await import("../../lib/engine/_wasm_matmul.ts");
    const { BLAS_MIN_MULTIPLY_ADDS } = await import("../../lib/engine/_product_place.ts");
    await tf.setBackend("wasm");
    installWasmMatMulWorkaround();
    try {
      // [64 x 128] x [128 x 96]: above the BLAS threshold; plain, transposed, fused with a
      // bias and relu, and the gradients the tape takes of them (transposed products).
      const [m, k, n] = [64, 128, 96];
      assert.ok(m * n * k >= BLAS_MIN_MULTIPLY_ADDS);
      const a = tf.tensor2d(values(m * k, 1), [m, k]);
      const b = tf.tensor2d(values(k * n, 2), [k, n]);
      const bias = tf.tensor1d(values(n, 3));
      const run = () =>
        tf.tidy(() => {
          const plain = tf.matMul(a, b);
          const transposed = tf.matMul(b, a, true, true); // [n, m]
          const fused = tf.fused.matMul({ a, b, bias, activation: "relu" });
          const { grads } = tf.variableGrads(
            () => tf.sum(tf.square(tf.fused.matMul({ a: wa, b: wb, bias: wbias }))),
            [wa, wb, wbias],
          );
          return [plain, transposed, fused, grads[wa.name], grads[wb.name], grads[wbias.name]]
            .map((t) => t.dataSync() as Float32Array).map((d) => d.slice());
        });
      const wa = tf.variable(a);
      const wb = tf.variable(b);
      const wbias = tf.variable(bias);
      setActiveBlas(blas());
      const onBlas = run();
      setActiveBlas(null);
      const onXnnpack = run();
      ["plain", "transposed", "fused relu", "dA", "dB", "dBias"].forEach((what, i) =>
        assertClose(onBlas[i], onXnnpack[i], what)
      );
      assert.ok(onBlas[2].every((v) => v >= 0), "relu applied");
      tf.dispose([a, b, bias, wa, wb, wbias]);
    } finally {
      setActiveBlas(null);
      await tf.setBackend("cpu");
    }
  },
});

Deno.test({
  name:
    `a small single-row product runs on one thread and leaves the thread count as it was${needsBlas}`,
  ignore: noBlas,
  fn() {
    const saved = blas().threads();
    try {
      if (!blas().setThreads(2)) return; // a BLAS without thread control: nothing to check
      const [n, k] = [512, 128];
      const a = values(k, 4);
      const b = values(k * n, 5);
      const c = new Float32Array(n);
      blas().sgemm({ m: 1, n, k, a, b, c });
      assert.equal(blas().threads(), 2);
      const expected = reference(1, n, k, { data: a, ld: k, trans: false }, {
        data: b,
        ld: n,
        trans: false,
      });
      for (let j = 0; j < n; j++) assert.ok(Math.abs(c[j] - expected[j]) < 1e-4, `column ${j}`);
    } finally {
      if (saved != null) blas().setThreads(saved);
    }
  },
});
