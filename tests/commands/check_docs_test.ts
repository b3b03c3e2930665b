import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkDocs,
  codeSpans,
  commentText,
  type DocsTree,
  docTexts,
  gitignoreMatcher,
  headingAnchor,
  libExports,
  loadDocsTree,
} from "../../lib/commands/check_docs.ts";

/** A small tree: two lesson modules, the split, a mod.ts re-exporting them, a doc. */
const SOURCES: Record<string, string> = {
  "lib/tutorial/windows.ts": "export function tutorialWindows() {}\n" +
    "export interface WindowOptions {\n  sequenceLength?: number;\n}\n",
  "lib/train/split.ts": "export function splitByFile() {}\nfunction shuffleFiles() {}\n",
  "lib/tutorial/sample.ts": "export function generateNotes() {}\n",
  "lib/tutorial/fast_sample.ts": "export function generateNotesStateful() {}\n",
  "lib/mod.ts": 'export * from "./tutorial/windows.ts";\n' +
    'export { splitByFile as splitFiles } from "./train/split.ts";\n',
};

function tree(extra: Partial<DocsTree> = {}): DocsTree {
  const sources = new Map(Object.entries(SOURCES));
  const words = new Set<string>();
  for (const text of sources.values()) for (const w of text.match(/\w+/g) ?? []) words.add(w);
  const lineCounts = new Map([...sources].map(([f, t]) => [f, t.split("\n").length - 1]));
  return {
    files: new Set([...sources.keys(), "README.md", "docs/performance.md", "data/tunes/a.mid"]),
    lineCounts,
    exports: libExports(sources),
    locals: new Map([
      ["lib/train/split.ts", new Set(["shuffleFiles"])],
      ["lib/tutorial/windows.ts", new Set(["sequenceLength"])],
    ]),
    words,
    ...extra,
  };
}

function check(path: string, text: string, extra: Partial<DocsTree> = {}) {
  return checkDocs([{ path, text }], tree(extra));
}

Deno.test("checkDocs() passes good paths and names in their forms", () => {
  const text = [
    "# Reading",
    "",
    "Windows: `tutorialWindows` in `lib/tutorial/windows.ts`; `splitByFile`,",
    "`tutorialWindows` and `generateNotes()` live in `lib/`: `splitByFile` in `lib/train/`.",
    "",
    "| step | function |",
    "| --- | --- |",
    "| windows | `tutorialWindows`, `WindowOptions` (`lib/tutorial/windows.ts`) |",
    "| sample | `generateNotes` (`lib/tutorial/sample.ts`), `generateNotesStateful` (`lib/tutorial/fast_sample.ts`) |",
    "",
    "See `lib/train/split.ts:2`, `lib/mod.ts` (2 lines), `data/tunes/`, `docs/performance.md`,",
    "[the reading](#reading), [performance](docs/performance.md) and",
    "`deno run -A lib/train/split.ts`. Call `tutorialWindows()` or `splitFiles({ x: 1 })`.",
    "The `sequenceLength` in `lib/tutorial/windows.ts` is a field, `shuffleFiles` (`lib/train/split.ts`)",
    "a private helper; `cpus()`, `setTimeout()`, `tf.loadLayersModel`, `Dense` and `torch` are not",
    "the library's.",
  ].join("\n");
  const globals = new Set(["setTimeout"]);
  assert.deepEqual(check("README.md", text, { globals }), []);
});

Deno.test("checkDocs() names a path that does not exist, with file and line", () => {
  const text = "One.\n\nThe split is in `lib/train/splits.ts`;\nrun `deno run -A tests/gone.ts`.\n";
  assert.deepEqual(check("README.md", text), [
    { where: "README.md:3", message: "`lib/train/splits.ts`: no such file" },
    { where: "README.md:4", message: "`tests/gone.ts`: no such file" },
  ]);
});

Deno.test("checkDocs() names a name that lib/ does not export", () => {
  const text =
    "Windows come from `makeWindows` (`lib/tutorial/windows.ts`); call `gatherAll()`.\n" +
    "Then `pickSeedWindow` picks one; `generateNotes` in `lib/train/` plays.\n";
  assert.deepEqual(check("notebooks/README.md", text), [
    {
      where: "notebooks/README.md:1",
      message: "`makeWindows` is not exported by lib/tutorial/windows.ts, nor anywhere in lib/",
    },
    {
      where: "notebooks/README.md:1",
      message: "`gatherAll()`: gatherAll is exported nowhere in lib/",
    },
    { where: "notebooks/README.md:2", message: "`pickSeedWindow` appears nowhere in lib/'s code" },
    {
      where: "notebooks/README.md:2",
      message: "`generateNotes` is not exported by lib/train/; it is in lib/tutorial/sample.ts",
    },
  ]);
});

Deno.test("checkDocs() names a name put in the wrong file, in a doc and in a lib/ comment", () => {
  const doc =
    "| generate | `generateNotes`, `generateNotesStateful` (`lib/tutorial/sample.ts`) |\n";
  assert.deepEqual(check("notebooks/README.md", doc), [{
    where: "notebooks/README.md:1",
    message:
      "`generateNotesStateful` is not exported by lib/tutorial/sample.ts; it is in lib/tutorial/fast_sample.ts",
  }]);
  const source = "/**\n * Classic windows.\n *\n * Split files first (`splitByFile` in\n" +
    " * `lib/tutorial/windows.ts`), so no window leaks.\n *\n * @module\n */\nexport const x = 1;\n";
  assert.deepEqual(check("lib/classic/windows.ts", source), [{
    where: "lib/classic/windows.ts:4",
    message:
      "`splitByFile` is not exported by lib/tutorial/windows.ts; it is in lib/train/split.ts",
  }]);
});

Deno.test("checkDocs() resolves a lib/ comment's file names beside the module", () => {
  const good = "/** The fast loop is `generateNotesStateful` (`fast_sample.ts`). */\nexport {};\n";
  assert.deepEqual(check("lib/tutorial/sample.ts", good), []);
  const stale = "/**\n * Each step hands over to `tutorial.ts` or `classic.ts`.\n */\nexport {};\n";
  assert.deepEqual(check("lib/workflow/workflow.ts", stale).map((p) => p.message), [
    "`tutorial.ts`: no such file",
    "`classic.ts`: no such file",
  ]);
});

Deno.test("checkDocs() checks :line, #anchor, (N lines) and relative links", () => {
  const text = [
    "# Intro",
    "See `lib/train/split.ts:40`, `README.md#outro`, `lib/mod.ts` (12 lines),",
    "[missing](docs/gone.md), [anchor](#intro), [bad anchor](#setup).",
  ].join("\n");
  assert.deepEqual(check("README.md", text).map((p) => p.message), [
    "`lib/train/split.ts:40`: lib/train/split.ts has 2 lines",
    "`README.md#outro`: README.md has no heading #outro",
    "`lib/mod.ts` (12 lines): the file has 2",
    "link (docs/gone.md): no such file docs/gone.md",
    "link (#setup): README.md has no heading #setup",
  ]);
});

Deno.test("checkDocs() leaves out fenced code, paths git ignores and other projects' paths", () => {
  const text = "```sh\ndeno run -A lib/gone.ts\n```\n\n" +
    "Downloads go to `data/maestro/`; muspy's list is `muspy/datasets/maestro.py`.\n";
  const ignored = gitignoreMatcher("data/maestro/\n");
  assert.deepEqual(check("README.md", text, { ignored }), []);
  assert.deepEqual(check("README.md", text).map((p) => p.message), [
    "`data/maestro/`: no such file",
  ]);
});

Deno.test("checkDocs() flags a measured speed in a lib/ comment, not in commands/", () => {
  const source = "/**\n * Mostly unneeded (17.0 samples/s with 2 Workers).\n */\nexport {};\n";
  assert.deepEqual(check("lib/config/config.ts", source), [{
    where: "lib/config/config.ts:2",
    message: 'quotes a measured speed ("17.0 samples/s"); `deno task bench` writes those',
  }]);
  assert.deepEqual(check("lib/commands/bench.ts", source), []);
});

Deno.test("checkDocs() checks only a module's comments, calls there against lib/'s code", () => {
  const source = [
    "// `optimizer.getWeights()` as `getWeights()`; `unitForgetBias` is a tfjs option",
    'const s = "`lib/gone.ts` in a string is code";',
    "/** Calls `vanishedHelper()`. */",
    "export {};",
  ].join("\n");
  const words = new Set(["getWeights"]);
  assert.deepEqual(check("lib/engine/fused_adam.ts", source, { words }), [{
    where: "lib/engine/fused_adam.ts:3",
    message: "`vanishedHelper()`: vanishedHelper is mentioned nowhere in lib/",
  }]);
});

Deno.test("libExports() follows export * and renamed re-exports", () => {
  const exports = libExports(new Map(Object.entries(SOURCES)));
  assert.deepEqual([...exports.get("lib/mod.ts")!].sort(), [
    "WindowOptions",
    "splitFiles",
    "tutorialWindows",
  ]);
  assert.deepEqual([...exports.get("lib/train/split.ts")!], ["splitByFile"]);
});

Deno.test("codeSpans() reads single and double backtick spans over a line break", () => {
  const spans = codeSpans("a `b\nc` and `` `d` `` but\n\n`not\n\nclosed");
  assert.deepEqual(spans.map((s) => s.code), ["b c", "`d`"]);
});

Deno.test("commentText() keeps comments at their lines and blanks the code", () => {
  const text = commentText('/**\n * `a`\n */\nconst x = "`b`";\n// `c`\n');
  assert.deepEqual(codeSpans(text).map((s) => s.code), ["a", "c"]);
  assert.equal(text.split("\n").length, 6);
});

Deno.test("gitignoreMatcher() follows folders, globs and negation", () => {
  const ignored = gitignoreMatcher("out/\nweights/*\n!weights/README.md\ndata/*.zip\n");
  assert.equal(ignored("out/demo/a.mid"), true);
  assert.equal(ignored("weights/my-run/"), true);
  assert.equal(ignored("weights/README.md"), false);
  assert.equal(ignored("data/x.zip"), true);
  assert.equal(ignored("data/tunes/a.mid"), false);
});

Deno.test("headingAnchor() makes GitHub's anchors", () => {
  assert.equal(headingAnchor("Reading order: the lesson first"), "reading-order-the-lesson-first");
  assert.equal(headingAnchor("Export to the `browser`"), "export-to-the-browser");
});

Deno.test("loadDocsTree() and docTexts() read a repository folder", async () => {
  const root = await Deno.makeTempDir({ prefix: "midi-lstm-docs-" });
  try {
    const files: Record<string, string> = {
      ".gitignore": "out/\n",
      "README.md": "Windows: `tutorialWindows` (`lib/tutorial/windows.ts`), `lib/gone.ts`.\n",
      "lib/tutorial/windows.ts": "/** Splits: `splitByFile` in `lib/tutorial/windows.ts`. */\n" +
        "export function tutorialWindows() {}\n",
      "docs/data.md": "Output goes to `out/demo/`.\n",
      "notes.md": "`lib/unchecked.ts` (not a checked doc)\n",
    };
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    }
    const docsTree = await loadDocsTree(root);
    const texts = await docTexts(root, docsTree);
    assert.deepEqual(texts.map((t) => t.path).sort(), [
      "README.md",
      "docs/data.md",
      "lib/tutorial/windows.ts",
    ]);
    assert.deepEqual(checkDocs(texts, docsTree), [
      { where: "README.md:1", message: "`lib/gone.ts`: no such file" },
      {
        where: "lib/tutorial/windows.ts:1",
        message: "`splitByFile` is not exported by lib/tutorial/windows.ts, nor anywhere in lib/",
      },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
