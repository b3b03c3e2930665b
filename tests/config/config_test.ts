import assert from "node:assert/strict";
import {
  backendOptions,
  resolveClassicConfig,
  resolveConfig,
  resolveTutorialConfig,
} from "../../lib/config/config.ts";

Deno.test("backendOptions() asks for one wasm thread when train.workers > 1, else only the backend", () => {
  const one = resolveConfig({ family: "tutorial", backend: "wasm" });
  assert.deepEqual(backendOptions(one), { backend: "wasm" });
  const two = resolveConfig({ family: "tutorial", backend: "wasm", train: { workers: 2 } });
  assert.deepEqual(backendOptions(two), { backend: "wasm", wasmThreads: 1 });
});

Deno.test("generate.temperature is a number above 0 or argmax in both families", () => {
  for (const resolve of [resolveTutorialConfig, resolveClassicConfig]) {
    assert.equal(resolve({ generate: { temperature: "argmax" } }).generate.temperature, "argmax");
    assert.equal(resolve({ generate: { temperature: 0.5 } }).generate.temperature, 0.5);
    assert.throws(
      () => resolve({ generate: { temperature: -1 } }),
      /config: generate\.temperature: expected a number above 0 or "argmax", got -1/,
    );
  }
  assert.throws(
    () => resolveTutorialConfig({ generate: { temperature: 0 } }),
    /generate\.temperature: expected a number above 0 or "argmax", got 0/,
  );
});

Deno.test("data.instrument: the classic family reads the first instrument's tracks, the tutorial family the first track", () => {
  assert.equal(resolveClassicConfig().data.instrument, "first-instrument");
  assert.equal(resolveTutorialConfig().data.instrument, "first-track");
  for (const resolve of [resolveTutorialConfig, resolveClassicConfig]) {
    for (const instrument of ["first-instrument", "first-track", "all-merged", 2] as const) {
      assert.equal(resolve({ data: { instrument } }).data.instrument, instrument);
    }
    // Older names load as written, so a saved run keeps its meaning and resumes.
    assert.equal(resolve({ data: { instrument: "first" } }).data.instrument, "first");
    assert.equal(resolve({ data: { instrument: "all" } }).data.instrument, "all");
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => resolve({ data: { instrument: "both" as any } }),
      /config: data\.instrument: expected "first-instrument", "first-track", "all-merged" or a track index, got "both"/,
    );
  }
});

Deno.test("model.input defaults to embedding for the tutorial and names its values when wrong", () => {
  const config = resolveTutorialConfig();
  assert.equal(config.model.input, "embedding");
  assert.equal(config.model.embeddingSize, 32);
  assert.throws(
    () => resolveTutorialConfig({ model: { input: "onehot" as "scaled" } }),
    /config: model\.input: expected "scaled" or "embedding", got "onehot"/,
  );
  assert.throws(
    () => resolveClassicConfig({ model: { embeddingSize: 0 } }),
    /config: model\.embeddingSize: expected a positive integer, got 0/,
  );
});

Deno.test("train.maxMinutes is null (no time budget) by default or minutes above 0, in both families", () => {
  for (const family of ["tutorial", "classic"] as const) {
    assert.equal(resolveConfig({ family }).train.maxMinutes, null);
    assert.equal(resolveConfig({ family, train: { maxMinutes: 0.5 } }).train.maxMinutes, 0.5);
    for (const bad of [0, -1, Infinity, "10"]) {
      assert.throws(
        () => resolveConfig({ family, train: { maxMinutes: bad as number } }),
        /config: train\.maxMinutes: expected null \(no time budget\) or a number of minutes above 0/,
      );
    }
  }
});
