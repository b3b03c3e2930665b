/**
 * `deno task check` (exports): every exported function of `lib/` takes at most two positional
 * arguments, plus a trailing options object (`options: XxxOptions`) for everything else, and
 * is a `function` declaration, not an arrow function bound to a `const`. Private helpers
 * (`_*.ts`) are not checked.
 *
 * Usage: `deno run -A lib/commands/check_exports.ts [lib]`
 *
 * @module
 */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The most positional arguments an exported function may take. */
export const MAX_POSITIONAL = 2;

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
  const lineOf = (index: number) => source.slice(0, index).split("\n").length;
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

async function modules(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await modules(path));
    else if (e.name.endsWith(".ts") && !e.name.startsWith("_")) out.push(path);
  }
  return out.sort();
}

/** Checks every module under `libDir`. */
export async function checkExports(libDir: string): Promise<ExportProblem[]> {
  const problems: ExportProblem[] = [];
  for (const file of await modules(libDir)) {
    const name = `lib/${relative(libDir, file)}`;
    problems.push(...checkExportsOf(await Deno.readTextFile(file), name));
  }
  return problems;
}

if (import.meta.main) {
  const libDir = Deno.args[0] ?? fileURLToPath(new URL("..", import.meta.url));
  const problems = await checkExports(libDir);
  for (const p of problems) console.error(`${p.where}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`check_exports: ${problems.length} problem(s)`);
    Deno.exit(1);
  }
  console.log("check_exports: every exported function takes at most two positional arguments");
}
