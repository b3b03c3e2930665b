/**
 * Getting real datasets: a resumable download with a SHA-256 check, and ZIP extraction that
 * never leaves a half-written folder.
 *
 * ```ts ignore
 * const result = await fetchDataset("maestro", { onProgress: (p) => draw(p) });
 * // result.dest === "data/maestro"; the MIDI files are under data/maestro/maestro-v2.0.0/
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { listZipEntries, readZipEntry } from "./_zip.ts";

/** A dataset {@linkcode fetchDataset} knows by name. */
export interface DatasetInfo {
  /** Short name, also the default folder under `data/`. */
  name: string;
  /** One line saying what it is. */
  title: string;
  /** Where the archive is downloaded from. */
  url: string;
  /** Size of the archive in bytes. */
  sizeBytes: number;
  /** SHA-256 of the archive, lowercase hex. */
  sha256: string;
  /** Licence of the data. */
  license: string;
  /** Page describing the dataset. */
  homepage: string;
}

/**
 * Known datasets. `maestro` is the MAESTRO v2.0.0 MIDI archive exactly as the TensorFlow
 * tutorial "Generate music with an RNN" downloads it (1,282 piano performances). Its size and
 * SHA-256 are the ones the muspy library publishes for this file
 * (salu133445/muspy, `muspy/datasets/maestro.py`).
 */
export const DATASETS: Readonly<Record<string, DatasetInfo>> = Object.freeze({
  maestro: {
    name: "maestro",
    title: "MAESTRO v2.0.0, MIDI only: 1,282 piano performances (about 200 hours)",
    url:
      "https://storage.googleapis.com/magentadata/datasets/maestro/v2.0.0/maestro-v2.0.0-midi.zip",
    sizeBytes: 59_243_107,
    sha256: "ec2cc9d94886c6b376db1eaa2b8ad1ce62ff9f0a28b3744782b13163295dadf3",
    license: "CC BY-NC-SA 4.0",
    homepage: "https://magenta.tensorflow.org/datasets/maestro",
  },
});

/** Progress of a download, checksum or extraction, as reported to `onProgress`. */
export interface DownloadProgress {
  /** `"download"`: bytes arriving; `"verify"`: SHA-256 over the file; `"extract"`: files written. */
  phase: "download" | "verify" | "extract";
  /** Bytes (download, verify) or files (extract) done so far, including resumed bytes. */
  done: number;
  /** The total, when known (the server may not say). */
  total?: number;
  /** Bytes already on disk from an earlier, interrupted download (download phase only). */
  resumedFrom?: number;
}

/** Options for {@linkcode downloadFile}. */
export interface DownloadFileOptions {
  /**
   * Expected SHA-256 of the file (hex). On a mismatch the download is deleted and an error
   * thrown; when absent the file is not checked, and its SHA-256 is returned to record.
   * @default {undefined}
   */
  sha256?: string;
  /**
   * Expected size in bytes; a different size is an error like a checksum mismatch.
   * @default {undefined}
   */
  sizeBytes?: number;
  /**
   * Continue from `<path>.part` left by an interrupted download (HTTP Range request). The
   * download starts over when the server does not honour the range.
   * @default {true}
   */
  resume?: boolean;
  /** Called as bytes arrive and while the checksum is computed. @default {undefined} */
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the download; the `.part` file is kept for a later resume. @default {undefined} */
  signal?: AbortSignal;
}

/** What {@linkcode downloadFile} did. */
export interface DownloadResult {
  /** The finished file. */
  path: string;
  sizeBytes: number;
  /** SHA-256 of the file, lowercase hex. */
  sha256: string;
  /** True when an earlier partial download was continued. */
  resumed: boolean;
  /** True when the file was already there (and matched `sha256` when given). */
  cached: boolean;
}

/**
 * Downloads a URL to a file, resumably: bytes go to `<path>.part`, which an interrupted run
 * leaves behind and the next run continues with an HTTP Range request (starting over when
 * the server answers without the range). The finished file is checked against
 * `options.sha256` / `options.sizeBytes`, then renamed to `path`. An existing `path` that
 * matches the checksum is kept without downloading. Creates the parent folder.
 *
 * @param url http(s) URL of the file
 * @param path where to write it
 * @throws {Error} naming the URL on an HTTP error status (e.g. 404), a lost connection (the
 *   `.part` file is kept to resume), or a checksum / size mismatch (the download is deleted)
 */
export async function downloadFile(
  url: string,
  path: string,
  options: DownloadFileOptions = {},
): Promise<DownloadResult> {
  const expected = checkSha256Option(options.sha256);
  const onProgress = options.onProgress;
  await Deno.mkdir(dirname(path) || ".", { recursive: true });
  const existing = await fileSize(path);
  if (existing !== undefined) {
    const sha256 = await sha256File(path, onProgress);
    if (expected === undefined || sha256 === expected) {
      return { path, sizeBytes: existing, sha256, resumed: false, cached: true };
    }
    await Deno.remove(path); // stale or corrupt: download again
  }

  const part = `${path}.part`;
  let start = options.resume === false ? 0 : (await fileSize(part)) ?? 0;
  let response = await request(url, start, options.signal);
  let resumed = false;
  let complete = false;
  if (start > 0) {
    const range = parseContentRange(response.headers.get("content-range"));
    if (response.status === 206 && range?.start === start) resumed = true;
    else if (response.status === 416 && range?.total === start) complete = true;
    else {
      // The server sent the whole file (or a range we did not ask for): start over.
      await response.body?.cancel();
      start = 0;
      response = await request(url, 0, options.signal);
    }
  }
  if (complete) await response.body?.cancel();
  else {
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new Error(`download ${url}: HTTP ${response.status} ${response.statusText}`.trim());
    }
    const length = Number(response.headers.get("content-length") ?? NaN);
    const total = Number.isFinite(length) ? start + length : undefined;
    let done = start;
    onProgress?.({ phase: "download", done, total, resumedFrom: start });
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        done += chunk.length;
        onProgress?.({ phase: "download", done, total, resumedFrom: start });
        controller.enqueue(chunk);
      },
    });
    const file = await Deno.open(part, {
      write: true,
      create: true,
      append: resumed,
      truncate: !resumed,
    });
    try {
      await response.body.pipeThrough(counter).pipeTo(file.writable);
    } catch (e) {
      throw new Error(
        `download ${url}: stopped after ${done} of ${total ?? "?"} bytes ` +
          `(${(e as Error).message}); they are kept in ${part}, run again to resume`,
      );
    }
    if (total !== undefined && done < total) {
      throw new Error(
        `download ${url}: the connection closed after ${done} of ${total} bytes; they are ` +
          `kept in ${part}, run again to resume`,
      );
    }
  }

  const sizeBytes = (await fileSize(part)) ?? 0;
  const sha256 = await sha256File(part, onProgress);
  const badSize = options.sizeBytes !== undefined && sizeBytes !== options.sizeBytes;
  if ((expected !== undefined && sha256 !== expected) || badSize) {
    await Deno.remove(part);
    const what = expected !== undefined && sha256 !== expected
      ? `checksum mismatch: expected sha256 ${expected}, got ${sha256} (${sizeBytes} bytes)`
      : `size mismatch: expected ${options.sizeBytes} bytes, got ${sizeBytes}`;
    throw new Error(`download ${url}: ${what}; the download was deleted, run again to retry`);
  }
  await Deno.rename(part, path);
  return { path, sizeBytes, sha256, resumed, cached: false };
}

/** Options for {@linkcode extractZip}. */
export interface ExtractZipOptions {
  /**
   * Replace `dest` when it already exists (otherwise that is an error).
   * @default {false}
   */
  replace?: boolean;
  /** Called after each file is written (phase `"extract"`). @default {undefined} */
  onProgress?: (progress: DownloadProgress) => void;
}

/**
 * Extracts a ZIP archive (stored and deflated entries) into a new folder. Everything is
 * written to a temporary sibling folder first and renamed to `dest` only when every entry
 * was read and checked (size, CRC-32), so a failure leaves nothing behind. Entry names that
 * would escape the folder (absolute paths, drive letters, `..`) are refused before anything
 * is written; symbolic-link entries are skipped.
 *
 * @param zipPath the archive
 * @param dest the folder to create
 * @returns the extracted files' paths (under `dest`), in archive order
 * @throws {Error} naming the archive (and entry) when it is not a readable ZIP, is corrupt,
 *   has an unsafe entry name, or `dest` exists and `options.replace` is not set
 */
export async function extractZip(
  zipPath: string,
  dest: string,
  options: ExtractZipOptions = {},
): Promise<string[]> {
  const zip = await Deno.readFile(zipPath);
  const entries = listZipEntries(zip, zipPath);
  if ((await fileSize(dest)) !== undefined && !options.replace) {
    throw new Error(`extract ${zipPath}: ${dest} already exists`);
  }
  const parent = dirname(dest) || ".";
  await Deno.mkdir(parent, { recursive: true });
  const temp = await Deno.makeTempDir({ dir: parent, prefix: `.${basename(dest)}.extracting-` });
  const written: string[] = [];
  try {
    const files = entries.filter((e) => !e.folder && !e.link);
    for (const entry of entries) {
      if (entry.link) continue;
      const target = join(temp, ...entry.segments);
      if (entry.folder) {
        await Deno.mkdir(target, { recursive: true });
        continue;
      }
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.writeFile(target, readZipEntry(zip, entry, zipPath), { createNew: true });
      written.push(join(dest, ...entry.segments));
      options.onProgress?.({ phase: "extract", done: written.length, total: files.length });
    }
    if (options.replace) await Deno.remove(dest, { recursive: true }).catch(() => {});
    await Deno.rename(temp, dest);
  } catch (e) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new Error(`extract ${zipPath}: an entry name appears twice (${(e as Error).message})`);
    }
    throw e;
  }
  return written;
}

/** Options for {@linkcode fetchDataset}. */
export interface FetchDatasetOptions {
  /**
   * Download from here instead of the dataset's own URL (a mirror, or a local server). The
   * known checksum still applies unless `sha256` is given.
   * @default {DATASETS[name].url}
   */
  url?: string;
  /**
   * Folder to extract into.
   * @default {"data/<name>"}
   */
  dest?: string;
  /**
   * Expected SHA-256 (hex); `null` skips the check.
   * @default {DATASETS[name].sha256, or null for a name that is not known}
   */
  sha256?: string | null;
  /**
   * Keep the downloaded archive (next to `dest`) after extracting it.
   * @default {false}
   */
  keepArchive?: boolean;
  /**
   * Download and extract again even when `dest` already holds files.
   * @default {false}
   */
  force?: boolean;
  /** Download, checksum and extraction progress. @default {undefined} */
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the download (the partial file is kept to resume). @default {undefined} */
  signal?: AbortSignal;
}

/** What {@linkcode fetchDataset} did. */
export interface FetchDatasetResult {
  /** The folder holding the dataset. */
  dest: string;
  /** Files in `dest` (all of them, recursively). */
  files: number;
  /** `.mid` / `.midi` files in `dest`. */
  midiFiles: number;
  /** SHA-256 of the downloaded archive (undefined when nothing was downloaded). */
  sha256?: string;
  /** True when the checksum was checked against a known or given value. */
  verified: boolean;
  /** True when `dest` already held files and nothing was done. */
  alreadyPresent: boolean;
}

/**
 * Downloads a dataset archive (resumably, see {@linkcode downloadFile}), checks its SHA-256
 * and extracts it into `data/<name>/` (see {@linkcode extractZip}). Does nothing when that
 * folder already holds files, unless `options.force`.
 *
 * @param name a key of {@linkcode DATASETS}, or any name (letters, digits, `-`, `_`) with
 *   `options.url`
 * @throws {Error} naming the dataset for an unknown name without a URL, and as
 *   {@linkcode downloadFile} and {@linkcode extractZip}
 */
export async function fetchDataset(
  name: string,
  options: FetchDatasetOptions = {},
): Promise<FetchDatasetResult> {
  const info = Object.hasOwn(DATASETS, name) ? DATASETS[name] : undefined;
  if (!info && !options.url) {
    throw new Error(
      `dataset "${name}": unknown (known: ${Object.keys(DATASETS).join(", ")}); give a url ` +
        "to download another archive",
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new Error(`dataset name: expected letters, digits, "-" or "_", got "${name}"`);
  }
  const url = options.url ?? info!.url;
  const sha256 = options.sha256 === undefined ? info?.sha256 : options.sha256 ?? undefined;
  const dest = options.dest ?? join("data", name);
  const present = await countFiles(dest);
  if (present.files > 0 && !options.force) {
    return { dest, ...present, verified: false, alreadyPresent: true };
  }
  const archiveName = basename(new URL(url).pathname) || `${name}.zip`;
  const archive = join(dirname(dest) || ".", archiveName);
  const download = await downloadFile(url, archive, {
    sha256,
    sizeBytes: options.url === undefined ? info?.sizeBytes : undefined,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  try {
    await extractZip(archive, dest, { replace: true, onProgress: options.onProgress });
  } catch (e) {
    // A corrupt archive is no use for a resume either.
    if (!options.keepArchive) await Deno.remove(archive).catch(() => {});
    throw e;
  }
  if (!options.keepArchive) await Deno.remove(archive);
  return {
    dest,
    ...(await countFiles(dest)),
    sha256: download.sha256,
    verified: sha256 !== undefined,
    alreadyPresent: false,
  };
}

function checkSha256Option(sha256: string | undefined): string | undefined {
  if (sha256 === undefined) return undefined;
  const hex = sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new Error(`sha256: expected 64 hexadecimal digits, got "${sha256}"`);
  }
  return hex;
}

async function request(url: string, start: number, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-` } : {};
  try {
    return await fetch(url, { headers, signal });
  } catch (e) {
    throw new Error(`download ${url}: ${(e as Error).message}`);
  }
}

/** Parses `bytes START-END/TOTAL` or `bytes *\/TOTAL`. */
function parseContentRange(
  header: string | null,
): { start?: number; total?: number } | undefined {
  const m = header?.match(/^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i);
  if (!m) return undefined;
  return {
    start: m[1] === undefined ? undefined : Number(m[1]),
    total: m[2] === "*" ? undefined : Number(m[2]),
  };
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** SHA-256 of a file, streamed (the file is never held in memory whole). */
async function sha256File(
  path: string,
  onProgress?: (progress: DownloadProgress) => void,
): Promise<string> {
  const hash = createHash("sha256");
  const total = (await fileSize(path)) ?? 0;
  let done = 0;
  const file = await Deno.open(path, { read: true }); // closed by reading `readable` to the end
  onProgress?.({ phase: "verify", done, total });
  for await (const chunk of file.readable) {
    hash.update(chunk);
    done += chunk.length;
    onProgress?.({ phase: "verify", done, total });
  }
  return hash.digest("hex");
}

async function countFiles(dir: string): Promise<{ files: number; midiFiles: number }> {
  const count = { files: 0, midiFiles: 0 };
  const walk = async (d: string) => {
    for await (const entry of Deno.readDir(d)) {
      if (entry.isDirectory) await walk(join(d, entry.name));
      else {
        count.files++;
        if (/\.midi?$/i.test(entry.name)) count.midiFiles++;
      }
    }
  };
  try {
    await walk(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return count;
}
