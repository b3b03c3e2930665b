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

Deno.test("an older config loads with its renamed settings moved, each with a note", () => {
  const notes: string[] = [];
  const tutorial = resolveTutorialConfig(
    { dataset: { seqLength: 12, batchSize: 8 }, generate: { notes: 30 } } as never,
    { onRenamed: (n) => notes.push(n) },
  );
  assert.equal(tutorial.model.sequenceLength, 12);
  assert.equal(tutorial.model.batchSize, 8);
  assert.equal(tutorial.generate.length, 30);
  assert.deepEqual(notes, [
    "config: dataset.seqLength is now model.sequenceLength (value 12 kept)",
    "config: dataset.batchSize is now model.batchSize (value 8 kept)",
    "config: generate.notes is now generate.length (value 30 kept)",
  ]);
  notes.length = 0;
  const classic = resolveClassicConfig(
    { generate: { tokens: 40, temperature: 0 } } as never,
    { onRenamed: (n) => notes.push(n) },
  );
  assert.equal(classic.generate.length, 40);
  assert.equal(classic.generate.temperature, "argmax");
  assert.equal(notes.length, 2);
  assert.match(notes[1], /generate\.temperature 0 meant argmax/);
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

Deno.test("a saved config from before model.input reads scaled input; fresh overrides get the default", () => {
  const notes: string[] = [];
  const old = { family: "tutorial", model: { sequenceLength: 25, lstmUnits: 128 } };
  const saved = resolveTutorialConfig(old as never, {
    saved: true,
    onRenamed: (n) => notes.push(n),
  });
  assert.equal(saved.model.input, "scaled");
  assert.match(notes.join("\n"), /saved before model\.input existed/);
  assert.equal(resolveTutorialConfig(old as never).model.input, "embedding");
  const classic = resolveClassicConfig({ model: { preset: "lstm2x256-cpu" } } as never, {
    saved: true,
  });
  assert.equal(classic.model.input, "scaled");
  assert.equal(resolveClassicConfig().model.input, "embedding");
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
