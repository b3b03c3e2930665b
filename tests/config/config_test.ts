import assert from "node:assert/strict";
import { backendOptions, resolveConfig } from "../../lib/config/config.ts";

Deno.test("backendOptions() asks for one wasm thread when train.workers > 1, else only the backend", () => {
  const one = resolveConfig({ family: "tutorial", backend: "wasm" });
  assert.deepEqual(backendOptions(one), { backend: "wasm" });
  const two = resolveConfig({ family: "tutorial", backend: "wasm", train: { workers: 2 } });
  assert.deepEqual(backendOptions(two), { backend: "wasm", wasmThreads: 1 });
});
