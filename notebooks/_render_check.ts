/**
 * Opens executed notebooks (by default `out/notebooks/*.ipynb`, as `deno task notebooks`
 * writes them) in real Jupyter front ends in headless Chromium and checks that each figure
 * and audio player shows (see `tests/_render.ts`):
 * - JupyterLab's output renderers, untrusted and trusted;
 * - the classic Notebook 6 server, untrusted (a fresh Jupyter data folder) and trusted (the
 *   user's data folder, where `notebooks/_run.py` signed the notebook; skipped with a note
 *   for a notebook that is not signed there).
 * It also checks that each notebook with figures stays under `--max-mb` (default 1.5) MB.
 * Screenshots of every checked output go to `--shots` (default `out/render/<family>`, the
 * family from NOTEBOOK_FAMILY, else `out/render`). Exits 1 on any problem.
 *
 * deno run -A notebooks/_render_check.ts [--max-mb 1.5] [--shots DIR] [notebook.ipynb ...]
 */
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import {
  classicInstalled,
  expectedOutputs,
  isSigned,
  notebookStem,
  readNotebook,
  type RenderReport,
  reportLine,
  startClassic,
  startLabRenderer,
} from "../tests/_render.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { "max-mb": { type: "string" }, shots: { type: "string" } },
  allowPositionals: true,
});
const maxBytes = Number(values["max-mb"] ?? "1.5") * 1e6;
const family = Deno.env.get("NOTEBOOK_FAMILY");
const shotsRoot = values.shots ?? join("out", "render", ...(family ? [family] : []));
const folder = join("out", "notebooks");
const paths = positionals.length ? positionals : [...Deno.readDirSync(folder)]
  .filter((e) => e.isFile && e.name.endsWith(".ipynb")).map((e) => join(folder, e.name)).sort();
if (paths.length === 0) {
  console.error(`render check: no notebooks (expected ${folder}/*.ipynb; run deno task notebooks)`);
  Deno.exit(1);
}
if (!classicInstalled()) {
  console.error("render check: jupyter-notebook (Notebook 6) is not installed");
  Deno.exit(1);
}

const problems: string[] = [];
const copies = await Deno.makeTempDir({ prefix: "midi-lstm-render-check-" });
const freshData = await Deno.makeTempDir({ prefix: "midi-lstm-jupyter-data-" });
const lab = await startLabRenderer();
// Notebook 6 opens copies, so nothing it does (autosave) touches the executed notebooks.
for (const path of paths) await Deno.copyFile(path, join(copies, basename(path)));
const untrusted = await startClassic(copies, freshData);
const trusted = await startClassic(copies);
try {
  for (const path of paths) {
    const name = basename(path);
    const stem = notebookStem(path);
    const nb = await readNotebook(path);
    const bytes = (await Deno.stat(path)).size;
    const figures = expectedOutputs(nb).filter((e) => e.kind === "figure").length;
    const mine: string[] = [];
    if (figures > 0 && bytes > maxBytes) {
      mine.push(`${(bytes / 1e6).toFixed(2)} MB with figures, over ${maxBytes / 1e6} MB`);
    }
    const shotsDir = join(shotsRoot, stem);
    const reports: RenderReport[] = [];
    for (const t of [false, true]) {
      reports.push(await lab.check(nb, { trusted: t, shotsDir, name: stem }));
    }
    reports.push(
      await untrusted.check(lab.browser, name, { trusted: false, shotsDir, name: stem }),
    );
    if (await isSigned(path)) {
      reports.push(await trusted.check(lab.browser, name, { trusted: true, shotsDir, name: stem }));
    } else {
      console.log(`     note: ${name} is not signed here; Notebook 6 trusted not checked`);
    }
    for (const r of reports) {
      mine.push(
        ...r.problems.map((p) => `${r.frontEnd} ${r.trusted ? "trusted" : "untrusted"}: ${p}`),
      );
    }
    console.log(
      `${mine.length ? "FAIL" : "ok  "} ${path} (${(bytes / 1e6).toFixed(2)} MB): ${
        reports.map(reportLine).join("; ")
      }`,
    );
    for (const p of mine) console.log(`     ${p}`);
    problems.push(...mine.map((p) => `${name}: ${p}`));
  }
} finally {
  await untrusted.close();
  await trusted.close();
  await lab.close();
  await Deno.remove(copies, { recursive: true }).catch(() => {});
  await Deno.remove(freshData, { recursive: true }).catch(() => {});
}
console.log(`screenshots: ${shotsRoot}/`);
if (problems.length) {
  console.error(`render check: ${problems.length} problem(s)`);
  Deno.exit(1);
}
console.log(`render check: all ${paths.length} notebook(s) show their figures and players.`);
