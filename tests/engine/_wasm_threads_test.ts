import assert from "node:assert/strict";
import { autoWasmThreads, MAX_WASM_THREADS } from "../../lib/engine/_wasm_threads.ts";

Deno.test("autoWasmThreads() gives one thread per idle core, at most MAX_WASM_THREADS", () => {
  assert.equal(autoWasmThreads(2, null), 2);
  assert.equal(autoWasmThreads(2, 0.1), 2);
  assert.equal(autoWasmThreads(1, 0), 1);
  assert.equal(autoWasmThreads(16, 0), MAX_WASM_THREADS);
  assert.equal(autoWasmThreads(8, 3), MAX_WASM_THREADS);
  assert.equal(autoWasmThreads(8, 6), 2);
});

Deno.test("autoWasmThreads() counts a core as busy once other processes use most of it", () => {
  assert.equal(autoWasmThreads(2, 0.6), 2); // a short-lived process, the kernel itself
  assert.equal(autoWasmThreads(2, 0.8), 1);
  assert.equal(autoWasmThreads(2, 1.9), 1);
  assert.equal(autoWasmThreads(2, 7), 1); // never fewer than one
});
