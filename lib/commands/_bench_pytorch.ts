/**
 * PyTorch in the same benchmark run (`bench.ts`): when a Python with `torch` is found (for
 * example Debian's `python3-torch`), `_bench_pytorch.py` times the same two models (tutorial
 * batch 64 with Adam, classic 3 x 512 batch 64 with RMSprop) and their generation with a
 * carried state, on this machine, once per setting of {@linkcode pytorchTries}: 1 and 2 torch
 * threads (and the benchmark's own count), each with OpenMP's default wait policy and with
 * `OMP_WAIT_POLICY=PASSIVE`. torch's threads are OpenMP threads, which by default spin after
 * each parallel region and so take cores from torch's OpenBLAS, whose threads (its own count,
 * which the rows name) run beside them; PASSIVE makes them sleep instead. The report keeps the
 * fastest setting of each workload as PyTorch's row and prints every training and generation
 * figure as a ratio to it (`_bench_report.ts`). PyTorch is an optional reference, never a
 * dependency: without it the rows say why.
 *
 * Debian's torch multiplies through the system `libblas.so.3`: the slow reference BLAS unless
 * OpenBLAS is installed (`apt install libopenblas0-pthread`); the rows name the library it
 * loaded.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Entry } from "./_bench_common.ts";

/** Backend label of the PyTorch rows (followed by the version and threads). */
export const PYTORCH_BACKEND = "pytorch";

/** Environment variable naming the Python to try first. */
export const PYTHON_ENV_VAR = "MIDI_LSTM_PYTHON";

/** A Python that imports torch, or why none does. */
export interface TorchPython {
  /** The interpreter, or `null` when none imports torch. */
  python: string | null;
  /** torch's version, or why there is none. */
  detail: string;
}

/** Runs `python -c code`; `null` when it cannot start. */
async function pythonOutput(python: string, code: string): Promise<Deno.CommandOutput | null> {
  try {
    return await new Deno.Command(python, {
      args: ["-c", code],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch {
    return null; // not installed
  }
}

/**
 * Finds a Python that imports torch: MIDI_LSTM_PYTHON when set, then `python3` on PATH, then
 * `/usr/bin/python3` (Debian's, where `python3-torch` installs, which a pyenv or venv
 * `python3` on PATH hides).
 */
export async function findTorchPython(): Promise<TorchPython> {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get(PYTHON_ENV_VAR)?.trim() || undefined;
  } catch {
    fromEnv = undefined;
  }
  const candidates = [...new Set([fromEnv, "python3", "/usr/bin/python3"].filter((p) => p))];
  const failures: string[] = [];
  for (const python of candidates as string[]) {
    const output = await pythonOutput(python, "import torch; print(torch.__version__)");
    if (output?.success) {
      return { python, detail: new TextDecoder().decode(output.stdout).trim() };
    }
    const why = output == null
      ? "not found"
      : new TextDecoder().decode(output.stderr).trim().split("\n").at(-1) ?? "failed";
    failures.push(`${python}: ${why}`);
  }
  return {
    python: null,
    detail: `no Python imports torch (${failures.join("; ")}); on Debian: apt install ` +
      `python3-torch (or set ${PYTHON_ENV_VAR})`,
  };
}

/** One setting PyTorch is timed with. */
export interface PytorchTry {
  /** torch's intra-op (OpenMP) threads, `torch.set_num_threads`. */
  threads: number;
  /**
   * `OMP_WAIT_POLICY` of the process: `"PASSIVE"` (idle OpenMP threads sleep), or `null` for
   * OpenMP's default (they spin a while first); an `OMP_WAIT_POLICY` of the benchmark's own
   * environment is not passed on.
   */
  waitPolicy: "PASSIVE" | null;
}

/**
 * The settings PyTorch is tried with, to find it at its best: 1 and 2 threads and `threads`
 * (the benchmark's count) when it is more, each with OpenMP's default wait policy and with
 * `OMP_WAIT_POLICY=PASSIVE`.
 *
 * @param threads the benchmark's thread count
 */
export function pytorchTries(threads: number): PytorchTry[] {
  const counts = [...new Set([1, 2, threads])].sort((a, b) => a - b);
  return counts.flatMap((count) => [
    { threads: count, waitPolicy: null },
    { threads: count, waitPolicy: "PASSIVE" as const },
  ]);
}

/** Options for {@linkcode pytorchLabel}: what the script reported. */
export interface PytorchLabelOptions {
  /**
   * torch's version.
   * @default {none: the script did not report}
   */
  version?: string;
  /**
   * OpenBLAS's own threads in the process.
   * @default {none: another BLAS, or not reported}
   */
  blasThreads?: number | null;
}

/**
 * The backend column of a PyTorch row: `pytorch 1.13.1, 2 threads, OMP_WAIT_POLICY=PASSIVE
 * (its BLAS: 2)`; without a version (the script did not report) `pytorch, 2 threads, ...`.
 */
export function pytorchLabel(setting: PytorchTry, options: PytorchLabelOptions = {}): string {
  const { threads, waitPolicy } = setting;
  return `${PYTORCH_BACKEND}${options.version ? ` ${options.version}` : ""}, ${threads} ` +
    `thread${threads === 1 ? "" : "s"}` + (waitPolicy ? `, OMP_WAIT_POLICY=${waitPolicy}` : "") +
    (options.blasThreads == null ? "" : ` (its BLAS: ${options.blasThreads})`);
}

/** What {@linkcode runPytorch} times. */
export interface PytorchOptions extends PytorchTry {
  /** The interpreter from {@linkcode findTorchPython}. */
  python: string;
  /** Workloads: some of `train-tutorial`, `train-classic`, `generate-tutorial`, `generate-classic`. */
  only: string[];
  /**
   * Tiny counts (a smoke test).
   * @default {false}
   */
  quick?: boolean;
  /**
   * Stop the script after this many seconds.
   * @default {600}
   */
  limitSec?: number;
}

const RESULT_MARK = "BENCH_TORCH ";

/** The script's result line. */
interface TorchResult {
  torch: string;
  threads: number;
  defaultThreads: number;
  blasInfo: string;
  blasLibraries: string[];
  /** OpenBLAS's own threads in that process, or `null` (another BLAS). */
  blasThreads?: number | null;
  /** The OMP_WAIT_POLICY the process saw, or `null`. */
  waitPolicy?: string | null;
  entries: Array<
    { workload: string; unit?: string; value: number | null; status: string; notes: string }
  >;
}

/** The figures each workload of the script yields, for rows when it does not finish. */
const FIGURES: Record<string, { workload: string; unit: string; figure: string }> = {
  "train-tutorial": {
    workload: "train tutorial",
    unit: "samples/s",
    figure: "training throughput",
  },
  "train-classic": { workload: "train classic", unit: "samples/s", figure: "training throughput" },
  "generate-tutorial": {
    workload: "generate tutorial",
    unit: "notes/s",
    figure: "generation speed",
  },
  "generate-classic": {
    workload: "generate classic",
    unit: "tokens/s",
    figure: "generation speed",
  },
};

/**
 * Runs `_bench_pytorch.py` in a child process with a time limit, with `options.threads` torch
 * threads and `options.waitPolicy` as its `OMP_WAIT_POLICY`.
 *
 * @returns one entry per workload (status `ok`, or `error` / `too slow` with the reason);
 *   their backend is {@linkcode pytorchLabel}'s
 */
export async function runPytorch(options: PytorchOptions): Promise<Entry[]> {
  const script = fileURLToPath(new URL("./_bench_pytorch.py", import.meta.url));
  const args = [
    "-u",
    script,
    "--threads",
    String(options.threads),
    "--only",
    options.only.join(","),
    ...(options.quick ? ["--quick"] : []),
  ];
  // OpenMP reads OMP_WAIT_POLICY once, at start: the child's environment sets it.
  const env = Deno.env.toObject();
  delete env.OMP_WAIT_POLICY;
  if (options.waitPolicy) env.OMP_WAIT_POLICY = options.waitPolicy;
  const child = new Deno.Command(options.python, {
    args,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed = false;
  const limitSec = options.limitSec ?? 600;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, limitSec * 1000);
  const output = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(output.stdout);
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARK));
  if (!output.success || line === undefined) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-2).join(" | ");
    const status = killed ? "too slow" : "error";
    const notes = killed
      ? `${script}: stopped after the ${limitSec} s limit`
      : `${script}: exit ${output.code}: ${stderr.slice(0, 300)}`;
    return options.only.map((name) => ({
      ...FIGURES[name],
      backend: pytorchLabel(options),
      implementation: implementationOf(name),
      value: null,
      status,
      notes,
      peakRssMiB: null,
    }));
  }
  const result = JSON.parse(line.slice(RESULT_MARK.length)) as TorchResult;
  const blas = result.blasLibraries.map((p) => p.split("/").at(-1)).join(", ") || "none found";
  // torch's threads; its BLAS (OpenBLAS) runs threads of its own beside them. The wait
  // policy is the one the script saw in its environment.
  const waitPolicy = result.waitPolicy === "PASSIVE" ? "PASSIVE" : null;
  const backend = pytorchLabel(
    { threads: result.threads, waitPolicy },
    { version: result.torch, blasThreads: result.blasThreads },
  );
  return result.entries.map((e, k) => {
    const name = options.only[k];
    return {
      ...FIGURES[name],
      backend,
      implementation: implementationOf(name),
      value: e.value,
      status: e.status,
      notes: `${e.notes}; BLAS_INFO ${result.blasInfo}, loaded ${blas}; torch's default ` +
        `threads here: ${result.defaultThreads}`,
      peakRssMiB: null,
    };
  });
}

/** The implementation column of a PyTorch row. */
function implementationOf(name: string): string {
  return name.startsWith("train") ? "torch.nn.LSTM" : "stateful, carried state";
}
