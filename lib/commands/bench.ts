/**
 * `deno task bench`: measures, in one run and on the same inputs, how fast this project
 * trains and generates and how much memory it needs, beside PyTorch on the same machine:
 *
 * - training throughput (samples/s, median over timed batches after warm-up) of the
 *   tutorial model (LSTM(128), windows of 25, batch 64) and the classic model (preset
 *   `"classic"`: 3 x LSTM(512), windows of 100, 358 random labels), per backend and LSTM
 *   implementation (`fused`, `layers`): `_bench_train.ts`;
 * - generation speed (notes/s, tokens/s): re-feeding the window (the lesson's sampling loop)
 *   against stepping a carried state (`engine/stateful.ts`): `_bench_generate.ts`;
 * - MIDI parsing speed (files/s, notes/s) over a corpus folder, and the peak memory (RSS) of
 *   preparing the training data of a corpus 10 times the folder: `_bench_data.ts`;
 * - the same two models in PyTorch (tutorial batch 64 with Adam, classic batch 64 with
 *   RMSprop, generation with a carried state) when a Python imports `torch`
 *   (`_bench_pytorch.ts`), right after the project's rows of each workload, at its best: tried
 *   with 1 and 2 torch threads (and the benchmark's count when more), each with OpenMP's
 *   default wait policy and with `OMP_WAIT_POLICY=PASSIVE`; its row of each workload is the
 *   fastest of these, and every training and generation figure shows as a ratio to it.
 *
 * Every workload runs in a child process of its own, with a time limit (`_bench_plan.ts`), so
 * that each peak memory figure is that workload's alone and a hopeless combination ends as
 * "too slow" or "out of memory" instead of ending the run. Results go to
 * `out/bench/latest.json` and `out/bench/latest.md` (a table, also printed; `_bench_report.ts`);
 * a full run (not `--quick`, no `--only`) also writes `docs/bench/<machine>.md`, the machine
 * named by its CPU model and cores (`amd-epyc-2-cores`): the file the docs link to.
 *
 * ```
 * deno run -A lib/commands/bench.ts [--quick] [--only tutorial,classic,generate,parse,memory]
 *          [--corpus DIR] [--out DIR] [--workers N] [--threads N|auto] [--pytorch auto|off]
 * ```
 *
 * Backends (rows): `wasm + BLAS, N threads` and `wasm + BLAS` run the fused LSTM's products
 * on the system's BLAS (`engine/blas.ts`; MIDI_LSTM_BLAS picks the library, `off` drops these
 * rows) with N or 1 threads, the wasm backend on one; `wasm, N threads` and `wasm` are the
 * wasm backend alone (BLAS off), `cpu` plain JS. `--threads N` (default `auto`: one per core,
 * at most 4) is N (PyTorch tries it too when above 2); `--threads 1` leaves the threaded rows
 * out.
 *
 * `--workers N` (N > 1) adds rows for fused training on wasm with each batch split across N
 * threads (`engine/workers.ts`).
 *
 * `--corpus` defaults to MIDI_CORPUS_DIR when set, else `data/tunes`. `--quick` runs one or
 * two batches of everything (a smoke test, figures not meaningful).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  backendLabel,
  type Case,
  type ChildResult,
  type Entry,
  GROUPS,
  MEMORY_TARGET_MIB,
  ownPeakRssMiB,
  RESULT_MARK,
} from "./_bench_common.ts";
import { plan, runJob } from "./_bench_plan.ts";
import {
  cpuModel,
  fastestPytorch,
  formatValue,
  machineInfo,
  machineReport,
  machineReportPath,
  machineSlug,
  markdown,
  pytorchFootnote,
  terminalTable,
} from "./_bench_report.ts";
import {
  findTorchPython,
  PYTORCH_BACKEND,
  pytorchLabel,
  pytorchTries,
  runPytorch,
} from "./_bench_pytorch.ts";

/** Runs one workload in this (child) process and prints its result line. */
async function runChild(c: Case): Promise<void> {
  let entries: ChildResult["entries"];
  if (c.kind === "train") entries = await (await import("./_bench_train.ts")).runTrain(c);
  else if (c.kind === "generate") {
    entries = await (await import("./_bench_generate.ts")).runGenerate(c);
  } else if (c.kind === "parse") entries = await (await import("./_bench_data.ts")).runParse(c);
  else entries = await (await import("./_bench_data.ts")).runMemory(c);
  const peakRssMiB = ownPeakRssMiB();
  for (const e of entries) {
    if (e.unit !== "MiB" || e.value !== null) continue;
    e.value = peakRssMiB;
    if (peakRssMiB !== null) {
      e.notes += `; the issue's target, under ${MEMORY_TARGET_MIB} MiB: ${
        peakRssMiB < MEMORY_TARGET_MIB ? "met" : "NOT met"
      }`;
    }
  }
  const result: ChildResult = { entries, peakRssMiB };
  console.log(RESULT_MARK + JSON.stringify(result));
}

/** Why the tensorflow backend cannot start, or `null` when it can. */
async function tensorflowAvailable(): Promise<string | null> {
  const { selectBackend } = await import("../engine/backend.ts");
  try {
    await selectBackend({ backend: "tensorflow" });
    return null;
  } catch (e) {
    return (e as Error).message.split(". ")[0];
  }
}

/** A row for something that could not run at all. */
function unavailable(backend: string, notes: string): Entry {
  return {
    workload: "all",
    backend,
    implementation: "-",
    figure: "-",
    unit: "-",
    value: null,
    status: "unavailable",
    notes,
    peakRssMiB: null,
  };
}

/** The PyTorch workloads of each group of the plan. */
const PYTORCH_OF_GROUP: Record<string, string[]> = {
  tutorial: ["train-tutorial"],
  classic: ["train-classic"],
  generate: ["generate-tutorial", "generate-classic"],
};

/** The PyTorch workloads that match the selected groups. */
function pytorchWorkloads(only: string[]): string[] {
  return only.flatMap((g) => PYTORCH_OF_GROUP[g] ?? []);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      corpus: { type: "string" },
      out: { type: "string", default: "out/bench" },
      case: { type: "string" },
      workers: { type: "string", default: "1" },
      threads: { type: "string", default: "auto" },
      pytorch: { type: "string", default: "auto" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.case) return await runChild(JSON.parse(values.case) as Case);
  if (values.help) {
    console.log(
      "deno run -A lib/commands/bench.ts [--quick] [--only " + GROUPS.join(",") +
        "] [--corpus DIR] [--out DIR] [--workers N] [--threads N|auto] [--pytorch auto|off]",
    );
    return;
  }
  const only = values.only ? values.only.split(",").map((s) => s.trim()) : [...GROUPS];
  const unknown = only.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length > 0) {
    throw new Error(`--only: expected some of ${GROUPS.join(",")}, got ${unknown.join(",")}`);
  }
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`--workers: expected an integer >= 1, got ${values.workers}`);
  }
  if (values.pytorch !== "auto" && values.pytorch !== "off") {
    throw new Error(`--pytorch: expected "auto" or "off", got ${values.pytorch}`);
  }
  const corpus = resolve(values.corpus ?? Deno.env.get("MIDI_CORPUS_DIR") ?? "data/tunes");
  const script = fileURLToPath(import.meta.url);
  const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
  const needsTf = only.some((g) => g !== "parse");
  const machine = await machineInfo();
  const slug = machineSlug(cpuModel(), navigator.hardwareConcurrency ?? 1);
  machine.command = ["deno task bench", ...Deno.args].join(" ");
  machine.machine = slug;
  const threads = values.threads === "auto"
    ? Math.min(4, navigator.hardwareConcurrency ?? 1)
    : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`--threads: expected "auto" or an integer >= 1, got ${values.threads}`);
  }
  const wasm = threads > 1 ? [backendLabel(threads), "wasm"] : ["wasm"];
  const backends = [...wasm, "cpu"];
  const entries: Entry[] = [];
  if (needsTf) {
    const { loadBlas } = await import("../engine/blas.ts");
    const blas = loadBlas();
    if (blas.blas != null) {
      backends.unshift(
        ...(threads > 1 ? [backendLabel(threads, true)] : []),
        backendLabel(1, true),
      );
      machine.blas = `${blas.reason}; ${blas.blas.config}`;
    } else {
      const install = blas.install === "" ? "" : `; install one: ${blas.install}`;
      entries.push(unavailable("wasm + BLAS", `${blas.reason}${install}`));
      machine.blas = blas.reason;
    }
    const why = await tensorflowAvailable();
    if (why === null) backends.unshift("tensorflow");
    else entries.push(unavailable("tensorflow", why));
  }
  const torchWork = values.pytorch === "auto" ? pytorchWorkloads(only) : [];
  const torch = torchWork.length > 0 ? await findTorchPython() : null;
  if (torch?.python == null && torchWork.length > 0) {
    entries.push(unavailable(PYTORCH_BACKEND, torch!.detail));
  }
  const load = () => Deno.loadavg().map((l) => l.toFixed(2)).join(", ");
  machine["load average (1, 5, 15 min) at start"] = load();
  machine.mode = values.quick ? "quick (smoke test: figures not meaningful)" : "full";
  machine.corpus = corpus;
  const jobs = plan({ quick: values.quick, backends, corpus, workers })
    .filter((j) => only.includes(j.group));
  console.log(
    `benchmark: ${jobs.length} workloads${torch?.python ? " and PyTorch" : ""}, ${machine.cpu}, ` +
      `load ${load()}`,
  );
  const started = performance.now();
  // PyTorch's workloads of a group run right after the group's own rows, so that a machine
  // whose speed drifts during the run (a VM's neighbours) moves both sides of a ratio alike.
  const pytorchAfter = async (group: string) => {
    const work = PYTORCH_OF_GROUP[group] ?? [];
    if (torch?.python == null || torchWork.length === 0 || work.length === 0) return;
    // Each setting in a process of its own (OpenMP reads its wait policy at start); the row
    // of each workload is the fastest setting, and the ratios use it.
    const tries = pytorchTries(threads);
    const runs: Entry[][] = [];
    for (const setting of tries) {
      const t0 = performance.now();
      const result = await runPytorch({
        python: torch.python,
        ...setting,
        only: work,
        quick: values.quick,
        limitSec: values.quick ? 180 : 600,
      });
      runs.push(result);
      const summary = result.map((e) =>
        `${e.workload} ${e.status === "ok" ? `${formatValue(e)} ${e.unit}` : e.status}`
      ).join(", ");
      console.log(
        `  ${pytorchLabel(setting)}: ${summary} ` +
          `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    }
    entries.push(...fastestPytorch(runs));
    const counts = [...new Set(tries.map((t) => t.threads))].join(" and ").replace(
      / and (?=.* and )/g,
      ", ",
    );
    machine.pytorch = `torch ${torch.detail} (${torch.python}), the fastest of ${counts} ` +
      `threads, each with OMP_WAIT_POLICY unset and PASSIVE`;
  };
  for (const [i, job] of jobs.entries()) {
    const t0 = performance.now();
    const result = await runJob(job, { script, root });
    entries.push(...result);
    const summary = result.map((e) =>
      e.status === "ok" ? `${formatValue(e)} ${e.unit}` : `${e.status}`
    ).join(", ");
    console.log(
      `  ${job.label}: ${summary} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
    if (jobs[i + 1]?.group !== job.group) await pytorchAfter(job.group);
  }
  machine["load average (1, 5, 15 min) at end"] = load();
  machine["total time"] = `${((performance.now() - started) / 1000).toFixed(0)} s`;
  const outDir = resolve(values.out!);
  await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeTextFile(
    join(outDir, "latest.json"),
    JSON.stringify({ date: machine.date, machine, entries }, null, 2) + "\n",
  );
  await Deno.writeTextFile(join(outDir, "latest.md"), markdown({ entries, machine }));
  console.log("");
  console.log(terminalTable(entries));
  console.log("");
  console.log(`* ${pytorchFootnote(entries)}`);
  console.log(`wrote ${join(outDir, "latest.json")} and ${join(outDir, "latest.md")}`);
  const report = machineReportPath(slug, { quick: values.quick, groups: only });
  if (report === null) {
    console.log("a quick or partial run: docs/bench/ left as it was");
    return;
  }
  await Deno.mkdir(dirname(join(root, report)), { recursive: true });
  await Deno.writeTextFile(join(root, report), machineReport({ entries, machine, slug }));
  console.log(`wrote ${report}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
