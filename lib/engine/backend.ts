/**
 * Chooses the TensorFlow.js backend: native TensorFlow when a tfjs-node package is installed,
 * otherwise WebAssembly, otherwise plain JavaScript; and, on WebAssembly or JavaScript, runs
 * the fused LSTM's matrix products on the system's BLAS when there is one (`blas.ts`).
 *
 * ```ts
 * const choice = await selectBackend();
 * console.log(`backend: ${choice.name} (${choice.reason})`);
 * // backend: wasm (auto: ...; the BLAS takes the 2 threads; using wasm, 1 thread; LSTM
 * // products on OpenBLAS 0.3.21 (libopenblas.so.0), 2 threads)
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installWasmMatMulWorkaround, uninstallWasmMatMulWorkaround } from "./_wasm_matmul.ts";
import { installWasmSegmentSum } from "./_wasm_segment_sum.ts";
import {
  autoWasmThreads,
  MAX_WASM_THREADS,
  registerWasmThreads,
  runningWasmThreads,
} from "./_wasm_threads.ts";
import { busyCoresNow } from "./_busy_cores.ts";
import { type BlasInfo, blasInfo, describeBlas, loadBlas, setActiveBlas } from "./blas.ts";

/** A backend this project can run on. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** What to ask {@linkcode selectBackend} for: a backend, or `"auto"` to pick the fastest. */
export type BackendRequest = BackendName | "auto";

/** Options for {@linkcode selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Backend to use. `"auto"` tries `tensorflow`, then `wasm`, then `cpu`. A named backend
   * that cannot start is an error, not a silent fallback.
   * @default {the environment variable TFJS_BACKEND when set and not empty, else "auto"}
   */
  backend?: BackendRequest;
  /**
   * On `wasm`, replace the slow transposed matrix-product kernels with faster wrappers
   * (see `lib/engine/_wasm_matmul.ts`). `false` removes wrappers installed by an earlier call.
   * @default {true}
   */
  wasmMatMulWorkaround?: boolean;
  /**
   * Threads for the products (one rule for the wasm pool and the BLAS): with a BLAS, the
   * BLAS runs this many and the wasm backend one (two spinning pools on the same cores slow
   * each other down); without one, the wasm backend runs this many: `1` is tfjs's
   * single-threaded build, more its multi-threaded build (XNNPACK's thread pool, see
   * `lib/engine/_wasm_threads.ts`), at most 4. `"auto"` uses one thread per idle core (at
   * most 4; a core that other processes keep busy now, sampled from `/proc/stat` for 150 ms,
   * is not idle: spinning threads slow down badly next to another busy process; decided on
   * the first call, then kept). When the threaded build fails to start, the backend falls
   * back to one thread and `reason` says why. Changing the count of a running wasm backend
   * restarts it: tensors made on it before are lost. On `cpu`, the BLAS runs this many.
   * @default {the environment variable TFJS_WASM_THREADS when set, else "auto"}
   */
  wasmThreads?: number | "auto";
  /**
   * The BLAS for the fused LSTM's products on `wasm` and `cpu` (never on `tensorflow`, whose
   * products are native already): `"auto"` looks in the usual places (see `blasCandidates`
   * in `blas.ts`), a path or library name loads that one, `"off"` keeps the products on the
   * tfjs backend. A missing or broken library is not an error: the products stay on the
   * backend and `reason` says why and how to install one.
   * @default {the environment variable MIDI_LSTM_BLAS when set and not empty, else "auto"}
   */
  blas?: string;
}

/** The backend {@linkcode selectBackend} switched to, and why. */
export interface BackendChoice {
  /** The backend now active in tfjs (`tf.getBackend()`). */
  name: BackendName;
  /** One line for people, e.g. `"auto: @tensorflow/tfjs-node not installed; wasm works"`. */
  reason: string;
  /** Where the request came from: the `backend` option, TFJS_BACKEND, or neither. */
  requestedBy: "option" | "env" | "default";
  /** What was requested (`"auto"` unless the option or TFJS_BACKEND named a backend). */
  requested: BackendRequest;
  /** The tfjs-node package that provides `tensorflow`, when that is the choice. */
  nodePackage?: string;
  /** Whether the wasm transposed-matmul wrappers are installed (only ever on `wasm`). */
  wasmMatMulWorkaround: boolean;
  /**
   * Threads of the wasm backend when it is the choice (XNNPACK's count), else `null`: 1 when
   * a BLAS took the threads (see `blas.threads`).
   */
  wasmThreads: number | null;
  /** The BLAS the fused LSTM's products run on now, or `null` (they run on the backend). */
  blas: BlasInfo | null;
  /**
   * Where the LSTM products run and, without a BLAS, why and how to get one: e.g.
   * `"LSTM products on OpenBLAS 0.3.21 (libopenblas.so.0), 2 threads"`, or `"LSTM products on
   * wasm (no BLAS found (tried ...); for speed, install one: ...)"`. Also the last part of
   * `reason`.
   */
  lstmProducts: string;
  /**
   * Console messages tfjs emitted while the backend was loaded and started (for example
   * the "install our node backend" banner of the cpu backend). They are captured rather
   * than printed; callers may print them.
   */
  warnings: string[];
}

/** Name of the environment variable that overrides the backend. */
const ENV_VAR = "TFJS_BACKEND";
/** Why the threaded wasm build failed to start, once it has (then one thread is used). */
let threadedFailure: string | null = null;
/** What `"auto"` threads came to on the first call (kept for the process). */
let autoThreads: number | null = null;
/** Name of the environment variable that sets the wasm backend's threads. */
const THREADS_ENV_VAR = "TFJS_WASM_THREADS";
const REQUESTS: readonly BackendRequest[] = ["auto", "tensorflow", "wasm", "cpu"];
/** tfjs-node packages, best first. */
const NODE_PACKAGES = ["tfjs-node-gpu", "tfjs-node"].map((p) => ["@tensorflow", p].join("/"));

/** Result of trying to load one tfjs-node package. */
interface NodeProbe {
  pkg: string;
  installed: boolean;
  loaded: boolean;
  detail: string;
}

const nodeProbeCache = new Map<string, NodeProbe>();

/**
 * Switches tfjs to the best available backend (or the requested one) and waits until it is
 * ready. Never prints: messages tfjs would print while loading are returned in
 * {@linkcode BackendChoice.warnings}. Idempotent: calling it again with the same request
 * keeps the same backend.
 *
 * `tensorflow` needs `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` resolvable as a
 * bare specifier, i.e. listed in deno.json `"imports"` and installed with its install script
 * allowed (`deno install --allow-scripts=npm:@tensorflow/tfjs-node`), which downloads
 * libtensorflow. That path is untested in this project (the packages could not be installed
 * where it was written); when loading fails, `auto` falls back to `wasm` and says why in
 * `reason`. The packages are only probed, never downloaded by this function. When loading
 * them, TF_CPP_MIN_LOG_LEVEL is set to "2" if unset, to quiet TensorFlow's C++ log.
 *
 * Changes global tfjs state: the active backend and, on `wasm`, the registered
 * `BatchMatMul` / `_FusedMatMul` kernels.
 *
 * @param options which backend; see {@linkcode SelectBackendOptions}
 * @throws {Error} when `options.backend` or TFJS_BACKEND is not one of "auto", "tensorflow",
 *   "wasm", "cpu" (the message names the setting and the value), or when a named backend
 *   cannot be started (the message says what failed and how to install tfjs-node)
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const { requested, requestedBy } = readRequest(options.backend);
  const warnings: string[] = [];
  /** Threads for the wasm pool and the BLAS together (the wasmThreads rule), on wasm. */
  let threadBudget: number | null = null;
  const setting = requestedBy === "env" ? `${ENV_VAR}="${requested}"` : `backend: "${requested}"`;
  const notes: string[] = [];
  let name: BackendName | undefined;
  let nodePackage: string | undefined;

  if (requested === "auto" || requested === "tensorflow") {
    const probes: NodeProbe[] = [];
    for (const pkg of NODE_PACKAGES) {
      const probe = await probeNodePackage(pkg, warnings);
      probes.push(probe);
      if (!probe.loaded) continue;
      if (await startBackend("tensorflow", warnings)) {
        name = "tensorflow";
        nodePackage = pkg;
        break;
      }
      probe.detail = `${pkg} loaded but the "tensorflow" backend did not start`;
    }
    if (name === undefined) {
      const why = describeProbes(probes);
      if (requested === "tensorflow") {
        throw new Error(
          `${setting}: cannot start the tensorflow backend (${why}). Add ` +
            `"@tensorflow/tfjs-node": "npm:@tensorflow/tfjs-node@${tf.version_core}" to the ` +
            `"imports" of deno.json and run "deno install ` +
            `--allow-scripts=npm:@tensorflow/tfjs-node" (its install step downloads ` +
            `libtensorflow), or choose "wasm" or "cpu".`,
        );
      }
      notes.push(why);
    }
  }
  if (name === undefined && (requested === "auto" || requested === "wasm")) {
    const { threads, note } = await readThreads(options.wasmThreads);
    if (note) notes.push(note);
    threadBudget = threads;
    // One rule for both thread pools: with a BLAS, the BLAS takes the threads and the wasm
    // backend runs one. Both pools spin while they wait for work, so with both threaded the
    // pools keep more threads busy than there are cores, and the small products of the
    // tutorial model ran slower on 2 threads than on 1.
    const blasTakes = threads > 1 && loadBlas({ library: options.blas }).blas != null;
    if (blasTakes) notes.push(`the BLAS takes the ${threads} threads`);
    let wasmCount = blasTakes ? 1 : threads;
    if (wasmCount > 1 && threadedFailure != null) {
      notes.push(`the threaded wasm build failed to start earlier (${threadedFailure})`);
      wasmCount = 1;
    }
    registerWasmThreads(wasmCount);
    let started = await startBackend("wasm", warnings);
    if (!started && wasmCount > 1) {
      // Remembered, so that later calls do not restart the backend to try again.
      threadedFailure = warnings.at(-1) ?? "no message";
      notes.push(`the ${wasmCount}-thread wasm build failed to start (${threadedFailure})`);
      registerWasmThreads(1);
      started = await startBackend("wasm", warnings);
    }
    if (started) {
      name = "wasm";
    } else if (requested === "wasm") {
      throw new Error(
        `${setting}: the wasm backend failed to start` +
          (warnings.length > 0 ? `: ${warnings.join(" | ")}` : "") +
          `; choose "cpu" instead.`,
      );
    } else {
      notes.push("wasm failed to start");
    }
  }
  if (name === undefined) {
    if (!(await startBackend("cpu", warnings))) {
      throw new Error(`${setting}: even the cpu backend failed to start`);
    }
    name = "cpu";
  }

  let workaround = false;
  if (name === "wasm") {
    // The gradient of an Embedding layer (tf.gather) needs it; tfjs's wasm has none.
    installWasmSegmentSum();
    if (options.wasmMatMulWorkaround ?? true) {
      workaround = installWasmMatMulWorkaround();
    } else {
      uninstallWasmMatMulWorkaround();
    }
  }

  const wasmThreads = name === "wasm" ? runningWasmThreads() : null;
  const products = await chooseBlas(name, options, name === "wasm" ? threadBudget : null);
  const what = `${name}${nodePackage ? ` (${nodePackage})` : ""}` +
    (wasmThreads != null ? `, ${wasmThreads} thread${wasmThreads === 1 ? "" : "s"}` : "");
  const reason = requested === "auto"
    ? `auto: ${[...notes, `using ${what}`, products.line].join("; ")}`
    : [
      `requested by ${setting}`,
      ...notes,
      ...(wasmThreads != null ? [what] : []),
      products.line,
    ].join("; ");
  return {
    name,
    reason,
    requestedBy,
    requested,
    nodePackage,
    wasmMatMulWorkaround: workaround,
    wasmThreads,
    blas: products.blas,
    lstmProducts: products.line,
    warnings,
  };
}

/**
 * Loads the BLAS for `backend` (not on `tensorflow`), sets its threads (`threads`, else the
 * `wasmThreads` rule) and makes it the fused LSTM's, or makes none active; returns it and the
 * line for `reason`.
 */
async function chooseBlas(
  backend: BackendName,
  options: SelectBackendOptions,
  threads: number | null,
): Promise<{ blas: BlasInfo | null; line: string }> {
  if (backend === "tensorflow") {
    setActiveBlas(null);
    return { blas: null, line: "LSTM products on TensorFlow" };
  }
  const load = loadBlas({ library: options.blas });
  if (load.blas == null) {
    setActiveBlas(null);
    const install = load.install === "" ? "" : `; for speed, install one: ${load.install}`;
    return { blas: null, line: `LSTM products on ${backend} (${load.reason}${install})` };
  }
  load.blas.setThreads(threads ?? (await readThreads(options.wasmThreads)).threads);
  setActiveBlas(load.blas);
  return { blas: blasInfo(load.blas), line: `LSTM products on ${describeBlas(load.blas)}` };
}

/**
 * The thread count from the option or TFJS_WASM_THREADS; `"auto"`:
 * {@linkcode autoWasmThreads} of the cores busy now, and `note` says so when they lowered it.
 */
async function readThreads(
  option: number | "auto" | undefined,
): Promise<{ threads: number; note?: string }> {
  let value: unknown = option;
  let shown = JSON.stringify(option);
  let setting = "option wasmThreads";
  if (value === undefined) {
    let fromEnv: string | undefined;
    try {
      fromEnv = Deno.env.get(THREADS_ENV_VAR);
    } catch {
      fromEnv = undefined; // no --allow-env: behave as if unset
    }
    const text = fromEnv?.trim() ?? "";
    value = text === "" || text === "auto" ? "auto" : Number(text);
    shown = JSON.stringify(text);
    setting = `environment variable ${THREADS_ENV_VAR}`;
  }
  if (value === "auto") {
    // Decided once per process: a later call must not restart the backend (and lose its
    // tensors) because this process's own work raised the load.
    if (autoThreads != null) return { threads: autoThreads };
    const cores = navigator.hardwareConcurrency ?? 1;
    const idle = autoWasmThreads(cores, null);
    // One core: nothing to decide (and no need to wait for a sample).
    const { busy, source } = idle > 1 ? await busyCoresNow() : { busy: null, source: "" };
    const threads = autoWasmThreads(cores, busy);
    autoThreads = threads;
    return threads < idle
      ? {
        threads,
        note: `${threads} thread${threads === 1 ? "" : "s"}, not ${idle}: other processes ` +
          `keep ${busy!.toFixed(2)} of ${cores} cores busy (${source}; set TFJS_WASM_THREADS ` +
          `to choose)`,
      }
      : { threads };
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new Error(`${setting}: expected "auto" or an integer >= 1, got ${shown}`);
  }
  return { threads: Math.min(value, MAX_WASM_THREADS) };
}

/** Validates the request from the option or the environment. */
function readRequest(
  option: BackendRequest | undefined,
): { requested: BackendRequest; requestedBy: BackendChoice["requestedBy"] } {
  if (option !== undefined) {
    return { requested: validate(option, "option backend"), requestedBy: "option" };
  }
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get(ENV_VAR);
  } catch {
    fromEnv = undefined; // no --allow-env: behave as if unset
  }
  if (fromEnv === undefined || fromEnv.trim() === "") {
    return { requested: "auto", requestedBy: "default" };
  }
  return {
    requested: validate(fromEnv.trim(), `environment variable ${ENV_VAR}`),
    requestedBy: "env",
  };
}

function validate(value: unknown, setting: string): BackendRequest {
  if (typeof value === "string" && (REQUESTS as readonly string[]).includes(value)) {
    return value as BackendRequest;
  }
  throw new Error(
    `${setting}: expected one of ${REQUESTS.map((r) => `"${r}"`).join(", ")}, ` +
      `got ${JSON.stringify(value)}`,
  );
}

/** Imports a tfjs-node package by bare specifier (never downloads), once per process. */
async function probeNodePackage(pkg: string, warnings: string[]): Promise<NodeProbe> {
  const cached = nodeProbeCache.get(pkg);
  if (cached !== undefined) return { ...cached };
  try {
    if (Deno.env.get("TF_CPP_MIN_LOG_LEVEL") === undefined) {
      Deno.env.set("TF_CPP_MIN_LOG_LEVEL", "2");
    }
  } catch {
    // no --allow-env: TensorFlow may log to stderr, nothing else changes
  }
  let probe: NodeProbe;
  try {
    // A specifier built at run time keeps `deno check` and the lockfile away from it.
    const specifier = String(pkg);
    await captureConsole(warnings, () => import(specifier));
    probe = tf.findBackendFactory("tensorflow") != null
      ? { pkg, installed: true, loaded: true, detail: `${pkg} loaded` }
      : {
        pkg,
        installed: true,
        loaded: false,
        detail: `${pkg} loaded but registered no "tensorflow" backend`,
      };
  } catch (error) {
    const message = firstLine(error);
    const missing =
      /not a dependency|not in import map|Cannot find (module|package)|ERR_MODULE_NOT_FOUND|Relative import path/i
        .test(message);
    probe = missing
      ? { pkg, installed: false, loaded: false, detail: `${pkg} not installed` }
      : { pkg, installed: true, loaded: false, detail: `${pkg} failed to load: ${message}` };
  }
  nodeProbeCache.set(pkg, probe);
  return { ...probe };
}

function describeProbes(probes: NodeProbe[]): string {
  if (probes.every((p) => !p.installed)) {
    return `${probes.map((p) => p.pkg).join(" and ")} not installed`;
  }
  return probes.filter((p) => p.installed).map((p) => p.detail).join("; ");
}

/** Switches to `name`, captures what tfjs prints, and touches the backend once. */
async function startBackend(name: BackendName, warnings: string[]): Promise<boolean> {
  return await captureConsole(warnings, async () => {
    try {
      if (!(await tf.setBackend(name))) return false;
      await tf.ready();
      // The first write prints the cpu backend's "install our node backend" banner.
      tf.scalar(0).dispose();
      return tf.getBackend() === name;
    } catch (error) {
      warnings.push(firstLine(error));
      return false;
    }
  });
}

/** Runs `f` with console output diverted into `sink` (restored afterwards). */
async function captureConsole<T>(sink: string[], f: () => Promise<T>): Promise<T> {
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      const text = args.map((a) => (typeof a === "string" ? a : String(a))).join(" ").trim();
      if (text !== "") sink.push(text.replace(/=+/g, "").replace(/\s+/g, " ").trim());
    };
  }
  try {
    return await f();
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]));
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].trim();
}
