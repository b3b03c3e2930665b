/**
 * The benchmark's plan (`bench.ts`): which workloads run on which backends, with what time
 * limits, and how one runs in a child process of its own.
 *
 * @module
 */
import {
  type Case,
  type ChildResult,
  type Entry,
  type GROUPS,
  RESULT_MARK,
  usesBlas,
} from "./_bench_common.ts";
import type { GenerateVariant } from "./_bench_common.ts";

/** A planned child run: the case, what to call it, and its time limit. */
export interface Job {
  group: (typeof GROUPS)[number];
  c: Case;
  label: string;
  limitSec: number;
  /** Entries to report when the child does not finish. */
  onFail: Omit<Entry, "value" | "status" | "notes" | "peakRssMiB">[];
  /**
   * Child processes to run it in; with more than one, the entry of the middle figure is
   * reported (figures of short workloads move from process to process more than within one).
   * @default {1}
   */
  processes?: number;
}

/** What {@linkcode plan} plans for. */
export interface PlanOptions {
  /**
   * One or two batches of everything (a smoke test).
   * @default {false}
   */
  quick?: boolean;
  /** Backend labels, fastest first (see `backendLabel`). */
  backends: string[];
  /** The MIDI folder of the parse and memory workloads. */
  corpus: string;
  /**
   * Gradient Workers for the extra `fused, N workers` rows (1: none).
   * @default {1}
   */
  workers?: number;
}

/** The child runs of a benchmark, in order. */
export function plan(options: PlanOptions): Job[] {
  const { backends, corpus } = options;
  const quick = options.quick ?? false;
  const workers = options.workers ?? 1;
  const jobs: Job[] = [];
  const train = (
    model: "tutorial" | "classic",
    backend: string,
    impl: "fused" | "layers",
    batch: number,
    warmup: number,
    maxTimed: number,
    budgetSec: number,
    limitSec: number,
    n = 1,
    processes = 1,
  ) =>
    jobs.push({
      ...(processes > 1 ? { processes } : {}),
      group: model,
      c: {
        kind: "train",
        model,
        backend,
        impl,
        batch,
        warmup,
        maxTimed,
        budgetSec,
        ...(n > 1 ? { workers: n } : {}),
      },
      label: `train ${model} ${backend} ${impl}${n > 1 ? `, ${n} workers` : ""} (batch ${batch})`,
      limitSec,
      onFail: [{
        workload: `train ${model}`,
        backend,
        implementation: n > 1 ? `${impl}, ${n} workers` : impl,
        figure: "training throughput",
        unit: "samples/s",
      }],
    });
  // The per-step tfjs LSTM ("layers") only on the plain backends: neither threads nor a BLAS
  // change much for it.
  const plain = (backend: string) => !backend.startsWith("wasm, ") && !usesBlas(backend);
  const implsOf = (backend: string) =>
    plain(backend) ? ["fused", "layers"] as const : ["fused"] as const;
  for (const backend of backends) {
    const cpu = backend === "cpu";
    for (const impl of implsOf(backend)) {
      const slow = cpu || impl === "layers";
      // Batches of the fast combinations take 10-35 ms and vary with thread scheduling: the
      // median of 100 is stable to a few percent within a process, but moves by up to a third
      // from one process to the next (2-core VMs, 2026-12-02), so the middle of 3 processes.
      if (quick) train("tutorial", backend, impl, 64, 1, 2, 5, 120);
      else {
        const [warmup, timed, budget] = slow ? [1, 30, 12] : [5, 100, 15];
        train("tutorial", backend, impl, 64, warmup, timed, budget, 150, 1, slow ? 1 : 3);
      }
    }
    if (workers > 1 && backend === "wasm") {
      if (quick) train("tutorial", backend, "fused", 64, 1, 2, 5, 120, workers);
      else train("tutorial", backend, "fused", 64, 3, 30, 15, 150, workers);
    }
  }
  for (const backend of backends) {
    const cpu = backend === "cpu";
    for (const impl of implsOf(backend)) {
      // cpu: one batch of 8 (a batch of 64 would take minutes); layers: one batch, capped.
      const batch = cpu || quick ? 8 : 64;
      const limit = quick ? 90 : impl === "layers" ? (cpu ? 60 : 90) : (cpu ? 90 : 150);
      const warmup = !quick && !cpu && impl === "fused" ? 1 : 0;
      const timed = !quick && !cpu && impl === "fused" ? 3 : 1;
      train("classic", backend, impl, batch, warmup, timed, 30, limit);
    }
    if (workers > 1 && backend === "wasm") {
      train(
        "classic",
        backend,
        "fused",
        quick ? 8 : 64,
        quick ? 0 : 1,
        quick ? 1 : 3,
        30,
        quick ? 90 : 150,
        workers,
      );
    }
  }
  for (const backend of backends) {
    const cpu = backend === "cpu";
    const q = (n: number) => quick ? Math.min(n, 5) : n;
    const layers = plain(backend);
    const tutorial: GenerateVariant[] = [
      { method: "window", impl: "fused", count: q(cpu ? 100 : 300) },
      ...(layers ? [{ method: "window", impl: "layers", count: q(cpu ? 30 : 100) } as const] : []),
      { method: "carried", impl: "fused", count: q(3000) },
      { method: "exact", impl: "fused", count: q(cpu ? 300 : 1000) },
    ];
    const classic: GenerateVariant[] = [
      { method: "window", impl: "fused", count: q(cpu ? 3 : 15) },
      ...(layers ? [{ method: "window", impl: "layers", count: q(cpu ? 2 : 5) } as const] : []),
      { method: "carried", impl: "fused", count: q(cpu ? 50 : 300) },
    ];
    // The exact window costs the window method's arithmetic: on cpu its warm-up alone is
    // about half a minute.
    if (!cpu) classic.push({ method: "exact", impl: "fused", count: q(10) });
    for (const [model, variants] of [["tutorial", tutorial], ["classic", classic]] as const) {
      jobs.push({
        group: "generate",
        c: { kind: "generate", model, backend, variants: [...variants] },
        label: `generate ${model} ${backend}`,
        limitSec: quick ? 120 : 200,
        onFail: variants.map((v) => ({
          workload: `generate ${model}`,
          backend,
          implementation: v.method === "window"
            ? `window re-feed (${v.impl})`
            : v.method === "carried"
            ? "stateful, carried state"
            : "stateful, exact window",
          figure: "generation speed",
          unit: model === "tutorial" ? "notes/s" : "tokens/s",
        })),
      });
    }
  }
  jobs.push({
    group: "parse",
    c: { kind: "parse", corpus },
    label: `parse ${corpus}`,
    limitSec: 120,
    onFail: ["files/s", "notes/s"].map((unit) => ({
      workload: "parse midi",
      backend: "-",
      implementation: "loadMidiFolder",
      figure: "parsing speed",
      unit,
    })),
  });
  for (const family of ["tutorial", "classic"] as const) {
    jobs.push({
      group: "memory",
      c: { kind: "memory", family, corpus, factor: 10, budgetSec: quick ? 5 : 45 },
      label: `prepare ${family} dataset x10`,
      limitSec: 180,
      onFail: [{
        workload: `prepare ${family} dataset`,
        backend: "wasm",
        implementation: `${family}Dataset`,
        figure: "peak RSS, corpus x10",
        unit: "MiB",
      }],
    });
  }
  return jobs;
}

/** VmHWM of a running process, MiB, or `null`. */
function peakOf(pid: number): number | null {
  try {
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** Where a job's child runs: the benchmark script (with `--case`) and the project root. */
export interface JobPlace {
  script: string;
  root: string;
}

/**
 * Runs one job in `job.processes` child processes, one after another, and turns what
 * happened into entries: with several, the entries of the process with the middle figure,
 * its notes naming every process's figure.
 */
export async function runJob(job: Job, place: JobPlace): Promise<Entry[]> {
  const processes = job.processes ?? 1;
  const runs: Entry[][] = [];
  for (let i = 0; i < processes; i++) runs.push(await runOnce(job, place));
  if (processes === 1) return runs[0];
  const failed = runs.find((r) => r.length !== 1 || r[0].status !== "ok" || r[0].value == null);
  if (failed) return failed;
  const sorted = runs.map((r) => r[0]).sort((a, b) => a.value! - b.value!);
  const middle = sorted[Math.floor(sorted.length / 2)];
  const figures = runs.map((r) => Number(r[0].value!.toPrecision(4))).join(", ");
  return [{
    ...middle,
    notes: `${middle.notes}; the middle of ${processes} processes (${figures} ${middle.unit})`,
  }];
}

/** Runs one job in a child process and turns what happened into entries. */
async function runOnce(job: Job, place: JobPlace): Promise<Entry[]> {
  const { script, root } = place;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--case", JSON.stringify(job.c)],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed = false;
  let polledPeak: number | null = null;
  const poll = setInterval(() => {
    polledPeak = Math.max(polledPeak ?? 0, peakOf(child.pid) ?? 0) || polledPeak;
  }, 250);
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, job.limitSec * 1000);
  const t0 = performance.now();
  const output = await child.output();
  clearTimeout(timer);
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARK));
  if (output.success && line) {
    const result = JSON.parse(line.slice(RESULT_MARK.length)) as ChildResult;
    const peak = result.peakRssMiB ?? polledPeak;
    return result.entries.map((e) => ({ ...e, peakRssMiB: peak }));
  }
  const lastLines = stderr.trim().split("\n").filter((l) => l.trim() !== "").slice(-3)
    .join(" | ").slice(0, 300);
  let status = "error";
  let notes: string;
  if (killed) {
    status = "too slow";
    notes = `stopped after the ${job.limitSec} s limit without finishing`;
  } else if (
    /out of memory|\bOOM\b|Cannot enlarge memory|allocation failed|Aborted\(/i.test(stderr) ||
    output.signal === "SIGKILL"
  ) {
    status = "out of memory";
    notes = `ran out of memory after ${seconds.toFixed(0)} s: ${lastLines}`;
  } else {
    notes = `exit ${output.code}${output.signal ? ` (${output.signal})` : ""}: ${lastLines}`;
  }
  return job.onFail.map((f) => ({ ...f, value: null, status, notes, peakRssMiB: polledPeak }));
}
