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
  machineReport,
  machineReportPath,
  machineSlug,
  markdown,
  pytorchFootnote,
  ratioToPytorch,
} from "../../lib/commands/_bench_report.ts";
import { GROUPS } from "../../lib/commands/_bench_common.ts";
import { checkDocs } from "../../lib/commands/check_docs.ts";

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

Deno.test("machineSlug() names a machine by its CPU model's words and its cores", () => {
  assert.equal(machineSlug("AMD EPYC", 2), "amd-epyc-2-cores");
  assert.equal(machineSlug("AMD EPYC 7B13 64-Core Processor", 2), "amd-epyc-7b13-2-cores");
  assert.equal(machineSlug("Intel(R) Xeon(R) CPU @ 2.20GHz", 4), "intel-xeon-4-cores");
  assert.equal(
    machineSlug("Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz", 8),
    "intel-core-i7-8550u-8-cores",
  );
  assert.equal(machineSlug("darwin aarch64", 1), "darwin-aarch64-1-core");
  assert.equal(machineSlug("  (R) ", 2), "unknown-cpu-2-cores");
});

Deno.test("machineReportPath() gives docs/bench/<machine>.md for a full run only", () => {
  const all = [...GROUPS];
  assert.equal(
    machineReportPath("amd-epyc-2-cores", { quick: false, groups: all }),
    "docs/bench/amd-epyc-2-cores.md",
  );
  assert.equal(machineReportPath("amd-epyc-2-cores", { quick: true, groups: all }), null);
  assert.equal(
    machineReportPath("amd-epyc-2-cores", { quick: false, groups: ["tutorial", "classic"] }),
    null,
    "a partial run would replace the machine's full figures",
  );
});

/** Entries of a small run: PyTorch, a project row, a failed row, and one that could not run. */
function reportEntries(): Entry[] {
  return [
    entry({ backend: "wasm + BLAS, 2 threads", value: 4000, peakRssMiB: 310.4, notes: "a | b" }),
    entry({ backend: "pytorch 1.13.0, 1 thread", value: 3200, notes: "torch" }),
    entry({
      workload: "generate classic",
      backend: "wasm",
      implementation: "carried",
      unit: "tokens/s",
      value: null,
      status: "error",
      notes: "exit 1: `lib/gone.ts` failed\non two lines",
    }),
    entry({
      workload: "all",
      backend: "tensorflow",
      value: null,
      status: "unavailable",
      notes: "no tfjs-node",
    }),
  ];
}

Deno.test("machineReport() gives the date, the machine and versions, and a table per workload", () => {
  const machine = {
    date: "2026-12-09T10:00:00.000Z",
    os: "linux 6.1 (x86_64)",
    cpu: "AMD EPYC, 2 logical cores",
    deno: "2.9.6",
    tfjs: "4.22.0",
    command: "deno task bench --workers 2",
  };
  const text = machineReport({ entries: reportEntries(), machine, slug: "amd-epyc-2-cores" });
  const lines = text.split("\n");
  assert.equal(lines[0], "# Benchmark: amd-epyc-2-cores");
  assert.match(text, /a full run\) on 2026-12-09T10:00:00\.000Z/);
  const headings = lines.filter((l) => l.startsWith("## "));
  assert.deepEqual(headings, [
    "## Machine and versions",
    "## train tutorial",
    "## generate classic",
    "## Not measured",
  ]);
  // the machine table: date and command first, then the versions
  const keys = lines.filter((l) => /^\| (date|command|cpu|deno|tfjs|os) /.test(l))
    .map((l) => l.split("|")[1].trim());
  assert.deepEqual(keys, ["date", "command", "cpu", "os", "deno", "tfjs"]);
  const ours = lines.find((l) => l.startsWith("| wasm + BLAS, 2 threads"));
  assert.ok(ours);
  assert.deepEqual(ours.split("|").slice(1, -1).map((c) => c.trim()), [
    "wasm + BLAS, 2 threads",
    "fused",
    "4,000 samples/s",
    "1.25x",
    "ok",
    "310",
    "a / b",
  ]);
  // every row of a table has as many cells as its header, and the columns line up
  for (const block of text.split("\n\n").filter((b) => b.startsWith("|"))) {
    const rows = block.split("\n");
    assert.ok(rows.every((r) => r.length === rows[0].length), block);
    assert.ok(rows.every((r) => r.split("|").length === rows[0].split("|").length), block);
  }
  assert.match(text, /^- tensorflow: no tfjs-node$/m);
  assert.match(text, /^\\\* vs PyTorch: /m);
  assert.ok(text.endsWith("\n"));
});

Deno.test("machineReport() leaves deno task check's docs check nothing to report", () => {
  const text = machineReport({
    entries: reportEntries(),
    machine: { date: "d" },
    slug: "amd-epyc-2-cores",
  });
  assert.ok(!text.includes("lib/gone.ts`"), "a note's backticks are dropped");
  const tree = { files: new Set<string>(), exports: new Map(), words: new Set<string>() };
  assert.deepEqual(checkDocs([{ path: "docs/bench/amd-epyc-2-cores.md", text }], tree), []);
});

Deno.test("machineReport() writes what deno fmt would (deno task check formats docs/)", async () => {
  const text = machineReport({
    entries: reportEntries(),
    machine: { date: "d", cpu: "AMD EPYC, 2 logical cores", blas: "OpenBLAS — 2 threads" },
    slug: "amd-epyc-2-cores",
  });
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/report.md`;
    await Deno.writeTextFile(file, text);
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--check", "--config", config, file],
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
