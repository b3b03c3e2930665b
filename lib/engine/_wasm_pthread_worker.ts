/**
 * One thread of the multi-threaded tfjs wasm build (`_wasm_threads.ts`), run as a
 * `node:worker_threads` Worker so that the main thread can `unref()` it: an idle thread pool
 * then does not keep the process alive.
 *
 * Emscripten's pthread worker script (`tfjs-backend-wasm-threaded-simd.worker.js`, shipped
 * inside the npm package as a string) expects a classic web worker: `self.onmessage`, a global
 * `postMessage` and `importScripts`. Deno only has module workers and, seeing `process`, the
 * script would take its Node.js path (`require`, `__filename`). So the script runs here in a
 * function scope where `process` and `require` are undefined, `self.onmessage` is fed from
 * `parentPort`, `postMessage` goes to `parentPort`, and `importScripts` evaluates the
 * emscripten glue read from disk in the same kind of scope.
 *
 * `workerData`: `{ wasmOut }`, the package's `wasm-out/` folder (a path ending in `/`).
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";

const GLUE_NAME = "WasmBackendModuleThreadedSimd";
const WORKER_SCRIPT = "tfjs-backend-wasm-threaded-simd.worker.js";
const port = parentPort!;
const { wasmOut } = workerData as { wasmOut: string };

/** The Node.js names hidden from emscripten's scripts, so they take their web-worker path. */
const HIDDEN = ["process", "require", "__filename", "module", "exports", "define"] as const;

const post = (message: unknown, transfer?: Transferable[]) =>
  port.postMessage(message, transfer as never);
/** What the scripts see as `self`: `onmessage`, `postMessage` and `location` are ours. */
const own: Record<string, unknown> = {
  location: { href: import.meta.url },
  onmessage: null,
  postMessage: post,
};
const self_ = new Proxy(globalThis, {
  get: (target, key) => (key in own ? own[key as string] : Reflect.get(target, key)),
  set: (target, key, value) => {
    if (key in own) own[key as string] = value;
    else Reflect.set(target, key, value);
    return true;
  },
});

/** Runs `source` with the Node.js names hidden; returns what `tail` evaluates to. */
function evaluate(source: string, tail = ""): unknown {
  const run = new Function(...HIDDEN, "self", "postMessage", `${source}\n${tail}`);
  return run(...HIDDEN.map(() => undefined), self_, post);
}

(globalThis as Record<string, unknown>).importScripts = (path: string) => {
  const glue = Deno.readTextFileSync(path);
  (globalThis as Record<string, unknown>)[GLUE_NAME] = evaluate(glue, `return ${GLUE_NAME};`);
};

// The package keeps the worker script as a string in a CommonJS module.
const holder = { exports: {} as { wasmWorkerContents?: string } };
new Function("module", "exports", Deno.readTextFileSync(`${wasmOut}${WORKER_SCRIPT}`))(
  holder,
  holder.exports,
);
const contents = holder.exports.wasmWorkerContents;
if (typeof contents !== "string") {
  throw new Error(`wasm thread: no wasmWorkerContents in ${wasmOut}${WORKER_SCRIPT}`);
}
// tfjs escapes newlines the same way before it makes its Blob: the template string holds
// "\n" inside string literals as real line breaks.
evaluate(contents.replace(/\n/g, "\\n"));
port.on("message", (data: unknown) => {
  const handler = own.onmessage as ((e: { data: unknown }) => void) | null;
  handler?.({ data });
});
