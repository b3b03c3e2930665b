/**
 * `deno task export`: a trained run as a static web page that composes in the browser,
 * offline: pick a seed window, a temperature and a length, press Generate, watch the piano
 * roll, listen, download the `.mid`. The same seed and settings give the same notes as
 * `deno task generate`.
 *
 * ```
 * deno task export --run DIR [--out DIR] [--data DIR]
 * ```
 *
 * Without `--out` the page goes to `<run>/outputs/web/`. Open `index.html` from the folder, or serve
 * it with any static server (`python3 -m http.server -d DIR`); copy the folder to share it.
 *
 * @module
 */
import { selectBackend } from "../engine/backend.ts";
import { exportRun } from "../web/export_run.ts";
import { fail, parseCommandLine } from "./_format.ts";

const USAGE = "usage: deno task export --run DIR [--out DIR] [--data DIR]";

const { values: args } = parseCommandLine({
  run: { type: "string" },
  out: { type: "string" },
  data: { type: "string" },
}, USAGE);
if (!args.run) fail(`--run: expected the folder of a trained run\n${USAGE}`);

try {
  // Loading and re-saving the model needs no speed: the plain cpu backend starts at once.
  await selectBackend({ backend: "cpu" });
  const exported = await exportRun(args.run, {
    outDir: args.out,
    dataDir: args.data,
    onStep: (message) => console.log(message),
  });
  const bytes = exported.files.reduce((sum, f) => sum + f.bytes, 0);
  for (const f of exported.files) {
    console.log(`  ${f.path.padEnd(28)} ${(f.bytes / 1024).toFixed(1).padStart(9)} KB`);
  }
  console.log(
    `exported the ${exported.family} run: ${exported.pieces} piece(s) to start from, ` +
      `${(bytes / 1024 / 1024).toFixed(1)} MB in ${exported.outDir}`,
  );
  console.log(`open ${exported.outDir}/index.html, or serve the folder with any static server`);
} catch (e) {
  fail((e as Error).message);
}
