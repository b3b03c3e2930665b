/**
 * Checks the notebooks, as `deno task check` runs it:
 * - formatted as `deno fmt` formats them (checked on copies: `deno fmt --check` misreports
 *   some notebooks that `deno fmt` leaves unchanged, so deno.json keeps them out of the
 *   plain check);
 * - committed without outputs;
 * - code cells type-check: `deno check` does not read `.ipynb`, so each notebook's code
 *   cells are joined into one `<name>.ts` in a temporary folder (imports hoist as in the
 *   kernel) and checked with the project's deno.json.
 *
 * deno run -A notebooks/_check.ts [notebook.ipynb ...]
 */
import { basename, join } from "node:path";

const FMT_FLAGS = ["--no-config", "--line-width=100", "--prose-wrap=preserve"];

const dir = new URL(".", import.meta.url).pathname;
const notebooks = Deno.args.length
  ? Deno.args
  : [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => /^[^_].*\.ipynb$/.test(n))
    .sort().map((n) => join(dir, n));
const outDir = await Deno.makeTempDir({ prefix: "notebook-check-" });
const problems: string[] = [];

const copies = notebooks.map((path) => join(outDir, basename(path)));
for (const [i, path] of notebooks.entries()) await Deno.copyFile(path, copies[i]);
const fmt = await new Deno.Command(Deno.execPath(), {
  args: ["fmt", ...FMT_FLAGS, "--quiet", ...copies],
}).output();
if (!fmt.success) problems.push(new TextDecoder().decode(fmt.stderr));

const files: string[] = [];
for (const [i, path] of notebooks.entries()) {
  const bytes = await Deno.readFile(path);
  const formatted = await Deno.readFile(copies[i]);
  if (bytes.length !== formatted.length || bytes.some((v, k) => v !== formatted[k])) {
    problems.push(`${path}: not formatted; run: deno fmt ${FMT_FLAGS.join(" ")} ${path}`);
  }
  const nb = JSON.parse(new TextDecoder().decode(bytes));
  const cells = nb.cells as { cell_type: string; source: string | string[]; outputs?: [] }[];
  if (cells.some((c) => c.outputs?.length)) {
    problems.push(`${path}: has outputs; clear them before committing`);
  }
  const code = cells.filter((c) => c.cell_type === "code").map((c, k) =>
    `// --- cell ${k + 1}\n${Array.isArray(c.source) ? c.source.join("") : c.source}`
  );
  const file = join(outDir, basename(path).replace(/\.ipynb$/, ".ts"));
  await Deno.writeTextFile(
    file,
    `// Generated from ${basename(path)}; do not edit.\n${code.join("\n\n")}\nexport {};\n`,
  );
  files.push(file);
}

const config = join(dir, "..", "deno.json");
const check = await new Deno.Command(Deno.execPath(), {
  args: ["check", "--config", config, ...files],
}).spawn().status;
await Deno.remove(outDir, { recursive: true });
for (const p of problems) console.error(p);
Deno.exit(check.code || (problems.length ? 1 : 0));
