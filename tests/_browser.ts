/**
 * Headless Chromium for the tests of the exported page: Debian's `chromium` driven by
 * `playwright-core` (installed by `.ci/run`), and a static server on localhost.
 *
 * Chromium runs as root here, so it needs `--no-sandbox`; the machines have no network, so
 * everything that phones home is switched off. Each launch gets a fresh profile folder.
 */
import { extname, join, normalize } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Where Chromium is: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`, else undefined. */
export function chromiumPath(): string | undefined {
  const candidates = [Deno.env.get("CHROMIUM_PATH"), "/usr/bin/chromium"];
  for (const path of candidates) {
    if (!path) continue;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* next */ }
  }
  return undefined;
}

/** The flags every test browser starts with. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-default-apps",
  "--mute-audio",
];

/** A page of a fresh headless Chromium, with what it reported. */
export interface TestBrowser {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and failed requests, in order. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh profile and opens one page.
 *
 * @throws {Error} when Chromium is not installed (see {@linkcode chromiumPath})
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("chromium: not installed (apt-get install chromium)");
  const profile = await Deno.makeTempDir({ prefix: "midi-lstm-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    viewport: { width: 1000, height: 760 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  return {
    page,
    context,
    errors,
    async close() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".bin": "application/octet-stream",
};

/** A static server of one folder on 127.0.0.1. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  close(): Promise<void>;
}

/** Serves the files of `dir` on a free localhost port (404 for anything else). */
export function serveFolder(dir: string): StaticServer {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = normalize(decodeURIComponent(new URL(req.url).pathname));
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    try {
      const body = await Deno.readFile(join(dir, path));
      const type = TYPES[extname(path)] ?? "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    close: () => server.shutdown(),
  };
}
