import assert from "node:assert/strict";
import { resolveClassicConfig, resolveTutorialConfig } from "../../lib/config/config.ts";

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
