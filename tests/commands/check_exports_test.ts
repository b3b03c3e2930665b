import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkEntries,
  checkEntryPoints,
  MAX_ENTRY_NAMES,
  runtimeNames,
} from "../../lib/commands/check_exports.ts";
import { ROOT, runScript } from "../_tiny_runs.ts";

/** A module exporting `count` constants (`n0`, `n1`, ...) and a type, which is not counted. */
function constants(count: number): string {
  const lines = Array.from({ length: count }, (_, k) => `export const n${k} = ${k};`);
  return [...lines, "export interface NotCounted {\n  x: number;\n}", ""].join("\n");
}

/** Writes a repository with a `deno.json`, `lib/mod.ts` and `lib/a/mod.ts` (`count` names). */
async function tinyRepository(count: number): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "midi-lstm-entries-" });
  await Deno.mkdir(join(root, "lib", "a"), { recursive: true });
  await Deno.writeTextFile(join(root, "lib", "a", "mod.ts"), constants(count));
  await Deno.writeTextFile(join(root, "lib", "mod.ts"), 'export * from "./a/mod.ts";\n');
  await Deno.writeTextFile(
    join(root, "deno.json"),
    JSON.stringify({ imports: { "midi-lstm": "./lib/mod.ts", "midi-lstm/a": "./lib/a/mod.ts" } }),
  );
  return root;
}

Deno.test("checkEntryPoints() passes this repository: midi-lstm stays under 100 runtime names", async () => {
  const { problems, mainNames } = await checkEntryPoints(join(ROOT, "lib"));
  assert.deepEqual(problems, []);
  assert.ok(mainNames > 0 && mainNames <= MAX_ENTRY_NAMES, `${mainNames} names`);
});

Deno.test("runtimeNames() counts a module's functions and constants, not its types", async () => {
  const root = await tinyRepository(3);
  try {
    assert.deepEqual(await runtimeNames(join(root, "lib", "mod.ts")), ["n0", "n1", "n2"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("check_exports fails on a main entry of 100 runtime names and passes one of 99", async () => {
  for (const count of [MAX_ENTRY_NAMES + 1, MAX_ENTRY_NAMES]) {
    const root = await tinyRepository(count);
    try {
      const result = await runScript("lib/commands/check_exports.ts", [join(root, "lib")]);
      if (count > MAX_ENTRY_NAMES) {
        assert.equal(result.code, 1, result.stderr);
        assert.match(
          result.stderr,
          /lib\/mod\.ts: midi-lstm exports 100 runtime names; expected at most 99/,
        );
      } else {
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /midi-lstm exports 99 runtime names \(at most 99\)/);
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }
});

Deno.test("checkEntries() names a main-only name, a name with two homes and a folder without an entry", () => {
  const imports = {
    "midi-lstm": "./lib/mod.ts",
    "midi-lstm/a": "./lib/a/mod.ts",
    "midi-lstm/b": "./lib/b/mod.ts",
    "midi-lstm/c": "./lib/elsewhere.ts",
  };
  const names = new Map([
    ["midi-lstm", ["shared", "orphan"]],
    ["midi-lstm/a", ["shared", "twice"]],
    ["midi-lstm/b", ["twice"]],
    ["midi-lstm/c", []],
  ]);
  const messages = checkEntries(imports, names, { folders: ["a", "b", "d"] })
    .map((p) => `${p.where}: ${p.message}`);
  assert.deepEqual(messages, [
    'deno.json: "midi-lstm/c" maps to ./lib/elsewhere.ts; expected ./lib/c/mod.ts',
    'deno.json: lib/d/mod.ts has no entry point; expected "midi-lstm/d": "./lib/d/mod.ts" in ' +
    "its imports",
    "lib/mod.ts: orphan is exported by midi-lstm but by no folder's entry; expected its " +
    "folder's mod.ts to export it too",
    "deno.json: twice is exported by midi-lstm/a and midi-lstm/b; expected one home",
  ]);
});

Deno.test("checkEntries() counts the main entry's names against max", () => {
  const imports = { "midi-lstm": "./lib/mod.ts", "midi-lstm/a": "./lib/a/mod.ts" };
  const three = ["x", "y", "z"];
  const names = new Map([["midi-lstm", three], ["midi-lstm/a", three]]);
  assert.deepEqual(checkEntries(imports, names, { max: 3 }), []);
  const problems = checkEntries(imports, names, { max: 2 });
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /midi-lstm exports 3 runtime names; expected at most 2/);
});
