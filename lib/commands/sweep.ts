/**
 * `deno task sweep --config FILE [--quick]`: runs every combination of a sweep file's grid
 * (see `lib/judge/sweep.ts`), prints a comparison table and writes the loss curves of all runs
 * to `out/sweeps/<name>/loss.html`.
 *
 * A sweep file is JSON: `{"name": "lr", "base": {"family": "tutorial", ...},
 * "grid": {"model.learningRate": [0.01, 0.005]}}`, and/or chosen combinations in
 * `"runs": [{"model.input": "scaled"}, {"model.input": "embedding"}]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { selectBackend } from "../engine/backend.ts";
import { runSweep, type SweepSpec } from "../judge/sweep.ts";
import { compareLossFigure } from "../notebook/plot.ts";
import { saveFigureHtml, tableBundle } from "../notebook/display.ts";
import { formatEpochLine } from "./_format.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    config: { type: "string" },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help || !args.config) {
  console.log("deno task sweep --config FILE.json [--quick]");
  Deno.exit(args.help ? 0 : 2);
}

let spec: SweepSpec;
try {
  spec = JSON.parse(await Deno.readTextFile(args.config));
  if (
    typeof spec.name !== "string" || !spec.base ||
    (typeof spec.grid !== "object" && !Array.isArray(spec.runs))
  ) {
    throw new Error('expected {"name": ..., "base": {...}, "grid": {...}} (or "runs": [...])');
  }
} catch (e) {
  console.error(`error: sweep file ${args.config}: ${(e as Error).message}`);
  Deno.exit(2);
}

try {
  const backend = await selectBackend({ backend: (spec.base as { backend?: "auto" }).backend });
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const result = await runSweep(spec, {
    quick: args.quick,
    onRunStart: (label, i, n) => console.log(`--- run ${i}/${n}: ${label}`),
    onEpochEnd: (_, info) => console.log(formatEpochLine(info)),
  });
  const rows = result.rows.map(({ values: _v, runDir: _d, ...row }) => row);
  console.log(tableBundle(rows, { head: rows.length })["text/plain"]);
  const plot = join("out", "sweeps", spec.name, "loss.html");
  await saveFigureHtml(compareLossFigure(result.histories), plot);
  console.log(`loss curves: ${plot}`);
  console.log(`runs and summary: weights/sweeps/${spec.name}/`);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  Deno.exit(1);
}
