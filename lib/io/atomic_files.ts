/**
 * Writing files so that a crash or kill leaves either the old file or the complete new one,
 * never a part (temporary file in the same folder, synced, renamed into place), and reading a
 * JSON file that may not exist yet.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** Options for {@linkcode writeFileAtomic} and {@linkcode writeJsonAtomic}. */
export interface WriteFileAtomicOptions {
  /**
   * Flush the data to disk (fsync) before the rename and sync the folder after it. Turning
   * it off is faster but a power cut may then leave an empty file.
   * @default {true}
   */
  sync?: boolean;
}

/** Options for {@linkcode writeJsonAtomic}. */
export interface WriteJsonAtomicOptions extends WriteFileAtomicOptions {
  /**
   * Indentation passed to `JSON.stringify` (0 writes one line).
   * @default {2}
   */
  indent?: number;
}

/**
 * Reads a JSON file that may not exist yet.
 *
 * @returns the parsed value, or `null` when there is no file at `path`
 * @throws {Error} naming the file when it cannot be read or is not valid JSON
 */
export async function readJsonIfExists<T = unknown>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`cannot read "${path}": ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`"${path}" is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Writes bytes or text to `path` so that the file is either the old one or the complete new
 * one, never a part: the data goes to a temporary file in the same folder
 * (`.<name>.tmp-<random>`), is synced, and is renamed over `path`.
 *
 * @param path file to create or replace; its folder must exist
 * @param data bytes (not changed) or text (written as UTF-8)
 * @throws {Error} naming `path` when the write or rename fails; the old file is then
 *   untouched and the temporary file removed
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const sync = options.sync ?? true;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${crypto.randomUUID().slice(0, 8)}`);
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true });
    let written = 0;
    while (written < bytes.length) {
      written += await file.write(bytes.subarray(written));
    }
    if (sync) await file.sync();
    file.close();
    file = undefined;
    await Deno.rename(tmp, path);
  } catch (error) {
    try {
      file?.close();
    } catch {
      // already closed
    }
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`cannot write "${path}" (the previous file, if any, is unchanged): ${error}`, {
      cause: error,
    });
  }
  if (sync) await syncFolder(dirname(path));
}

/**
 * Writes `value` as JSON to `path` atomically (see {@linkcode writeFileAtomic}).
 *
 * @param path file to create or replace; its folder must exist
 * @param value anything `JSON.stringify` accepts (not changed)
 * @throws {Error} naming `path` when the value cannot be serialised or the write fails
 */
export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: WriteJsonAtomicOptions = {},
): Promise<void> {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, options.indent ?? 2);
  } catch (error) {
    throw new Error(`cannot write "${path}": value is not serialisable as JSON: ${error}`, {
      cause: error,
    });
  }
  if (text === undefined) {
    throw new Error(`cannot write "${path}": expected a JSON value, got ${typeof value}`);
  }
  await writeFileAtomic(path, text + "\n", options);
}

/** fsyncs a folder so a rename in it survives a power cut (not possible on every OS). */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await Deno.open(dir === "" ? "." : dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // Windows cannot open folders as files; the rename itself is still atomic there.
  }
}
