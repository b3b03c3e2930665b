/**
 * `deno task check` (layers): fails when a module of `lib/` imports one above it, or when
 * the modules' imports form a cycle.
 *
 * The layers, bottom first (a module may import its own layer and the ones below):
 *
 * 0. `music`, `random` (neither uses TensorFlow), `config`, `io`, `engine`
 * 1. `train`
 * 2. `tutorial`, `classic` (neither imports the other)
 * 3. `workflow`
 * 4. `judge`, `notebook`, `web`
 * 5. `commands`, and the entry points `lib/mod.ts`
 *
 * Code asks the family object (`lib/workflow/families.ts`) instead of comparing `family` with
 * a name by `===`: such a branch anywhere in lib/ but the registry is a problem. The layers
 * below the families, which cannot import them, keep per-family values in tables keyed by
 * the family's name.
 * The notebooks' code cells are held to the same rule ({@linkcode checkNotebooks}): a cell
 * asks the family (`familyOf`, `perFamily`).
 *
 * The lesson files (each family's encode, windows, model and sample, and the windowing they
 * share, `LESSON_FILES`) import nothing from `lib/engine/`: the run swaps the fast parts in behind the lesson's interfaces.
 *
 * Usage: `deno run -A lib/commands/check_layers.ts [lib [notebooks]]` (default: this
 * repository's `lib/` and `notebooks/`)
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { listFiles } from "./_source_files.ts";

/** Each folder of `lib/` and its layer. */
export const LAYERS: Readonly<Record<string, number>> = {
  music: 0,
  random: 0,
  config: 0,
  io: 0,
  engine: 0,
  train: 1,
  tutorial: 2,
  classic: 2,
  workflow: 3,
  judge: 4,
  notebook: 4,
  web: 4,
  commands: 5,
  ".": 5,
};

/** Folders that must not import each other although they share a layer. */
const SIBLINGS_APART: ReadonlyArray<readonly [string, string]> = [["tutorial", "classic"]];

/** Folders that must not import TensorFlow.js. */
const NO_TENSORFLOW = new Set(["music", "random"]);

/** A comparison of a `family` by `===`, as the issue's grep counts it. */
const FAMILY_BRANCH = /family\s===/;

/** The one module above the lower layers that may branch on a family's name. */
const FAMILY_REGISTRY = "workflow/families.ts";

/** The lesson files, which import nothing from `lib/engine/`. */
export const LESSON_FILES: ReadonlySet<string> = new Set([
  ...["tutorial", "classic"].flatMap((family) =>
    ["encode", "windows", "model", "sample"].map((step) => `${family}/${step}.ts`)
  ),
  "train/windows.ts",
]);

/** Where a family branch was found: a module's lines or a notebook's code cells. */
function familyBranches(source: string, where: (line: number) => string): LayerProblem[] {
  const problems: LayerProblem[] = [];
  source.split("\n").forEach((line, i) => {
    if (FAMILY_BRANCH.test(line)) {
      problems.push({
        kind: "family-branch",
        message: `${where(i + 1)} branches on the family's name; ask the family object ` +
          `(familyOf / familyNamed / perFamily in lib/${FAMILY_REGISTRY}) instead`,
      });
    }
  });
  return problems;
}

/** One broken rule, with the files it names. */
export interface LayerProblem {
  /**
   * `"upward"`, `"sibling"`, `"tensorflow"`, `"cycle"`, `"unknown-folder"` or
   * `"family-branch"` or `"lesson-engine"`.
   */
  kind: string;
  message: string;
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^;]*?from\s*"([^"]+)"|import\s*\(\s*"([^"]+)"\s*\)|^import\s+"([^"]+)"/gm;

/** The import specifiers of a module's source, static and dynamic with a literal string. */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function folderOf(libDir: string, file: string): string {
  const rel = relative(libDir, file);
  const parts = rel.split(/[\\/]/);
  return parts.length === 1 ? "." : parts[0];
}

/**
 * Checks every module under `libDir` against the layers.
 *
 * @returns the problems found (empty when the layering holds)
 */
export async function checkLayers(libDir: string): Promise<LayerProblem[]> {
  const root = resolve(libDir);
  const problems: LayerProblem[] = [];
  const graph = new Map<string, string[]>();
  for (const name of await listFiles(root, { keep: (n) => n.endsWith(".ts") })) {
    const file = join(root, name);
    const from = folderOf(root, file);
    const layer = LAYERS[from];
    if (layer === undefined) {
      problems.push({
        kind: "unknown-folder",
        message: `lib/${name}: folder "${from}" has no layer in check_layers.ts`,
      });
      continue;
    }
    const edges: string[] = [];
    const source = await Deno.readTextFile(file);
    if (name !== FAMILY_REGISTRY) {
      problems.push(...familyBranches(source, (line) => `lib/${name}:${line}`));
    }
    for (const spec of importSpecifiers(source)) {
      if (spec.startsWith("@tensorflow/") && NO_TENSORFLOW.has(from)) {
        problems.push({
          kind: "tensorflow",
          message: `lib/${name} imports ${spec}, but lib/${from}/ must not use TensorFlow`,
        });
      }
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(root)) continue;
      edges.push(target);
      const to = folderOf(root, target);
      const toLayer = LAYERS[to];
      if (toLayer !== undefined && toLayer > layer) {
        problems.push({
          kind: "upward",
          message: `lib/${name} (layer ${layer}, ${from}) imports lib/${
            relative(root, target)
          } (layer ${toLayer}, ${to})`,
        });
      }
      if (to === "engine" && LESSON_FILES.has(name)) {
        problems.push({
          kind: "lesson-engine",
          message: `lib/${name} is a lesson file but imports lib/${
            relative(root, target)
          }; the lesson imports nothing from lib/engine/`,
        });
      }
      if (SIBLINGS_APART.some(([a, b]) => (a === from && b === to) || (b === from && a === to))) {
        problems.push({
          kind: "sibling",
          message: `lib/${name} imports lib/${
            relative(root, target)
          }: ${from} and ${to} stay apart`,
        });
      }
    }
    graph.set(file, edges);
  }
  for (const cycle of findCycles(graph)) {
    problems.push({
      kind: "cycle",
      message: `import cycle: ${cycle.map((f) => `lib/${relative(root, f)}`).join(" -> ")}`,
    });
  }
  return problems;
}

/**
 * Checks the code cells of every `.ipynb` in `notebooksDir` for branches on a family's name
 * (a `family` compared with a name by `===`), as {@linkcode checkLayers} does for `lib/`
 * above the lower layers.
 *
 * @returns one `"family-branch"` problem per line, naming the notebook, cell and line
 *   (cells counted from 1 among all cells)
 * @throws {Error} naming the notebook when it is not JSON with a `cells` list
 */
export async function checkNotebooks(notebooksDir: string): Promise<LayerProblem[]> {
  const problems: LayerProblem[] = [];
  const names = [...Deno.readDirSync(notebooksDir)].map((e) => e.name)
    .filter((n) => n.endsWith(".ipynb")).sort();
  for (const name of names) {
    const path = join(notebooksDir, name);
    const notebook = JSON.parse(await Deno.readTextFile(path));
    if (!Array.isArray(notebook?.cells)) {
      throw new Error(`${path}: expected a notebook with a "cells" list`);
    }
    const cells = notebook.cells as { cell_type: string; source: string | string[] }[];
    cells.forEach((cell, k) => {
      if (cell.cell_type !== "code") return;
      const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      problems.push(
        ...familyBranches(source, (line) => `notebooks/${name} cell ${k + 1} line ${line}`),
      );
    });
  }
  return problems;
}

/** Cycles of a directed graph, each as its nodes with the first repeated at the end. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

if (import.meta.main) {
  const libDir = Deno.args[0] ?? fileURLToPath(new URL("..", import.meta.url));
  const notebooksDir = Deno.args[1] ?? fileURLToPath(new URL("../../notebooks", import.meta.url));
  const problems = [...await checkLayers(libDir), ...await checkNotebooks(notebooksDir)];
  for (const p of problems) console.error(`${p.kind}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`check_layers: ${problems.length} problem(s) in ${libDir} and ${notebooksDir}`);
    Deno.exit(1);
  }
  console.log(
    "check_layers: lib/ keeps its layers, no import cycle, no branch on a family's name " +
      "in lib/ or the notebooks, no lesson file imports lib/engine/",
  );
}
