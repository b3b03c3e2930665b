import assert from "node:assert/strict";
import {
  backendLabel,
  type Entry,
  productsNote,
  usesBlas,
} from "../../lib/commands/_bench_common.ts";
import { plan } from "../../lib/commands/_bench_plan.ts";
import { markdown, pytorchFootnote, ratioToPytorch } from "../../lib/commands/_bench_report.ts";

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

Deno.test("ratioToPytorch() compares with the faster of PyTorch's thread counts", () => {
  const two = entry({ backend: "pytorch 1.13.0, 2 threads", value: 40 });
  const one = entry({ backend: "pytorch 1.13.0, 1 thread", value: 50 });
  const ours = entry({ value: 100 });
  assert.equal(ratioToPytorch(ours, [ours, two, one]), "2.00x");
  assert.equal(ratioToPytorch(ours, [ours, one, two]), "2.00x", "whatever the order");
  assert.match(pytorchFootnote([ours, two, one]), /2 threads and 1 thread: the faster of them/);
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
