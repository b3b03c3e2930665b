import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/engine/backend.ts";
import { loadBlas } from "../../lib/engine/blas.ts";
import {
  installWasmMatMulWorkaround,
  isWasmMatMulWorkaroundInstalled,
  uninstallWasmMatMulWorkaround,
} from "../../lib/engine/_wasm_matmul.ts";

/** Runs `f` with TFJS_BACKEND set to `value` (or unset), restoring it afterwards. */
async function withEnv<T>(value: string | undefined, f: () => Promise<T>): Promise<T> {
  return await withVariable("TFJS_BACKEND", value, f);
}

/** `f` with the environment variable `name` set to `value` (or unset), restored afterwards. */
async function withVariable<T>(
  name: string,
  value: string | undefined,
  f: () => Promise<T>,
): Promise<T> {
  const saved = Deno.env.get(name);
  if (value === undefined) Deno.env.delete(name);
  else Deno.env.set(name, value);
  try {
    return await f();
  } finally {
    if (saved === undefined) Deno.env.delete(name);
    else Deno.env.set(name, saved);
  }
}

/** Deterministic values in [-1, 1). */
function values(count: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function assertAllClose(actual: number[], expected: number[], what: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol * scale)) {
      throw new Error(`${what}[${i}]: expected ${expected[i]} within ${tol}, got ${actual[i]}`);
    }
  }
}

/** Runs `f` on a backend and returns the values of the tensors it returns. */
async function runOn(
  backend: "cpu" | "wasm",
  f: () => tf.Tensor | tf.Tensor[],
): Promise<number[][]> {
  await selectBackend({ backend });
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const result = list.map((t) => Array.from(t.dataSync()));
  tf.dispose(list);
  return result;
}

interface MatMulCase {
  name: string;
  aShape: number[];
  bShape: number[];
  transposeA: boolean;
  transposeB: boolean;
  fused?: { bias: number; activation: tf.fused.Activation };
}

const CASES: MatMulCase[] = [
  { name: "2-D transposeA", aShape: [7, 5], bShape: [7, 6], transposeA: true, transposeB: false },
  { name: "2-D transposeB", aShape: [5, 7], bShape: [6, 7], transposeA: false, transposeB: true },
  { name: "2-D both", aShape: [7, 5], bShape: [6, 7], transposeA: true, transposeB: true },
  { name: "3-D both", aShape: [3, 7, 5], bShape: [3, 6, 7], transposeA: true, transposeB: true },
  {
    name: "3-D transposeB",
    aShape: [2, 4, 7],
    bShape: [2, 3, 7],
    transposeA: false,
    transposeB: true,
  },
  {
    name: "4-D transposeA",
    aShape: [2, 2, 7, 5],
    bShape: [2, 2, 7, 3],
    transposeA: true,
    transposeB: false,
  },
  { name: "column vector", aShape: [1, 5], bShape: [1, 4], transposeA: true, transposeB: false },
  {
    name: "fused bias+relu transposeB",
    aShape: [5, 7],
    bShape: [6, 7],
    transposeA: false,
    transposeB: true,
    fused: { bias: 6, activation: "relu" },
  },
  {
    name: "fused bias+sigmoid both",
    aShape: [7, 5],
    bShape: [6, 7],
    transposeA: true,
    transposeB: true,
    fused: { bias: 6, activation: "sigmoid" },
  },
];

function product(c: MatMulCase, withGradients: boolean): () => tf.Tensor[] {
  return () => {
    const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
    const a = tf.tensor(values(size(c.aShape), 1), c.aShape);
    const b = tf.tensor(values(size(c.bShape), 2), c.bShape);
    const bias = c.fused ? tf.tensor1d(values(c.fused.bias, 3)) : undefined;
    const f = (x: tf.Tensor, y: tf.Tensor) =>
      c.fused
        ? tf.fused.matMul({
          a: x,
          b: y,
          transposeA: c.transposeA,
          transposeB: c.transposeB,
          bias,
          activation: c.fused.activation,
        })
        : tf.matMul(x, y, c.transposeA, c.transposeB);
    if (!withGradients) return [f(a, b)];
    const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => f(x, y).square().sum());
    return [f(a, b), ...grads([a, b])];
  };
}

Deno.test("selectBackend() prefers the backend option over TFJS_BACKEND", async () => {
  const choice = await withEnv("wasm", () => selectBackend({ backend: "cpu" }));
  assert.equal(choice.name, "cpu");
  assert.equal(choice.requestedBy, "option");
  assert.equal(tf.getBackend(), "cpu");
});

Deno.test("selectBackend() uses TFJS_BACKEND when no option is given", async () => {
  const choice = await withEnv("cpu", () => selectBackend());
  assert.equal(choice.name, "cpu");
  assert.equal(choice.requestedBy, "env");
  assert.match(choice.reason, /TFJS_BACKEND="cpu"/);
  const wasm = await withEnv("wasm", () => selectBackend());
  assert.equal(wasm.name, "wasm");
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("selectBackend() rejects an unknown TFJS_BACKEND, naming it and the valid values", async () => {
  await assert.rejects(
    withEnv("webgl", () => selectBackend()),
    (error: Error) => {
      assert.match(error.message, /TFJS_BACKEND/);
      assert.match(error.message, /"auto", "tensorflow", "wasm", "cpu"/);
      assert.match(error.message, /"webgl"/);
      return true;
    },
  );
});

Deno.test("selectBackend() rejects an unknown backend option, naming the option", async () => {
  await assert.rejects(
    selectBackend({ backend: "gpu" as "cpu" }),
    /option backend: expected one of "auto", "tensorflow", "wasm", "cpu", got "gpu"/,
  );
});

Deno.test("selectBackend() returns the cpu backend's console banner instead of printing it", async () => {
  await selectBackend({ backend: "wasm" });
  // Re-register cpu so that a fresh instance prints its first-use banner again.
  const factory = tf.findBackendFactory("cpu");
  tf.removeBackend("cpu");
  tf.registerBackend("cpu", factory, 1);
  const printed: unknown[][] = [];
  const saved = [console.log, console.warn];
  console.log = console.warn = (...args: unknown[]) => printed.push(args);
  let choice;
  try {
    choice = await selectBackend({ backend: "cpu" });
  } finally {
    [console.log, console.warn] = saved;
  }
  assert.deepEqual(printed, []);
  assert.equal(choice.name, "cpu");
  assert.ok(choice.warnings.some((w) => /node backend/.test(w)), String(choice.warnings));
});

Deno.test("selectBackend() is idempotent and installs the wasm matmul workaround once", async () => {
  const first = await withEnv(undefined, () => selectBackend({ backend: "wasm" }));
  const second = await withEnv(undefined, () => selectBackend({ backend: "wasm" }));
  assert.deepEqual(second, first);
  assert.equal(second.wasmMatMulWorkaround, true);
  assert.ok(isWasmMatMulWorkaroundInstalled());
  // Installed once: a single uninstall restores the original kernels.
  assert.equal(uninstallWasmMatMulWorkaround(), true);
  assert.equal(isWasmMatMulWorkaroundInstalled(), false);
  assert.equal(uninstallWasmMatMulWorkaround(), false);
  assert.equal(installWasmMatMulWorkaround(), true);
  const off = await selectBackend({ backend: "wasm", wasmMatMulWorkaround: false });
  assert.equal(off.wasmMatMulWorkaround, false);
  assert.equal(isWasmMatMulWorkaroundInstalled(), false);
  await selectBackend({ backend: "wasm" });
  assert.equal(isWasmMatMulWorkaroundInstalled(), true);
});

Deno.test("selectBackend() with auto picks tensorflow or explains why it fell back", async () => {
  const choice = await withEnv(undefined, () => selectBackend());
  assert.equal(choice.requested, "auto");
  if (choice.name === "tensorflow") {
    assert.ok(choice.nodePackage);
  } else {
    assert.equal(choice.name, "wasm");
    assert.match(choice.reason, /^auto: @tensorflow\/tfjs-node.*(not installed|failed)/);
  }
});

Deno.test("selectBackend() asked for tensorflow without tfjs-node says how to install it", async () => {
  try {
    const choice = await withEnv(undefined, () => selectBackend({ backend: "tensorflow" }));
    assert.equal(choice.name, "tensorflow"); // tfjs-node is installed here
  } catch (error) {
    assert.match((error as Error).message, /backend: "tensorflow"/);
    assert.match((error as Error).message, /deno\.json/);
    assert.match((error as Error).message, /--allow-scripts=npm:@tensorflow\/tfjs-node/);
  }
});

for (const c of CASES) {
  Deno.test(`wasm matmul workaround matches cpu: ${c.name}`, async () => {
    const expected = await runOn("cpu", product(c, false));
    assert.ok(isWasmMatMulWorkaroundInstalled());
    const actual = await runOn("wasm", product(c, false));
    assertAllClose(actual[0], expected[0], c.name);
    uninstallWasmMatMulWorkaround();
    try {
      const original = await runOn("wasm", product(c, false));
      assertAllClose(actual[0], original[0], `${c.name} (original wasm kernel)`);
    } finally {
      installWasmMatMulWorkaround();
    }
  });
}

for (const c of CASES.filter((c) => c.aShape.length <= 3)) {
  Deno.test(`gradients through matMul agree on cpu and wasm: ${c.name}`, async () => {
    const expected = await runOn("cpu", product(c, true));
    const actual = await runOn("wasm", product(c, true));
    assert.equal(actual.length, 3);
    for (let i = 0; i < 3; i++) {
      assertAllClose(actual[i], expected[i], `${c.name} ${["value", "dA", "dB"][i]}`);
    }
  });
}

Deno.test("wasm matmul workaround leaks no tensors or backend data over 100 calls", async () => {
  await selectBackend({ backend: "wasm" });
  const a = tf.tensor(values(6 * 4, 4), [6, 4]);
  const b = tf.tensor(values(5 * 6, 5), [5, 6]);
  const bias = tf.zeros([5]);
  const run = () => {
    tf.matMul(a, b, true, true).dispose();
    tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: "relu" })
      .dispose();
  };
  run();
  const tensors = tf.memory().numTensors;
  const dataIds = tf.backend().numDataIds();
  for (let i = 0; i < 100; i++) run();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.backend().numDataIds(), dataIds);
  tf.dispose([a, b, bias]);
});

/** `f` with TFJS_WASM_THREADS set to `value` (or unset), restored afterwards. */
function withThreadsEnv<T>(value: string | undefined, f: () => Promise<T>): Promise<T> {
  return withVariable("TFJS_WASM_THREADS", value, f);
}

Deno.test("selectBackend() runs the threaded wasm build with the requested threads, same results", async () => {
  const product = () =>
    tf.tidy(() =>
      tf.matMul(
        tf.tensor2d(values(64 * 128, 5), [64, 128]),
        tf.tensor2d(values(128 * 512, 6), [128, 512]),
      )
        .dataSync()
    );
  // BLAS off: with one, the BLAS would take the threads (next test).
  const one = await selectBackend({ backend: "wasm", wasmThreads: 1, blas: "off" });
  assert.equal(one.wasmThreads, 1);
  const single = product();
  const two = await selectBackend({ backend: "wasm", wasmThreads: 2, blas: "off" });
  assert.equal(two.wasmThreads, 2, two.reason);
  assert.match(two.reason, /2 threads/);
  assert.deepEqual(product(), single); // each output element is summed in the same order
  const fromEnv = await withThreadsEnv("1", () => selectBackend({ backend: "wasm", blas: "off" }));
  assert.equal(fromEnv.wasmThreads, 1);
});

Deno.test({
  name: "selectBackend() with a BLAS gives it the threads and runs the wasm backend on one",
  ignore: loadBlas({ library: "auto" }).blas == null,
  async fn() {
    try {
      const choice = await selectBackend({ backend: "wasm", wasmThreads: 2, blas: "auto" });
      assert.equal(choice.wasmThreads, 1, choice.reason);
      assert.ok(choice.blas != null, choice.reason);
      assert.ok([2, null].includes(choice.blas.threads), choice.reason);
      assert.match(choice.reason, /the BLAS takes the 2 threads; wasm, 1 thread; LSTM products on/);
    } finally {
      await selectBackend({ backend: "wasm", wasmThreads: 1, blas: "off" });
    }
  },
});

Deno.test("selectBackend() rejects a bad TFJS_WASM_THREADS or wasmThreads, naming it", async () => {
  await assert.rejects(
    withThreadsEnv("many", () => selectBackend({ backend: "wasm" })),
    /environment variable TFJS_WASM_THREADS: expected "auto" or an integer >= 1, got "many"/,
  );
  await assert.rejects(
    selectBackend({ backend: "wasm", wasmThreads: 0 }),
    /option wasmThreads: expected "auto" or an integer >= 1, got 0/,
  );
});
