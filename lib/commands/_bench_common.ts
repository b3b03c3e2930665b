/**
 * What the benchmark's parent and its children share: the figures' and workloads' types, the
 * line a child reports on, and the backends of the plan (see `bench.ts`).
 *
 * @module
 */

/** One measured (or not measured) figure. */
export interface Entry {
  /** What ran: `train tutorial`, `generate classic`, `parse midi`, ... */
  workload: string;
  /** tfjs backend, or `-` where none is involved. */
  backend: string;
  /** LSTM implementation or generation method. */
  implementation: string;
  /** What the value is. */
  figure: string;
  unit: string;
  /** `null` when not measured. */
  value: number | null;
  /** `ok`, `too slow`, `out of memory`, `skipped`, `unavailable` or `error`. */
  status: string;
  notes: string;
  /** Peak resident memory of the workload's process, MiB (`null`: unknown). */
  peakRssMiB: number | null;
}

/** The training workloads' settings. */
export interface TrainCase {
  kind: "train";
  model: "tutorial" | "classic";
  backend: string;
  impl: "fused" | "layers";
  batch: number;
  warmup: number;
  maxTimed: number;
  /** Stop timing batches after this many seconds (at least one batch is timed). */
  budgetSec: number;
  /** Gradient computations per batch (`engine/workers.ts`); 1 or absent: none. */
  workers?: number;
}

/** One generation method of a generation workload. */
export interface GenerateVariant {
  method: "window" | "carried" | "exact";
  impl: "fused" | "layers";
  count: number;
}

/** A generation workload: one model, one backend, several methods. */
export interface GenerateCase {
  kind: "generate";
  model: "tutorial" | "classic";
  backend: string;
  variants: GenerateVariant[];
}

/** MIDI parsing speed over a corpus folder. */
export interface ParseCase {
  kind: "parse";
  corpus: string;
}

/** Peak memory of preparing a family's training data from a corpus `factor` times a folder. */
export interface MemoryCase {
  kind: "memory";
  family: "tutorial" | "classic";
  corpus: string;
  factor: number;
  /** Stop iterating the dataset after this many seconds. */
  budgetSec: number;
}

/** Any workload a child runs. */
export type Case = TrainCase | GenerateCase | ParseCase | MemoryCase;

/** What a child prints on its last line, after {@linkcode RESULT_MARK}. */
export interface ChildResult {
  entries: Omit<Entry, "peakRssMiB">[];
  /** VmHWM of the child, MiB. */
  peakRssMiB: number | null;
}

/** Starts the line a child reports its {@linkcode ChildResult} on. */
export const RESULT_MARK = "BENCH_RESULT ";
/** Bytes in a MiB. */
export const MIB = 1024 * 1024;
/** Peak memory the issue allows for preparing a dataset 10 times the Nottingham set. */
export const MEMORY_TARGET_MIB = 1536;

/** The workload groups `--only` selects. */
export const GROUPS = ["tutorial", "classic", "generate", "parse", "memory"] as const;

/** Peak resident set size of this process (VmHWM), MiB; `null` where /proc is missing. */
export function ownPeakRssMiB(): number | null {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** The median of `values` (not changed). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A backend label of the plan: `wasm` runs one thread, `wasm, N threads` the threaded build;
 * with `blas`, the fused LSTM's products run on the system's BLAS with N threads and the wasm
 * backend on one (`wasm + BLAS`, `wasm + BLAS, N threads`: `selectBackend`'s rule). Rows
 * without `BLAS` in the label keep it off.
 */
export function backendLabel(threads: number, blas = false): string {
  const base = blas ? "wasm + BLAS" : "wasm";
  return threads > 1 ? `${base}, ${threads} threads` : base;
}

/** Whether rows of `label` run the products on a BLAS. */
export function usesBlas(label: string): boolean {
  return label.includes("BLAS");
}

/**
 * Switches this process to the backend of a plan label (see {@linkcode backendLabel}).
 *
 * @returns the backend's reason line
 * @throws when the label's threads or BLAS do not start as asked
 */
export async function useBackend(label: string): Promise<string> {
  const { selectBackend } = await import("../engine/backend.ts");
  const wasm = /^wasm( \+ BLAS)?(?:, (\d+) threads)?$/.exec(label);
  if (wasm) {
    const threads = Number(wasm[2] ?? 1);
    const blas = wasm[1] != null;
    const choice = await selectBackend({
      backend: "wasm",
      wasmThreads: threads,
      blas: blas ? "auto" : "off",
    });
    if (blas && choice.blas == null) throw new Error(`wanted ${label}: ${choice.lstmProducts}`);
    // With a BLAS, the BLAS runs the threads and the wasm backend one (selectBackend's rule).
    const got = blas ? choice.blas!.threads ?? threads : choice.wasmThreads;
    if (got !== threads || (blas && choice.wasmThreads !== 1)) {
      throw new Error(`wanted ${label}, got ${got} thread(s): ${choice.reason}`);
    }
    return choice.reason;
  }
  const choice = await selectBackend({
    backend: label as "cpu" | "tensorflow",
    blas: "off",
  });
  return choice.reason;
}

/** `"; LSTM products on ..."`: the end of a backend's reason line, or `""` without one. */
export function productsNote(reason: string): string {
  const at = reason.indexOf("LSTM products on ");
  return at < 0 ? "" : `; ${reason.slice(at)}`;
}
