/**
 * `file://` URLs for TensorFlow.js in Deno: `model.save("file://dir")` and
 * `tf.loadLayersModel("file://dir/model.json")`, as tfjs-node offers them in Node, without
 * tfjs-node. The routers hand the path to {@linkcode fileSystemHandler}, so a save writes the
 * standard TF.js Layers folder atomically (`model.json` + `weights.<hash>.bin`, see
 * `model_files.ts`) and a load reads any such folder.
 *
 * The path is what follows `file://`, as tfjs-node reads it: `file://runs/a` is the relative
 * folder `runs/a`, `file:///tmp/a` the absolute `/tmp/a`. A save names the folder; a load
 * names the `model.json` file (or its folder).
 *
 * `midi-lstm` (`lib/mod.ts`) and `midi-lstm/io` (`lib/io/mod.ts`) call
 * {@linkcode registerFileRouters} when imported, so a notebook that imports either can use
 * `file://` URLs (the library's own saves and loads do not need them).
 * Where tfjs-node (or anything else) also routes `file://`, these routers step aside, so a
 * URL never finds two handlers, whichever registered first.
 *
 * @example Save and load with file:// URLs
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "midi-lstm"; // importing it registers the file:// routers
 *
 * await selectBackend({ backend: "cpu" });
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
 * const dir = await Deno.makeTempDir();
 * await model.save(`file://${dir}`);
 * const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
 * console.log(loaded.layers.length); // 1
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basename, dirname } from "node:path";
import { fileSystemHandler, MODEL_JSON } from "./model_files.ts";

/** The scheme these routers answer. */
const FILE_SCHEME = "file://";

/**
 * The tfjs registries (known by their `registerSaveRouter`) that have these routers, shared by
 * every copy of this module in the process: two copies in one registry would each step aside
 * for the other.
 */
const REGISTERED = Symbol.for("midi-lstm-notebooks.fileRouters");

/** Set while the routers ask the registry whether another router takes a URL. */
let asking = false;

/**
 * Registers the `file://` save and load routers with `tf.io`, once: calling it again (or from
 * a second copy of this module, with the same tfjs) does nothing.
 *
 * @returns `true` when this call registered them, `false` when they were registered already
 */
export function registerFileRouters(): boolean {
  const shared = globalThis as unknown as Record<symbol, WeakSet<object> | undefined>;
  const registries = shared[REGISTERED] ??= new WeakSet();
  if (registries.has(tf.io.registerSaveRouter)) return false;
  registries.add(tf.io.registerSaveRouter);
  // tfjs types a router as always returning a handler, but its registry skips `null`, the
  // answer for a URL the router does not take (as tfjs's own routers answer).
  tf.io.registerSaveRouter((url) => saveRouter(url) as tf.io.IOHandler);
  tf.io.registerLoadRouter((url) => loadRouter(url) as tf.io.IOHandler);
  return true;
}

/**
 * The path of a `file://` URL as tfjs-node reads it (everything after the scheme), or `null`
 * for any other URL.
 *
 * @throws {Error} when the URL is `file://` with no path
 */
function fileUrlPath(url: string): string | null {
  if (!url.startsWith(FILE_SCHEME)) return null;
  const path = url.slice(FILE_SCHEME.length);
  if (path === "") throw new Error(`expected a path after "${FILE_SCHEME}", got "${url}"`);
  return path;
}

/** The save handler for a `file://` URL, or `null` (another scheme, or another router takes it). */
function saveRouter(url: string | string[]): tf.io.IOHandler | null {
  if (typeof url !== "string" || asking) return null;
  const path = fileUrlPath(url);
  if (path === null || othersTake(() => tf.io.getSaveHandlers(url))) return null;
  if (/\.json$/i.test(path)) {
    // tfjs-node would make a folder named `model.json`; name the mistake instead.
    return {
      save: () => {
        return Promise.reject(
          new Error(
            `model.save("${url}"): expected a folder to save into (file://dir), got a .json ` +
              `file; the folder gets model.json and the weights`,
          ),
        );
      },
    };
  }
  return { save: (artifacts) => fileSystemHandler(path).save!(artifacts) };
}

/** The load handler for a `file://` URL, or `null` (another scheme, or another router takes it). */
function loadRouter(url: string | string[]): tf.io.IOHandler | null {
  if (typeof url !== "string" || asking) return null;
  const path = fileUrlPath(url);
  if (path === null || othersTake(() => tf.io.getLoadHandlers(url))) return null;
  return {
    load: async () => {
      const { dir, jsonName } = await modelJsonOf(path);
      return await fileSystemHandler(dir, { modelJson: jsonName }).load!();
    },
  };
}

/** Whether a router other than these ones (tfjs-node's) gives a handler for the URL. */
function othersTake(lookUp: () => tf.io.IOHandler[]): boolean {
  asking = true;
  try {
    return lookUp().length > 0;
  } finally {
    asking = false;
  }
}

/** The folder and `model.json` name a load path names (the file itself, or its folder). */
async function modelJsonOf(path: string): Promise<{ dir: string; jsonName: string }> {
  try {
    if ((await Deno.stat(path)).isDirectory) return { dir: path, jsonName: MODEL_JSON };
  } catch {
    // not there: the load below names the missing file
  }
  return { dir: dirname(path), jsonName: basename(path) };
}
