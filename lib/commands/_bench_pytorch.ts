/**
 * PyTorch in the same benchmark run (`bench.ts`): when a Python with `torch` is found (for
 * example Debian's `python3-torch`), `_bench_pytorch.py` times the same two models (tutorial
 * batch 64 with Adam, classic 3 x 512 batch 64 with RMSprop) and their generation with a
 * carried state, on this machine with the torch threads it is given (the benchmark asks for its
 * own count and for one; torch's OpenBLAS runs threads of its own beside them, which the rows
 * name), and the report prints every training and generation figure as a ratio to the faster.
 * PyTorch is an optional reference, never a dependency: without it the rows say why.
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

/** What {@linkcode runPytorch} times. */
export interface PytorchOptions {
  /** The interpreter from {@linkcode findTorchPython}. */
  python: string;
  /** torch's intra-op threads (the project's best rows' count). */
  threads: number;
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
 * Runs `_bench_pytorch.py` in a child process with a time limit.
 *
 * @returns one entry per workload (status `ok`, or `error` / `too slow` with the reason);
 *   their backend is `pytorch <version>, <threads> threads`
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
  const child = new Deno.Command(options.python, { args, stdout: "piped", stderr: "piped" })
    .spawn();
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
      backend: PYTORCH_BACKEND,
      implementation: implementationOf(name),
      value: null,
      status,
      notes,
      peakRssMiB: null,
    }));
  }
  const result = JSON.parse(line.slice(RESULT_MARK.length)) as TorchResult;
  const blas = result.blasLibraries.map((p) => p.split("/").at(-1)).join(", ") || "none found";
  // torch's threads; its BLAS (OpenBLAS) runs threads of its own beside them.
  const backend = `${PYTORCH_BACKEND} ${result.torch}, ${result.threads} thread` +
    (result.threads === 1 ? "" : "s") +
    (result.blasThreads == null ? "" : ` (its BLAS: ${result.blasThreads})`);
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
