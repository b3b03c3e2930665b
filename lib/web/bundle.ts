/**
 * Bundles a browser entry of `lib/web/` (the exported page, the notebook player) with its
 * imports, `lib/` modules and npm packages alike, into one classic script: `deno bundle`
 * for the browser, minified, as an IIFE, so the page runs from `file://` (where module
 * scripts are refused) and from any static server, with no CDN.
 *
 * The modules shared with `lib/` import `node:path` and `node:crypto` for functions that
 * read folders or hash vocabularies, which the page never calls; the bundle maps both to
 * stand-ins in `_shims/` that throw if called.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root (where deno.json is). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The browser entries of `lib/web/`. */
export type BrowserEntry = "page" | "notebook_player";

const cache = new Map<BrowserEntry, Promise<string>>();

async function importMapFile(dir: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const imports: Record<string, string> = {};
  for (const [name, target] of Object.entries(config.imports as Record<string, string>)) {
    imports[name] = target.startsWith(".")
      ? pathToFileURL(join(ROOT, target)).href +
        (target.endsWith("/") ? "/" : "")
      : target;
  }
  const shims = join(ROOT, "lib", "web", "_shims");
  imports["node:path"] = pathToFileURL(join(shims, "node_path.ts")).href;
  imports["node:crypto"] = pathToFileURL(join(shims, "node_crypto.ts")).href;
  const path = join(dir, "import_map.json");
  await Deno.writeTextFile(path, JSON.stringify({ imports }, null, 2));
  return path;
}

async function bundle(entry: BrowserEntry): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "midi-lstm-bundle-" });
  try {
    const source = join(ROOT, "lib", "web", `${entry}.ts`);
    const out = join(dir, `${entry}.js`);
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--config",
        join(ROOT, "deno.json"),
        "--import-map",
        await importMapFile(dir),
        "--platform",
        "browser",
        "--format",
        "iife",
        "--minify",
        "--output",
        out,
        source,
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(
        `deno bundle ${source}: expected a browser script, got exit code ${result.code}: ` +
          new TextDecoder().decode(result.stderr).trim(),
      );
    }
    return await Deno.readTextFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The minified browser script of `entry` (bundled once per process, then kept).
 *
 * @throws {Error} naming the entry, with `deno bundle`'s message, when bundling fails (for
 *   example when `node_modules` lacks a package: run `deno install`)
 */
export function browserScript(entry: BrowserEntry): Promise<string> {
  let script = cache.get(entry);
  if (!script) {
    script = bundle(entry);
    cache.set(entry, script);
    script.catch(() => cache.delete(entry));
  }
  return script;
}
