/**
 * Opens saved notebooks in real Jupyter front ends, in headless Chromium, and checks that
 * their figures and players show:
 * - **JupyterLab's renderers**: `@jupyterlab/rendermime` and `@jupyterlab/outputarea` (npm)
 *   bundled with esbuild into a static page ({@linkcode buildLabPage}, the browser side is
 *   `tests/_lab_page.ts`), which draws each code cell's outputs as JupyterLab does, untrusted
 *   or trusted;
 * - **the classic Notebook 6 front end**: Debian's `jupyter-notebook` server
 *   ({@linkcode startClassic}) opening the notebook file, untrusted (a fresh Jupyter data
 *   folder, so no signature is known) or trusted (the data folder that signed it).
 *
 * What is expected comes from the notebook itself ({@linkcode expectedOutputs}): each output
 * with plotly JSON is a figure; each with an `<audio` in its HTML is an audio player (the
 * music player, or a plain `<audio>`). Untrusted, a figure must show a picture (`img` or
 * `svg` with a size) and an audio player its `<audio>`; trusted, a figure must be drawn by
 * plotly (its `.main-svg`) and a player mounted (its canvas) or an `<audio>` shown. Each
 * checked output is saved as a screenshot.
 *
 * Used by `tests/notebook/render_test.ts` (a notebook it builds from the display functions)
 * and `notebooks/_render_check.ts` (the notebooks `deno task notebooks` executed).
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Locator, Page } from "playwright-core";
import { PLOTLY_MIME } from "../lib/notebook/display.ts";
import { launchBrowser, serveFolder, type StaticServer, type TestBrowser } from "./_browser.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** An nbformat v4 notebook, as far as these checks read it. */
export interface NotebookJson {
  cells: Array<{
    cell_type: string;
    source?: string | string[];
    metadata?: Record<string, unknown>;
    outputs?: Array<{ output_type: string; data?: Record<string, unknown> }>;
  }>;
  metadata?: Record<string, unknown>;
}

/** One output the front ends must show. */
export interface ExpectedOutput {
  /** Index of the cell among all cells. */
  cell: number;
  /** Index among the cell's display outputs (`display_data`, `execute_result`). */
  display: number;
  kind: "figure" | "audio";
  /** The text/plain form, to name it in messages. */
  label: string;
}

/** The figures and audio players of a notebook's saved outputs, in order. */
export function expectedOutputs(nb: NotebookJson): ExpectedOutput[] {
  const out: ExpectedOutput[] = [];
  nb.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const displays = (cell.outputs ?? []).filter((o) =>
      o.output_type === "display_data" || o.output_type === "execute_result"
    );
    displays.forEach((o, display) => {
      const data = o.data ?? {};
      const text = (key: string) => {
        const v = data[key];
        return Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "";
      };
      const label = text("text/plain").split("\n")[0].slice(0, 80);
      if (PLOTLY_MIME in data) out.push({ cell: index, display, kind: "figure", label });
      else if (text("text/html").includes("<audio")) {
        out.push({ cell: index, display, kind: "audio", label });
      }
    });
  });
  return out;
}

/**
 * The notebook as a Jupyter server hands it to JupyterLab: nbformat writes long strings as
 * lists of lines, and the server's reader joins them again (except in JSON MIME types), so
 * the front end only ever sees strings. A copy; the notebook is not changed.
 */
export function serverForm(nb: NotebookJson): NotebookJson {
  const copy = structuredClone(nb);
  const join = (v: unknown) =>
    Array.isArray(v) && v.every((x) => typeof x === "string") ? v.join("") : v;
  for (const cell of copy.cells) {
    cell.source = join(cell.source) as string;
    for (const o of cell.outputs ?? []) {
      const out = o as { text?: unknown; data?: Record<string, unknown> };
      if ("text" in out) out.text = join(out.text);
      for (const [mime, value] of Object.entries(out.data ?? {})) {
        if (!/json$/.test(mime)) out.data![mime] = join(value);
      }
    }
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// the JupyterLab renderer page

/**
 * Writes the JupyterLab renderer page into `dir`: `index.html` (with JupyterLab's output
 * style sheets) and `lab.js` (`tests/_lab_page.ts` with `@jupyterlab/rendermime` and
 * `@jupyterlab/outputarea`, bundled by esbuild; their icon SVGs load as text, their CSS
 * imports as nothing).
 *
 * @throws {Error} with esbuild's messages when bundling fails (run `deno install` first)
 */
export async function buildLabPage(dir: string): Promise<void> {
  const esbuild = await import("esbuild");
  try {
    await esbuild.build({
      entryPoints: [join(ROOT, "tests", "_lab_page.ts")],
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "chrome110",
      minify: true,
      outfile: join(dir, "lab.js"),
      loader: { ".svg": "text", ".css": "empty" },
      logLevel: "silent",
      absWorkingDir: ROOT,
    });
  } finally {
    await esbuild.stop();
  }
  const css: string[] = [];
  for (const pkg of ["rendermime", "outputarea"]) {
    css.push(
      await Deno.readTextFile(join(ROOT, "node_modules", "@jupyterlab", pkg, "style", "base.css")),
    );
  }
  await Deno.writeTextFile(
    join(dir, "index.html"),
    `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>JupyterLab output renderers</title>
<style>
body { font-family: sans-serif; font-size: 13px; margin: 12px; background: #fff; }
.lab-cell { border-top: 1px solid #e0e0e0; padding: 4px 0; }
${css.join("\n")}
</style>
</head>
<body>
<div id="notebook"></div>
<script src="lab.js"></script>
</body>
</html>
`,
  );
}

/** A started renderer page server with its browser. */
export interface LabRenderer {
  browser: TestBrowser;
  close(): Promise<void>;
  /** Renders a notebook's outputs; checks and screenshots them. */
  check(nb: NotebookJson, options: CheckOptions): Promise<RenderReport>;
}

/** Options of a render check. */
export interface CheckOptions {
  /** Render the outputs as trusted (their scripts run). */
  trusted: boolean;
  /** Folder for screenshots (created); none when undefined. */
  shotsDir?: string;
  /** File name stem of the screenshots. */
  name: string;
  /**
   * How long a trusted figure may take to be drawn by plotly, in milliseconds.
   * @default {30000}
   */
  drawTimeoutMs?: number;
}

/** What a render check found. */
export interface RenderReport {
  frontEnd: "jupyterlab" | "notebook6";
  trusted: boolean;
  /** Expected figures and audio players, and how many showed. */
  figures: number;
  figuresShown: number;
  audio: number;
  audioShown: number;
  /** One line per output that did not show, and other faults. */
  problems: string[];
  /** Screenshot paths written. */
  screenshots: string[];
}

/** Builds the page in a temporary folder, serves it, and starts Chromium. */
export async function startLabRenderer(): Promise<LabRenderer> {
  const dir = await Deno.makeTempDir({ prefix: "midi-lstm-lab-page-" });
  await buildLabPage(dir);
  const server: StaticServer = serveFolder(dir);
  const browser = await launchBrowser();
  return {
    browser,
    async close() {
      await browser.close();
      await server.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    async check(nb, options) {
      const { page } = browser;
      browser.errors.length = 0;
      await page.goto(server.url + "index.html");
      await page.waitForFunction(() => "labRender" in globalThis);
      await page.evaluate(
        ([json, trusted]) =>
          (globalThis as unknown as {
            labRender: (nb: unknown, trusted: boolean) => Promise<number>;
          }).labRender(JSON.parse(json as string), trusted as boolean),
        [JSON.stringify(serverForm(nb)), options.trusted] as const,
      );
      const report = await checkOutputs(
        page,
        nb,
        options,
        "jupyterlab",
        (cell) =>
          page.locator(`.lab-cell[data-cell="${cell}"] .jp-OutputArea-child`).filter({
            hasNot: page.locator('[data-mime-type^="application/vnd.jupyter.std"]'),
          }),
      );
      const uncaught = browser.errors.filter((e) => e.startsWith("uncaught"));
      report.problems.push(...uncaught.map((e) => `page: ${e}`));
      return report;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// checks shared by both front ends

async function visibleBox(locator: Locator): Promise<{ width: number; height: number } | null> {
  const n = await locator.count();
  for (let i = 0; i < n; i++) {
    const item = locator.nth(i);
    if (!(await item.isVisible())) continue;
    const box = await item.boundingBox();
    if (box && box.width >= 50 && box.height >= 50) return box;
  }
  return null;
}

/** Whether `locator` shows a visible box of at least 50 px square by `deadline` (ms). */
async function waitVisible(page: Page, locator: Locator, deadline: number): Promise<boolean> {
  while ((await visibleBox(locator)) === null) {
    if (Date.now() >= deadline) return false;
    await page.waitForTimeout(200);
  }
  return true;
}

async function checkOutputs(
  page: Page,
  nb: NotebookJson,
  options: CheckOptions,
  frontEnd: RenderReport["frontEnd"],
  displaysOf: (cell: number) => Locator,
): Promise<RenderReport> {
  const expected = expectedOutputs(nb);
  const report: RenderReport = {
    frontEnd,
    trusted: options.trusted,
    figures: expected.filter((e) => e.kind === "figure").length,
    figuresShown: 0,
    audio: expected.filter((e) => e.kind === "audio").length,
    audioShown: 0,
    problems: [],
    screenshots: [],
  };
  if (options.shotsDir && expected.length) {
    await Deno.mkdir(options.shotsDir, { recursive: true });
  }
  const mode = options.trusted ? "trusted" : "untrusted";
  const deadline = Date.now() + (options.drawTimeoutMs ?? 30_000);
  for (const e of expected) {
    const where = `cell ${e.cell}, output ${e.display} (${e.label})`;
    const displays = displaysOf(e.cell);
    const count = await displays.count();
    if (count <= e.display) {
      report.problems.push(`${where}: not on the page (the cell shows ${count} outputs)`);
      continue;
    }
    const output = displays.nth(e.display);
    let shown = false;
    if (e.kind === "figure") {
      if (options.trusted) {
        // plotly draws once its library is on the page: wait for it.
        shown = await waitVisible(page, output.locator(".plotly-graph-div .main-svg"), deadline);
        if (!shown) report.problems.push(`${where}: plotly did not draw the figure`);
      } else {
        const picture = await visibleBox(output.locator("img, svg"));
        shown = picture !== null;
        if (!shown) report.problems.push(`${where}: no picture (img or svg with a size)`);
        // The rest of the figure (the plotly div) must take no room without its script.
        const box = await output.boundingBox();
        if (picture && box && box.height > picture.height + 80) {
          report.problems.push(
            `${where}: the output is ${Math.round(box.height)} px high for a ${
              Math.round(picture.height)
            } px picture (blank space below it)`,
          );
        }
      }
      if (shown) report.figuresShown++;
    } else {
      const player = output.locator(".midi-lstm-player-mount canvas");
      if (options.trusted && await output.locator("[data-midi-lstm-player]").count()) {
        shown = await waitVisible(page, player, deadline);
        if (!shown) report.problems.push(`${where}: the music player did not mount`);
      } else {
        const audio = output.locator("audio");
        shown = (await audio.count()) > 0 && (await audio.first().isVisible());
        if (!shown) report.problems.push(`${where}: no <audio> player`);
      }
      if (shown) report.audioShown++;
    }
    if (options.shotsDir) {
      const path = join(
        options.shotsDir,
        `${options.name}-${frontEnd}-${mode}-cell${e.cell}-${e.display}.png`,
      );
      try {
        await output.screenshot({ path, timeout: 10_000 });
        report.screenshots.push(path);
      } catch (err) {
        report.problems.push(`${where}: no screenshot (${(err as Error).message.split("\n")[0]})`);
      }
    }
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// the classic Notebook 6 front end

/** The system Python that has nbformat (Debian's), as `notebooks/_run.py` looks for it. */
function python(): string {
  try {
    if (Deno.statSync("/usr/bin/python3").isFile) return "/usr/bin/python3";
  } catch { /* fall back to PATH */ }
  return "python3";
}

/** Whether Debian's `jupyter-notebook` (the classic Notebook 6 server) is installed. */
export function classicInstalled(): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(join(dir, "jupyter-notebook")).isFile) return true;
    } catch { /* next */ }
  }
  return false;
}

/**
 * Runs Python with nbformat's `NotebookNotary` (`notary`, in the Jupyter data folder
 * `dataDir`, default: the user's) and the notebook at `path` read as `nb`, then `action`.
 */
function runNotary(
  action: string,
  path: string,
  dataDir: string | undefined,
  stdio: "piped" | "null",
): Promise<Deno.CommandOutput> {
  const script = [
    "import sys, nbformat",
    "from nbformat.sign import NotebookNotary",
    "nb = nbformat.read(sys.argv[1], as_version=4)",
    "notary = NotebookNotary(data_dir=sys.argv[2]) if len(sys.argv) > 2 else NotebookNotary()",
    action,
  ].join("\n");
  return new Deno.Command(python(), {
    args: ["-c", script, path, ...(dataDir ? [dataDir] : [])],
    stdout: stdio,
    stderr: stdio,
  }).output();
}

/**
 * Signs a notebook file as `jupyter trust` does (nbformat's `NotebookNotary`), in the
 * Jupyter data folder `dataDir` (default: the user's), so Notebook 6 using that folder opens
 * it trusted.
 *
 * @throws {Error} with Python's message when signing fails
 */
export async function signNotebook(path: string, dataDir?: string): Promise<void> {
  const result = await runNotary("notary.sign(nb)", path, dataDir, "piped");
  if (!result.success) {
    throw new Error(
      `signing ${path}: expected nbformat to sign it, got: ${
        new TextDecoder().decode(result.stderr).trim()
      }`,
    );
  }
}

/**
 * Writes a notebook as Jupyter saves one (nbformat's writer: long strings as lists of lines,
 * sorted keys) and reads the file back, so checks see what a saved notebook holds.
 *
 * @throws {Error} with Python's message when nbformat refuses the notebook
 */
export async function saveLikeJupyter(nb: NotebookJson, path: string): Promise<NotebookJson> {
  const script = [
    "import sys, json, nbformat",
    "nb = nbformat.from_dict(json.load(open(sys.argv[1])))",
    "nbformat.write(nb, sys.argv[1])",
  ].join("\n");
  await Deno.writeTextFile(path, JSON.stringify(nb));
  const result = await new Deno.Command(python(), {
    args: ["-c", script, path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(
      `writing ${path} with nbformat: ${new TextDecoder().decode(result.stderr).trim()}`,
    );
  }
  return await readNotebook(path);
}

/**
 * Whether a notebook file's signature is known in the Jupyter data folder `dataDir`
 * (default: the user's), so Notebook 6 opens it trusted.
 */
export async function isSigned(path: string, dataDir?: string): Promise<boolean> {
  const result = await runNotary(
    "sys.exit(0 if notary.check_signature(nb) else 3)",
    path,
    dataDir,
    "null",
  );
  return result.success;
}

/** A running Notebook 6 server of one folder. */
export interface ClassicServer {
  url: string;
  /** Opens `name` (a notebook in the folder) in the browser and checks its outputs. */
  check(browser: TestBrowser, name: string, options: CheckOptions): Promise<RenderReport>;
  close(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Starts `jupyter-notebook` (Notebook 6) on a free localhost port, serving `dir`, with no
 * token, its own config and runtime folders, the Jupyter data folder `dataDir` (default:
 * the user's; a fresh folder makes every notebook untrusted) and a `deno` kernelspec that
 * runs `deno` from PATH (so opening a notebook finds its kernel).
 *
 * @throws {Error} when the server does not answer within 60 s
 */
export async function startClassic(dir: string, dataDir?: string): Promise<ClassicServer> {
  const home = await Deno.makeTempDir({ prefix: "midi-lstm-notebook6-" });
  const kernelDir = join(home, "path", "kernels", "deno");
  await Deno.mkdir(kernelDir, { recursive: true });
  await Deno.writeTextFile(
    join(kernelDir, "kernel.json"),
    JSON.stringify({
      argv: [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
      display_name: "Deno",
      language: "typescript",
    }),
  );
  const port = freePort();
  const env: Record<string, string> = {
    JUPYTER_CONFIG_DIR: join(home, "config"),
    JUPYTER_RUNTIME_DIR: join(home, "runtime"),
    JUPYTER_PATH: join(home, "path"),
    NO_COLOR: "1",
  };
  if (dataDir) env.JUPYTER_DATA_DIR = dataDir;
  const child = new Deno.Command("jupyter-notebook", {
    args: [
      "--no-browser",
      "--allow-root",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--NotebookApp.port_retries=0",
      "--NotebookApp.token=",
      "--NotebookApp.password=",
      "--NotebookApp.disable_check_xsrf=True",
      `--notebook-dir=${dir}`,
    ],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      log.push(chunk);
    }
  })();
  const url = `http://127.0.0.1:${port}/`;
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(url + "api/status");
      await res.body?.cancel();
      if (res.ok) break;
    } catch { /* not yet */ }
    if (Date.now() - started > 60_000) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`jupyter-notebook: no answer on ${url} in 60 s; it said: ${log.join("")}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    async check(browser, name, options) {
      const { page } = browser;
      await page.goto(`${url}notebooks/${encodeURIComponent(name)}`);
      await page.waitForFunction(
        () => {
          const j = (globalThis as unknown as {
            Jupyter?: { notebook?: { _fully_loaded?: boolean } };
          }).Jupyter;
          return j?.notebook?._fully_loaded === true;
        },
        undefined,
        { timeout: 60_000 },
      );
      const report = await checkOutputs(
        page,
        await readNotebook(join(dir, name)),
        options,
        "notebook6",
        (
          cell,
        ) =>
          page.locator("#notebook-container > .cell").nth(cell).locator(".output_area").filter({
            hasNot: page.locator(".output_stream, .output_error"),
          }),
      );
      // The front end's own word on trust.
      const badge = (await page.locator("#notification_trusted").textContent() ?? "").trim();
      const wanted = options.trusted ? "Trusted" : "Not Trusted";
      if (badge !== wanted) {
        report.problems.push(`the notebook shows "${badge}", expected "${wanted}"`);
      }
      await page.goto("about:blank");
      await shutDownKernels(url);
      return report;
    },
    async close() {
      try {
        const res = await fetch(url + "api/shutdown", { method: "POST" });
        await res.body?.cancel();
      } catch { /* already gone */ }
      const stopped = await Promise.race([
        child.status.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 15_000)),
      ]);
      if (!stopped) {
        child.kill("SIGKILL");
        await child.status;
      }
      await reading.catch(() => {});
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

/** Shuts down every session (and its kernel) of a Notebook 6 server. */
async function shutDownKernels(url: string): Promise<void> {
  try {
    const res = await fetch(url + "api/sessions");
    const sessions = await res.json() as Array<{ id: string }>;
    for (const s of sessions) {
      const del = await fetch(`${url}api/sessions/${s.id}`, { method: "DELETE" });
      await del.body?.cancel();
    }
  } catch { /* the server shuts the rest down when it stops */ }
}

/** Reads a notebook file. */
export async function readNotebook(path: string): Promise<NotebookJson> {
  return JSON.parse(await Deno.readTextFile(path)) as NotebookJson;
}

/** One line for a report: "notebook6 untrusted: 3/3 figures, 1/1 audio". */
export function reportLine(report: RenderReport): string {
  return `${report.frontEnd} ${
    report.trusted ? "trusted" : "untrusted"
  }: ${report.figuresShown}/${report.figures} figures, ${report.audioShown}/${report.audio} audio`;
}

/** The stem of a notebook path ("04_train" for "out/notebooks/04_train.ipynb"). */
export function notebookStem(path: string): string {
  return basename(path).replace(/\.ipynb$/, "");
}
