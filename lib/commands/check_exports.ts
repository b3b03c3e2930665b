/**
 * `deno task check` (exports): every exported function of `lib/` takes at most two positional
 * arguments, plus a trailing options object (`options: XxxOptions`) for everything else, and
 * is a `function` declaration, not an arrow function bound to a `const`. Private helpers
 * (`_*.ts`) are not checked.
 *
 * It also checks the entry points that `deno.json` maps ({@linkcode checkEntries}):
 * `midi-lstm` (`lib/mod.ts`) exports at most {@linkcode MAX_ENTRY_NAMES} runtime names (types
 * are not counted), each of them also exported by a folder's entry; each folder of `lib/`
 * with a `mod.ts` is the entry `midi-lstm/<folder>`; and no runtime name is exported by two
 * folders' entries, so every name has one home.
 *
 * Usage: `deno run -A lib/commands/check_exports.ts [lib]` (the entry points are read from
 * the `deno.json` beside `lib`)
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { lineIndex, listFiles } from "./_source_files.ts";

/** The most positional arguments an exported function may take. */
export const MAX_POSITIONAL = 2;

/** The most runtime names (functions, classes, constants) the `midi-lstm` entry may export. */
export const MAX_ENTRY_NAMES = 99;

/** The main entry point's name in `deno.json`'s imports. */
export const MAIN_ENTRY = "midi-lstm";

/** Whether an import-map key is an entry point: `midi-lstm` or `midi-lstm/<folder>`. */
function isEntry(key: string): boolean {
  return key === MAIN_ENTRY || key.startsWith(`${MAIN_ENTRY}/`);
}

/** One exported function that breaks a rule. */
export interface ExportProblem {
  /** `lib/`-relative file and 1-based line. */
  where: string;
  message: string;
}

const FUNCTION = /^export (?:async )?function\*? ?(\w+)\s*(<[^(]*>)?\s*\(/gm;
const ARROW = /^export const (\w+)(?:\s*:[^=]+)?\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*=>/gm;

/** The top-level parameters (their source text) of the parameter list starting at `open`. */
export function parameters(source: string, open: number): string[] {
  let depth = 0;
  let start = open;
  const out: string[] = [];
  for (let i = open; i < source.length; i++) {
    const ch = source[i];
    if ("([{<".includes(ch)) depth++;
    else if (")]}>".includes(ch)) {
      if (ch === ">" && source[i - 1] === "=") continue; // the arrow of a function type
      if (depth === 0) {
        const last = source.slice(start, i).trim();
        if (last) out.push(last);
        return out;
      }
      depth--;
    } else if (ch === "," && depth === 0) {
      out.push(source.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error("unterminated parameter list");
}

/** Whether a parameter is the trailing settings object (`options: XxxOptions = {}`). */
function isOptions(parameter: string): boolean {
  return /^options\??\s*:/.test(parameter) || /:\s*\w*Options\b/.test(parameter);
}

/** Checks one module's source; `name` is used in the messages. */
export function checkExportsOf(source: string, name: string): ExportProblem[] {
  const problems: ExportProblem[] = [];
  const lineOf = lineIndex(source);
  for (const m of source.matchAll(FUNCTION)) {
    const params = parameters(source, m.index! + m[0].length);
    if (params.length > 0 && isOptions(params[params.length - 1])) params.pop();
    const n = params.length;
    if (n > MAX_POSITIONAL) {
      problems.push({
        where: `${name}:${lineOf(m.index!)}`,
        message: `${m[1]}() takes ${n} positional arguments; expected at most ${MAX_POSITIONAL} ` +
          "(put the others in an options object)",
      });
    }
  }
  for (const m of source.matchAll(ARROW)) {
    problems.push({
      where: `${name}:${lineOf(m.index!)}`,
      message: `${m[1]} is an exported arrow function; expected a function declaration`,
    });
  }
  return problems;
}

/** Checks every module under `libDir`. */
export async function checkExports(libDir: string): Promise<ExportProblem[]> {
  const problems: ExportProblem[] = [];
  const modules = await listFiles(libDir, {
    keep: (name) => name.endsWith(".ts") && !name.startsWith("_"),
  });
  for (const module of modules) {
    const source = await Deno.readTextFile(join(libDir, module));
    problems.push(...checkExportsOf(source, `lib/${module}`));
  }
  return problems;
}

/**
 * The runtime names a module exports (its functions, classes and constants; types leave no
 * trace at run time), sorted. The module is imported, so its top-level code runs.
 *
 * @param path the module's file
 */
export async function runtimeNames(path: string): Promise<string[]> {
  const module = await import(pathToFileURL(path).href);
  return Object.keys(module).sort();
}

/** Options for {@linkcode checkEntries}. */
export interface CheckEntriesOptions {
  /**
   * The most runtime names the main entry may export.
   *
   * @default {MAX_ENTRY_NAMES}
   */
  max?: number;
  /**
   * The folders of `lib/` that have a `mod.ts`; each must be the entry
   * `midi-lstm/<folder>` (`./lib/<folder>/mod.ts`).
   *
   * @default {[]}
   */
  folders?: readonly string[];
}

/**
 * Checks the entry points: `imports` is `deno.json`'s import map; `names` maps each entry
 * point (`midi-lstm`, `midi-lstm/<folder>`) to its runtime names.
 *
 * @returns one problem for a missing main entry, for a main entry with more than `max` names,
 *   for each of its names that no folder's entry exports, for each name two folders' entries
 *   export, for each folder without its entry, and for an entry that does not map to
 *   `./lib/<folder>/mod.ts`
 */
export function checkEntries(
  imports: Readonly<Record<string, string>>,
  names: ReadonlyMap<string, readonly string[]>,
  options: CheckEntriesOptions = {},
): ExportProblem[] {
  const max = options.max ?? MAX_ENTRY_NAMES;
  const problems: ExportProblem[] = [];
  const where = "deno.json";
  if (imports[MAIN_ENTRY] === undefined) {
    problems.push({ where, message: `no "${MAIN_ENTRY}" in its imports; expected ./lib/mod.ts` });
  }
  for (const [entry, target] of Object.entries(imports)) {
    if (!isEntry(entry)) continue;
    const expected = entry === MAIN_ENTRY
      ? "./lib/mod.ts"
      : `./lib/${entry.slice(MAIN_ENTRY.length + 1)}/mod.ts`;
    if (target !== expected) {
      problems.push({ where, message: `"${entry}" maps to ${target}; expected ${expected}` });
    }
  }
  for (const folder of options.folders ?? []) {
    if (imports[`${MAIN_ENTRY}/${folder}`] === undefined) {
      problems.push({
        where,
        message: `lib/${folder}/mod.ts has no entry point; expected ` +
          `"${MAIN_ENTRY}/${folder}": "./lib/${folder}/mod.ts" in its imports`,
      });
    }
  }
  const main = names.get(MAIN_ENTRY) ?? [];
  if (main.length > max) {
    problems.push({
      where: "lib/mod.ts",
      message: `${MAIN_ENTRY} exports ${main.length} runtime names; expected at most ${max} ` +
        `(leave the rest to the folders' entries, ${MAIN_ENTRY}/<folder>)`,
    });
  }
  const homes = new Map<string, string[]>();
  for (const [entry, list] of names) {
    if (entry === MAIN_ENTRY) continue;
    for (const name of list) homes.set(name, [...(homes.get(name) ?? []), entry]);
  }
  for (const name of main) {
    if (!homes.has(name)) {
      problems.push({
        where: "lib/mod.ts",
        message: `${name} is exported by ${MAIN_ENTRY} but by no folder's entry; ` +
          `expected its folder's mod.ts to export it too`,
      });
    }
  }
  for (const [name, entries] of homes) {
    if (entries.length > 1) {
      problems.push({
        where,
        message: `${name} is exported by ${entries.join(" and ")}; expected one home`,
      });
    }
  }
  return problems;
}

/**
 * Reads `deno.json` beside `libDir`, imports each `midi-lstm` entry point it maps and checks
 * them ({@linkcode checkEntries}).
 *
 * @returns the problems, and the main entry's number of runtime names
 */
export async function checkEntryPoints(
  libDir: string,
): Promise<{ problems: ExportProblem[]; mainNames: number }> {
  const root = join(libDir, "..");
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const imports = (config.imports ?? {}) as Record<string, string>;
  const names = new Map<string, string[]>();
  for (const [entry, target] of Object.entries(imports)) {
    if (!isEntry(entry)) continue;
    names.set(entry, await runtimeNames(join(root, target)));
  }
  const folders: string[] = [];
  for await (const e of Deno.readDir(libDir)) {
    if (!e.isDirectory) continue;
    try {
      await Deno.stat(join(libDir, e.name, "mod.ts"));
      folders.push(e.name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return {
    problems: checkEntries(imports, names, { folders: folders.sort() }),
    mainNames: names.get(MAIN_ENTRY)?.length ?? 0,
  };
}

if (import.meta.main) {
  const libDir = Deno.args[0] ?? fileURLToPath(new URL("..", import.meta.url));
  const problems = await checkExports(libDir);
  const entries = await checkEntryPoints(libDir);
  problems.push(...entries.problems);
  for (const p of problems) console.error(`${p.where}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`check_exports: ${problems.length} problem(s)`);
    Deno.exit(1);
  }
  console.log(
    "check_exports: every exported function takes at most two positional arguments; " +
      `${MAIN_ENTRY} exports ${entries.mainNames} runtime names (at most ${MAX_ENTRY_NAMES}), ` +
      "each folder is its own entry",
  );
}
