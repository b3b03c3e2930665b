/**
 * `deno task data`: download a MIDI dataset into `data/<name>/`, resumably, with a progress
 * bar on stderr and a SHA-256 check.
 *
 * ```
 * deno task data --list
 * deno task data maestro [--dest DIR] [--url URL] [--sha256 HEX|none] [--keep-archive] [--force]
 * ```
 *
 * An interrupted download leaves `<archive>.part` next to the destination; running the same
 * command again continues it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DATASETS, type DownloadProgress, fetchDataset } from "../io/download.ts";

const USAGE = "deno task data <name> [--dest DIR] [--url URL] [--sha256 HEX|none] " +
  "[--keep-archive] [--force]\n       deno task data --list";

let args;
try {
  args = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      list: { type: "boolean", default: false },
      dest: { type: "string" },
      url: { type: "string" },
      sha256: { type: "string" },
      "keep-archive": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (e) {
  console.error(`${(e as Error).message}\nusage: ${USAGE}`);
  Deno.exit(2);
}
const { values, positionals } = args;

if (values.help) {
  console.log(`usage: ${USAGE}`);
  Deno.exit(0);
}
if (values.list) {
  for (const d of Object.values(DATASETS)) {
    console.log(`${d.name}  ${d.title}`);
    console.log(`  ${(d.sizeBytes / 1e6).toFixed(1)} MB, ${d.license}, ${d.homepage}`);
    console.log(`  ${d.url}`);
    console.log(`  sha256 ${d.sha256}`);
  }
  Deno.exit(0);
}
if (positionals.length !== 1) {
  console.error(`expected one dataset name, got ${positionals.length}\nusage: ${USAGE}`);
  Deno.exit(2);
}
const name = positionals[0];

const encoder = new TextEncoder();
const tty = Deno.stderr.isTerminal();
let lastDraw = 0;
let lastPhase = "";
let lastTenth = -1;
const started = performance.now();

/** Draws one progress line on stderr: redrawn in place on a terminal, every 10% otherwise. */
function draw(p: DownloadProgress): void {
  const now = performance.now();
  const finished = p.total !== undefined && p.done >= p.total;
  const fraction = p.total ? Math.min(1, p.done / p.total) : undefined;
  const tenth = fraction === undefined ? -1 : Math.floor(fraction * 10);
  if (tty) {
    if (p.phase === lastPhase && !finished && now - lastDraw < 100) return;
  } else if (p.phase === lastPhase && tenth === lastTenth) return;
  if (p.phase !== lastPhase && lastPhase !== "" && tty) Deno.stderr.writeSync(encoder.encode("\n"));
  lastDraw = now;
  lastPhase = p.phase;
  lastTenth = tenth;
  const width = 30;
  const filled = fraction === undefined ? 0 : Math.round(fraction * width);
  const bar = fraction === undefined
    ? "?".repeat(width)
    : "#".repeat(filled) + "-".repeat(width - filled);
  const pct = fraction === undefined ? "   ?  " : `${(fraction * 100).toFixed(1).padStart(5)}%`;
  let detail: string;
  if (p.phase === "extract") detail = `${p.done}/${p.total ?? "?"} files`;
  else {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    detail = `${mb(p.done)}/${p.total === undefined ? "?" : mb(p.total)} MB`;
    if (p.phase === "download") {
      const seconds = (now - started) / 1000;
      const rate = (p.done - (p.resumedFrom ?? 0)) / Math.max(seconds, 1e-3) / 1e6;
      detail += `  ${rate.toFixed(1)} MB/s`;
      if (p.resumedFrom) detail += `  (resumed at ${mb(p.resumedFrom)} MB)`;
    }
  }
  const line = `${p.phase.padEnd(8)} [${bar}] ${pct}  ${detail}`;
  Deno.stderr.writeSync(encoder.encode(tty ? `\r${line}\x1b[K` : `${line}\n`));
}

try {
  const sha256 = values.sha256 === undefined
    ? undefined
    : values.sha256.toLowerCase() === "none"
    ? null
    : values.sha256;
  const result = await fetchDataset(name, {
    url: values.url,
    dest: values.dest,
    sha256,
    keepArchive: values["keep-archive"],
    force: values.force,
    onProgress: draw,
  });
  if (lastPhase !== "" && tty) Deno.stderr.writeSync(encoder.encode("\n"));
  if (result.alreadyPresent) {
    console.log(
      `${name}: already in ${result.dest} (${result.midiFiles} MIDI files); --force downloads again`,
    );
  } else {
    console.log(
      `${name}: ${result.midiFiles} MIDI files (${result.files} files) in ${result.dest}`,
    );
    console.log(
      result.verified
        ? `sha256 ${result.sha256} (checked)`
        : `sha256 ${result.sha256} (not checked: no known checksum; pass --sha256 ${result.sha256} ` +
          "to check later downloads)",
    );
  }
} catch (e) {
  if (lastPhase !== "" && tty) Deno.stderr.writeSync(encoder.encode("\n"));
  console.error(`data ${name}: ${(e as Error).message}`);
  Deno.exit(1);
}
