import assert from "node:assert/strict";
import {
  backendLabel,
  type Entry,
  productsNote,
  usesBlas,
} from "../../lib/commands/_bench_common.ts";
import { plan } from "../../lib/commands/_bench_plan.ts";
import { pytorchLabel, pytorchTries } from "../../lib/commands/_bench_pytorch.ts";
import {
  fastestPytorch,
  markdown,
  pytorchFootnote,
  ratioToPytorch,
} from "../../lib/commands/_bench_report.ts";

function entry(over: Partial<Entry>): Entry {
  return {
    workload: "train tutorial",
    backend: "wasm",
    implementation: "fused",
    figure: "training throughput",
    unit: "samples/s",
    value: 100,
    status: "ok",
    notes: "",
    peakRssMiB: null,
    ...over,
  };
}

Deno.test("backendLabel() names the BLAS rows and their threads", () => {
  assert.equal(backendLabel(1), "wasm");
  assert.equal(backendLabel(2), "wasm, 2 threads");
  assert.equal(backendLabel(1, true), "wasm + BLAS");
  assert.equal(backendLabel(2, true), "wasm + BLAS, 2 threads");
  assert.ok(usesBlas("wasm + BLAS, 2 threads"));
  assert.ok(!usesBlas("wasm, 2 threads"));
});

Deno.test("plan() runs the fused LSTM on the BLAS rows and the per-step LSTM only on plain ones", () => {
  const backends = [backendLabel(2, true), backendLabel(1, true), backendLabel(2), "wasm", "cpu"];
  const jobs = plan({ backends, corpus: "data/tunes" });
  const train = jobs.filter((j) => j.c.kind === "train");
  for (const backend of backends) {
    const impls = train.filter((j) => j.c.kind === "train" && j.c.backend === backend)
      .map((j) => j.c.kind === "train" ? j.c.impl : "");
    const plain = backend === "wasm" || backend === "cpu";
    // Both models, each with the per-step LSTM on the plain backends only.
    assert.deepEqual(impls, plain ? ["fused", "layers", "fused", "layers"] : ["fused", "fused"]);
  }
  const classicBlas = train.find((j) =>
    j.c.kind === "train" && j.c.model === "classic" && j.c.backend === "wasm + BLAS, 2 threads"
  );
  assert.equal(classicBlas?.c.kind === "train" && classicBlas.c.batch, 64, "batch 64, as PyTorch");
  assert.ok(jobs.some((j) => j.c.kind === "generate" && j.c.backend === "wasm + BLAS"));
});

Deno.test("ratioToPytorch() divides training and generation figures by PyTorch's, same workload", () => {
  const torch = entry({ backend: "pytorch 1.13.0, 2 threads", value: 50 });
  const torchGen = entry({
    workload: "generate classic",
    backend: "pytorch 1.13.0, 2 threads",
    unit: "tokens/s",
    value: 200,
  });
  const ours = entry({ value: 125 });
  const gen = entry({ workload: "generate classic", unit: "tokens/s", value: 300 });
  const parse = entry({ workload: "parse midi", unit: "files/s", value: 10 });
  const classic = entry({ workload: "train classic", value: 10 });
  const all = [ours, gen, parse, classic, torch, torchGen];
  assert.equal(ratioToPytorch(ours, all), "2.50x");
  assert.equal(ratioToPytorch(gen, all), "1.50x");
  assert.equal(ratioToPytorch(parse, all), "", "no PyTorch figure for parsing");
  assert.equal(ratioToPytorch(classic, all), "", "no PyTorch classic row here");
  assert.equal(ratioToPytorch(torch, all), "", "PyTorch's own row");
  assert.match(markdown({ entries: all, machine: { date: "d" } }), /\| 2\.50x \|/);
  assert.match(pytorchFootnote(all), /measured in this run/);
});

Deno.test("ratioToPytorch() compares with the fastest of PyTorch's rows", () => {
  const two = entry({ backend: "pytorch 1.13.0, 2 threads", value: 40 });
  const one = entry({ backend: "pytorch 1.13.0, 1 thread", value: 50 });
  const ours = entry({ value: 100 });
  assert.equal(ratioToPytorch(ours, [ours, two, one]), "2.00x");
  assert.equal(ratioToPytorch(ours, [ours, one, two]), "2.00x", "whatever the order");
  assert.match(pytorchFootnote([ours, two, one]), /\(pytorch 1\.13\.0 at its best: the fastest/);
});

Deno.test("pytorchTries() tries 1 and 2 threads (and the benchmark's count), each also with OMP_WAIT_POLICY=PASSIVE", () => {
  const settings = (threads: number) =>
    pytorchTries(threads).map((t) => pytorchLabel(t).replace("pytorch, ", ""));
  const two = [
    "1 thread",
    "1 thread, OMP_WAIT_POLICY=PASSIVE",
    "2 threads",
    "2 threads, OMP_WAIT_POLICY=PASSIVE",
  ];
  assert.deepEqual(settings(2), two);
  assert.deepEqual(settings(1), two, "2 threads even when the benchmark runs 1");
  assert.deepEqual(
    settings(4),
    [...two, "4 threads", "4 threads, OMP_WAIT_POLICY=PASSIVE"],
  );
  assert.equal(
    pytorchLabel(
      { threads: 2, waitPolicy: "PASSIVE" },
      { version: "1.13.0a0", blasThreads: 2 },
    ),
    "pytorch 1.13.0a0, 2 threads, OMP_WAIT_POLICY=PASSIVE (its BLAS: 2)",
  );
});

Deno.test("fastestPytorch() keeps the fastest setting of each workload, every ratio is to it, and its notes list all", () => {
  const torch = (backend: string, tutorial: number | null, classic: number) => [
    entry({
      backend: `pytorch 1.13.0, ${backend}`,
      value: tutorial,
      status: tutorial === null ? "error" : "ok",
      notes: `tutorial ${backend}`,
    }),
    entry({ workload: "train classic", backend: `pytorch 1.13.0, ${backend}`, value: classic }),
  ];
  const rows = fastestPytorch([
    torch("1 thread", 30, 8),
    torch("1 thread, OMP_WAIT_POLICY=PASSIVE", 33, 9),
    torch("2 threads", null, 5),
    torch("2 threads, OMP_WAIT_POLICY=PASSIVE", 44, 7),
  ]);
  assert.deepEqual(rows.map((r) => [r.workload, r.backend, r.value]), [
    ["train tutorial", "pytorch 1.13.0, 2 threads, OMP_WAIT_POLICY=PASSIVE", 44],
    ["train classic", "pytorch 1.13.0, 1 thread, OMP_WAIT_POLICY=PASSIVE", 9],
  ]);
  assert.equal(
    rows[0].notes,
    "tutorial 2 threads, OMP_WAIT_POLICY=PASSIVE; the fastest of 4 settings: " +
      "1 thread: 30.0 samples/s; 1 thread, OMP_WAIT_POLICY=PASSIVE: 33.0 samples/s; " +
      "2 threads: error; 2 threads, OMP_WAIT_POLICY=PASSIVE: 44.0 samples/s",
  );
  const ours = [entry({ value: 88 }), entry({ workload: "train classic", value: 18 })];
  const all = [...ours, ...rows];
  assert.deepEqual(ours.map((e) => ratioToPytorch(e, all)), ["2.00x", "2.00x"]);
  // No setting measured: the first setting's row, saying so.
  const failed = fastestPytorch([
    [entry({ backend: "pytorch, 1 thread", value: null, status: "too slow", notes: "limit" })],
    [entry({ backend: "pytorch, 2 threads", value: null, status: "error", notes: "exit 1" })],
  ]);
  assert.equal(failed.length, 1);
  assert.equal(failed[0].status, "too slow");
  assert.equal(failed[0].notes, "limit; no setting measured: 1 thread: too slow; 2 threads: error");
  assert.equal(ratioToPytorch(entry({}), [entry({}), ...failed]), "");
  assert.deepEqual(fastestPytorch([]), []);
});

Deno.test("pytorchFootnote() says why there is no PyTorch figure", () => {
  const missing = entry({
    workload: "all",
    backend: "pytorch",
    value: null,
    status: "unavailable",
    notes: "no Python imports torch",
  });
  assert.match(
    pytorchFootnote([entry({}), missing]),
    /no PyTorch figures .*no Python imports torch/,
  );
  assert.match(pytorchFootnote([entry({})]), /not part of this run/);
});

Deno.test("productsNote() keeps where the LSTM products ran from a backend's reason", () => {
  assert.equal(
    productsNote(
      'requested by backend: "wasm"; wasm, 2 threads; LSTM products on OpenBLAS 0.3.21 (libopenblas.so.0), 2 threads',
    ),
    "; LSTM products on OpenBLAS 0.3.21 (libopenblas.so.0), 2 threads",
  );
  assert.equal(productsNote('requested by backend: "tensorflow"'), "");
});

Deno.test({
  name: "the PyTorch reference script compiles",
  ignore: (() => {
    try {
      return !new Deno.Command("python3", { args: ["--version"] }).outputSync().success;
    } catch {
      return true;
    }
  })(),
  fn() {
    const script = new URL("../../lib/commands/_bench_pytorch.py", import.meta.url).pathname;
    const code = `import ast, sys; ast.parse(open(sys.argv[1]).read())`;
    const out = new Deno.Command("python3", { args: ["-c", code, script] }).outputSync();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  },
});
