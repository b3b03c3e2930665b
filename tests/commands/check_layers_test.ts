import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkLayers,
  checkNotebooks,
  findCycles,
  importSpecifiers,
  type LayerProblem,
} from "../../lib/commands/check_layers.ts";
import { checkExportsOf } from "../../lib/commands/check_exports.ts";
import { ROOT } from "../_tiny_runs.ts";

/** Writes `files` into a temporary folder, runs `check` on it, and removes the folder. */
async function checkTree(
  files: Record<string, string>,
  check: (dir: string) => Promise<LayerProblem[]>,
): Promise<LayerProblem[]> {
  const dir = await Deno.makeTempDir({ prefix: "midi-lstm-layers-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(join(dir, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, path), text);
    }
    return await check(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("checkLayers() passes this repository's lib/", async () => {
  assert.deepEqual(await checkLayers(join(ROOT, "lib")), []);
});

Deno.test("checkLayers() names an upward import, a sibling family import and TensorFlow in music", async () => {
  const problems = await checkTree({
    "engine/a.ts": 'import { b } from "../tutorial/b.ts";\nexport const a = b;\n',
    "tutorial/b.ts": 'import { c } from "../classic/c.ts";\nexport const b = c;\n',
    "classic/c.ts": "export const c = 1;\n",
    "music/d.ts": 'import * as tf from "@tensorflow/tfjs";\nexport const d = tf;\n',
  }, checkLayers);
  const kinds = problems.map((p) => p.kind).sort();
  assert.deepEqual(kinds, ["sibling", "tensorflow", "upward"]);
  const upward = problems.find((p) => p.kind === "upward")!;
  assert.match(
    upward.message,
    /lib\/engine\/a\.ts \(layer 0, engine\) imports lib\/tutorial\/b\.ts/,
  );
});

Deno.test("checkLayers() names an import cycle inside one layer", async () => {
  const problems = await checkTree({
    "train/x.ts": 'import { y } from "./y.ts";\nexport const x = () => y;\n',
    "train/y.ts": 'import { x } from "./x.ts";\nexport const y = () => x;\n',
  }, checkLayers);
  assert.equal(problems.length, 1);
  assert.match(
    problems[0].message,
    /import cycle: lib\/train\/x\.ts -> lib\/train\/y\.ts -> lib\/train\/x\.ts/,
  );
});

Deno.test("importSpecifiers() reads static, re-exported and dynamic imports", () => {
  const source = 'import { a } from "./a.ts";\nexport * from "./b.ts";\n' +
    'import "./c.ts";\nconst d = await import("./d.ts");\nimport type { E } from "./e.ts";\n';
  assert.deepEqual(importSpecifiers(source).sort(), [
    "./a.ts",
    "./b.ts",
    "./c.ts",
    "./d.ts",
    "./e.ts",
  ]);
  assert.deepEqual(findCycles(new Map([["a", ["b"]], ["b", []]])), []);
});

Deno.test("checkExportsOf() allows two positional arguments and an options object, and names more", () => {
  const ok = "export function f(a: number, b: number, options: FOptions = {}): void {}\n";
  assert.deepEqual(checkExportsOf(ok, "ok.ts"), []);
  const bad = "export function g(a: number, b: (x: number) => number, c = 1): void {}\n" +
    "export const h = (x: number) => x;\n";
  const problems = checkExportsOf(bad, "bad.ts");
  assert.equal(problems.length, 2);
  assert.match(problems[0].message, /g\(\) takes 3 positional arguments; expected at most 2/);
  assert.match(problems[1].message, /h is an exported arrow function/);
});

Deno.test("checkLayers() names a branch on a family's name anywhere in lib/ but the registry", async () => {
  const branch = 'export const f = (c: { family: string }) => c.family === "classic";\n';
  const problems = await checkTree({
    "config/a.ts": branch,
    "workflow/families.ts": branch,
    "judge/b.ts": branch,
  }, checkLayers);
  assert.deepEqual(problems.map((p) => p.kind), ["family-branch", "family-branch"]);
  assert.match(problems[0].message, /lib\/config\/a\.ts:1 branches on the family's name/);
  assert.match(problems[1].message, /lib\/judge\/b\.ts:1 branches on the family's name/);
});

Deno.test("checkLayers() names each lesson file's import from lib/engine/, and only those", async () => {
  const problems = await checkTree({
    "engine/e.ts": "export const e = 1;\n",
    "tutorial/model.ts": 'import { e } from "../engine/e.ts";\nexport const m = e;\n',
    "classic/sample.ts": 'import type { E } from "../engine/e.ts";\nexport type S = E;\n',
    "tutorial/run.ts": 'import { e } from "../engine/e.ts";\nexport const r = e;\n',
  }, checkLayers);
  assert.deepEqual(problems.map((p) => p.kind), ["lesson-engine", "lesson-engine"]);
  assert.match(
    problems[0].message,
    /lib\/classic\/sample\.ts is a lesson file but imports lib\/engine\/e\.ts/,
  );
  assert.match(problems[1].message, /lib\/tutorial\/model\.ts is a lesson file/);
});

Deno.test("checkNotebooks() passes this repository's notebooks", async () => {
  assert.deepEqual(await checkNotebooks(join(ROOT, "notebooks")), []);
});

Deno.test("checkNotebooks() names a code cell that branches on a family's name, not a markdown cell", async () => {
  const cell = (cell_type: string, source: string | string[]) => ({ cell_type, source });
  const problems = await checkTree({
    "a.ipynb": JSON.stringify({
      cells: [
        cell("markdown", 'In code, config.family === "classic" would be a branch.'),
        cell("code", ["const x = 1;\n", 'if (config.family === "classic") console.log(x);\n']),
      ],
    }),
    "b.ipynb": JSON.stringify({ cells: [cell("code", "await perFamily([config], table);\n")] }),
  }, checkNotebooks);
  assert.deepEqual(problems.map((p) => p.kind), ["family-branch"]);
  assert.match(
    problems[0].message,
    /^notebooks\/a\.ipynb cell 2 line 2 branches on the family's name/,
  );
});
