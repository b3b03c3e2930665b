/**
 * tfjs's multi-threaded wasm build (XNNPACK with a pthread pool) under Deno.
 *
 * tfjs never starts it here: it turns threads off whenever it sees Node.js (`process`), and
 * emscripten's pthread support would create classic workers from a blob URL (Deno has only
 * module workers) or, on its Node.js path, `worker_threads` workers from a blob (refused:
 * `ERR_WORKER_PATH`) and a global `Worker` it overwrites. This module builds the threaded
 * module itself:
 *
 * - the emscripten glue (`wasm-out/tfjs-backend-wasm-threaded-simd.js`) is evaluated with the
 *   Node.js names (`process`, `require`, ...) hidden, so it takes its plain-JS path, with
 *   `navigator.hardwareConcurrency` set to twice the thread count (tfjs sizes its pool as half
 *   the logical cores, at most 4) and its pool of pre-started pthreads cut from 8 to what the
 *   pool uses;
 * - its `Worker` is an adapter over a `node:worker_threads` Worker running
 *   `_wasm_pthread_worker.ts`, `unref()`ed so that an idle pool does not keep Deno running;
 * - the result is wrapped exactly as tfjs wraps its own module and registered as the `wasm`
 *   backend (tfjs's `BackendWasm`, so every wasm kernel works unchanged).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Worker as NodeWorker } from "node:worker_threads";

/** tfjs caps its thread pool at this size. */
export const MAX_WASM_THREADS = 4;

/**
 * The thread count `"auto"` means, for the wasm backend and the BLAS alike: one per idle
 * core, at most {@linkcode MAX_WASM_THREADS}. Busy cores count: XNNPACK's pool (and
 * OpenBLAS's) spins while it waits, and next to another busy process two threads on two cores
 * ran several times slower than one (`docs/performance.md`).
 *
 * @param cores logical cores (`navigator.hardwareConcurrency`)
 * @param busyCores cores' worth of work other processes do now (`busyCoresNow()` in
 *   `_busy_cores.ts`), or `null` when unknown (then every core counts as idle)
 */
export function autoWasmThreads(cores: number, busyCores: number | null): number {
  const idle = cores - (busyCores ?? 0);
  // Work a little under one core (a short-lived process, the notebook kernel's own
  // housekeeping) still leaves a core idle.
  return Math.max(1, Math.min(MAX_WASM_THREADS, cores, Math.round(idle + 0.25)));
}

const GLUE_NAME = "WasmBackendModuleThreadedSimd";
const GLUE_FILE = "tfjs-backend-wasm-threaded-simd.js";
const WASM_FILE = "tfjs-backend-wasm-threaded-simd.wasm";
/** The glue's pre-started pthread pool, replaced by the size the pool needs. */
const POOL_TEXT = "var pthreadPoolSize=8;";
/** tfjs registers its wasm backend with this priority. */
const WASM_PRIORITY = 2;

/** The factory tfjs registered for `wasm` (single-threaded SIMD build), kept to go back. */
const stockFactory = tf.findBackendFactory("wasm");
/** Threads of the factory registered now for `wasm` (1: tfjs's own). */
let registeredThreads = 1;

/** The `wasm-out/` folder of @tensorflow/tfjs-backend-wasm (a path ending in `/`). */
function wasmOutFolder(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("@tensorflow/tfjs-backend-wasm/package.json");
  return join(dirname(pkg), "wasm-out") + "/";
}

/**
 * The part of emscripten's Worker interface the glue uses, over a worker_threads Worker.
 * The Worker keeps Deno running until {@linkcode PthreadWorker.unref}: the module's start
 * awaits messages from it, and a test runner would otherwise see an event loop with nothing
 * left to do.
 */
class PthreadWorker {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  #worker: NodeWorker;
  constructor(script: URL, wasmOut: string) {
    this.#worker = new NodeWorker(script, { workerData: { wasmOut } });
    this.#worker.on("message", (data: unknown) => this.onmessage?.({ data }));
    this.#worker.on("error", (error: unknown) => this.onerror?.(error));
  }
  postMessage(message: unknown, transfer?: Transferable[]): void {
    this.#worker.postMessage(message, transfer as never);
  }
  terminate(): void {
    this.#worker.terminate();
  }
  /** Lets Deno exit while this thread idles. */
  unref(): void {
    this.#worker.unref();
  }
}

/** The emscripten module plus the `tfjs` functions BackendWasm calls. */
type WasmModule = ConstructorParameters<typeof BackendWasm>[0];

/**
 * Builds the threaded wasm module with a pool of `threads` threads (the calling thread
 * included).
 *
 * @throws {Error} when the package files are missing or differ from what this code expects,
 *   or when the module fails to start
 */
async function createThreadedModule(threads: number): Promise<WasmModule> {
  const wasmOut = wasmOutFolder();
  const gluePath = `${wasmOut}${GLUE_FILE}`;
  const glue = await Deno.readTextFile(gluePath);
  if (!glue.includes(POOL_TEXT)) {
    throw new Error(`${gluePath}: expected "${POOL_TEXT}" (a different tfjs version?)`);
  }
  const patched = glue.replace(POOL_TEXT, `var pthreadPoolSize=${threads - 1};`);
  const script = new URL("./_wasm_pthread_worker.ts", import.meta.url);
  const workers: PthreadWorker[] = [];
  let started = false;
  const Worker = function (this: unknown) {
    const worker = new PthreadWorker(script, wasmOut);
    if (started) worker.unref();
    else workers.push(worker);
    return worker;
  };
  const hidden = ["process", "require", "__filename", "module", "exports", "define"];
  const factory = new Function(
    ...hidden,
    "Worker",
    "navigator",
    `${patched}\nreturn ${GLUE_NAME};`,
  )(
    ...hidden.map(() => undefined),
    Worker,
    { hardwareConcurrency: 2 * threads },
  ) as (config: Record<string, unknown>) => Promise<Record<string, unknown>>;
  const module = await factory({
    wasmBinary: await Deno.readFile(`${wasmOut}${WASM_FILE}`),
    mainScriptUrlOrBlob: gluePath,
    locateFile: (path: string) => `${wasmOut}${path}`,
    print: () => {},
    printErr: () => {},
  });
  started = true;
  for (const worker of workers) worker.unref();
  const cwrap = module.cwrap as (name: string, ret: string | null, args: string[]) => unknown;
  module.tfjs = {
    init: cwrap("init", null, []),
    initWithThreadsCount: cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: cwrap("get_threads_count", "number", []),
    registerTensor: cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: cwrap("dispose_data", null, ["number"]),
    dispose: cwrap("dispose", null, []),
  };
  return module as unknown as WasmModule;
}

/**
 * Registers the `wasm` backend with `threads` threads: 1 is tfjs's own single-threaded build,
 * more is the threaded build (capped at {@linkcode MAX_WASM_THREADS}). Does nothing when that
 * count is registered already. Otherwise the wasm backend is removed first: tensors on it
 * are lost, so switch before creating any.
 *
 * The backend starts on the next `tf.setBackend("wasm")`; a threaded start that fails rejects
 * there (callers fall back to 1).
 *
 * @throws {Error} when `threads` is not an integer >= 1
 */
export function registerWasmThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`wasm threads: expected an integer >= 1, got ${JSON.stringify(threads)}`);
  }
  const count = Math.min(threads, MAX_WASM_THREADS);
  if (count === registeredThreads) return;
  if (tf.findBackendFactory("wasm") != null) tf.removeBackend("wasm");
  registeredThreads = count;
  if (count === 1) {
    if (stockFactory == null) throw new Error("wasm threads: tfjs's wasm backend is missing");
    tf.registerBackend("wasm", stockFactory, WASM_PRIORITY);
    return;
  }
  tf.registerBackend(
    "wasm",
    async () => new BackendWasm(await createThreadedModule(count)),
    WASM_PRIORITY,
  );
}

/**
 * Threads of the running wasm backend as XNNPACK reports them, or `null` when the wasm
 * backend has not started.
 */
export function runningWasmThreads(): number | null {
  // The engine's registry holds started backends only (tf.findBackend would start one).
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  const backend = registry.wasm as { wasm?: { tfjs?: { getThreadsCount(): number } } } | undefined;
  return backend?.wasm?.tfjs?.getThreadsCount() ?? null;
}
