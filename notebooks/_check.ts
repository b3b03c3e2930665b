/**
 * Type-checks the notebooks' code cells: `deno check` does not read `.ipynb`, so each
 * notebook's code cells are joined into one `<name>.ts` in a temporary folder (imports hoist
 * as in the kernel) and checked with the project's deno.json.
 *
 * deno run -A notebooks/_check.ts [notebook.ipynb ...]
 */
import { basename, join } from "node:path";

const dir = new URL(".", import.meta.url).pathname;
const notebooks = Deno.args.length
  ? Deno.args
  : [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => /^[^_].*\.ipynb$/.test(n))
    .sort().map((n) => join(dir, n));
const outDir = await Deno.makeTempDir({ prefix: "notebook-check-" });
const files: string[] = [];
for (const path of notebooks) {
  const nb = JSON.parse(await Deno.readTextFile(path));
  const cells = (nb.cells as { cell_type: string; source: string | string[] }[])
    .filter((c) => c.cell_type === "code")
    .map((c, i) =>
      `// --- cell ${i + 1}\n${Array.isArray(c.source) ? c.source.join("") : c.source}`
    );
  const file = join(outDir, basename(path).replace(/\.ipynb$/, ".ts"));
  await Deno.writeTextFile(
    file,
    `// Generated from ${basename(path)}; do not edit.\n${cells.join("\n\n")}\nexport {};\n`,
  );
  files.push(file);
}
const { code } = await new Deno.Command(Deno.execPath(), { args: ["check", ...files] }).spawn()
  .status;
Deno.exit(code);
