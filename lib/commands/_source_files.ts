/**
 * What the repository checks (`check_layers.ts`, `check_exports.ts`, `check_docs.ts`) share:
 * the files under a folder, and the line of an offset in a text.
 *
 * @module
 */
import { join } from "node:path";

/** Options for {@linkcode listFiles}. */
export interface ListFilesOptions {
  /**
   * Keeps a file by its name (`(name) => name.endsWith(".ts")`).
   * @default {every file}
   */
  keep?: (name: string) => boolean;
  /**
   * Names of files and folders left out, at any depth (`.git`, `node_modules`).
   * @default {none}
   */
  skip?: ReadonlySet<string>;
}

/**
 * The files under `root`, its folders followed, as paths relative to `root` with `/`
 * separators, sorted.
 */
export async function listFiles(root: string, options: ListFilesOptions = {}): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string) => {
    for await (const e of Deno.readDir(join(root, dir))) {
      if (options.skip?.has(e.name)) continue;
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory) await visit(rel);
      else if (options.keep?.(e.name) ?? true) out.push(rel);
    }
  };
  await visit("");
  return out.sort();
}

/** A function from an offset of `text` to its 1-based line. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let k = 0; k < text.length; k++) if (text[k] === "\n") starts.push(k + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
