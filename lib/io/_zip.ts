/**
 * A minimal ZIP reader: the central directory, stored and deflated entries, CRC-32 checks
 * and entry names that cannot leave the extraction folder. Enough for dataset archives such
 * as MAESTRO's; ZIP64, encryption and multi-disk archives are refused with a reason.
 *
 * @module
 */
import { crc32, inflateRawSync } from "node:zlib";

/** One file or folder in a ZIP archive, from its central directory record. */
export interface ZipEntry {
  /** The name as stored, with `/` separators. */
  name: string;
  /** Path segments to write it under, checked by {@linkcode entrySegments}. */
  segments: string[];
  /** True for a folder entry (name ending in `/`). */
  folder: boolean;
  /** True for a symbolic link entry (Unix mode in the external attributes); never written. */
  link: boolean;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the entry's local header. */
  localOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Reads the central directory of a ZIP archive held in memory.
 *
 * @param zip the archive (not changed)
 * @param name the archive's name, for messages
 * @throws {Error} naming the archive when it is not a ZIP file, is ZIP64 / multi-disk, or
 *   an entry name would escape the extraction folder (absolute, drive letter, `..`)
 */
export function listZipEntries(zip: Uint8Array, name: string): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let p = zip.length - 22; p >= Math.max(0, zip.length - 22 - 65_535); p--) {
    if (view.getUint32(p, true) === EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${name}: not a ZIP archive (no end-of-central-directory record)`);
  const disk = view.getUint16(eocd + 4, true);
  const count = view.getUint16(eocd + 10, true);
  const dirSize = view.getUint32(eocd + 12, true);
  const dirOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirOffset === 0xffffffff || dirSize === 0xffffffff) {
    throw new Error(`${name}: ZIP64 archives are not supported`);
  }
  if (disk !== 0) throw new Error(`${name}: multi-disk ZIP archives are not supported`);
  if (dirOffset + dirSize > eocd) {
    throw new Error(`${name}: corrupt ZIP (central directory at ${dirOffset} runs past ${eocd})`);
  }
  const entries: ZipEntry[] = [];
  let p = dirOffset;
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== CENTRAL) {
      throw new Error(`${name}: corrupt ZIP (central directory entry ${i} at byte ${p})`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const mode = view.getUint32(p + 38, true) >>> 16;
    const entryName = decoder.decode(zip.subarray(p + 46, p + 46 + nameLength));
    const entry: ZipEntry = {
      name: entryName,
      segments: entrySegments(entryName, name),
      folder: entryName.endsWith("/"),
      link: (mode & 0o170000) === 0o120000,
      method,
      crc32: view.getUint32(p + 16, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
    };
    if (flags & 1) throw new Error(`${name}: ${entryName}: encrypted entries are not supported`);
    if (!entry.folder && method !== 0 && method !== 8) {
      throw new Error(
        `${name}: ${entryName}: compression method ${method} is not supported (stored or deflate)`,
      );
    }
    entries.push(entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Splits an entry name into path segments that stay inside the extraction folder.
 *
 * @throws {Error} naming the entry when it is absolute, has a drive letter, or climbs with `..`
 */
export function entrySegments(entryName: string, archive: string): string[] {
  const segments = entryName.split(/[\\/]+/).filter((s) => s !== "" && s !== ".");
  if (
    /^[\\/]/.test(entryName) || /^[A-Za-z]:/.test(entryName) || segments.includes("..") ||
    segments.length === 0 || entryName.includes("\0")
  ) {
    throw new Error(
      `${archive}: unsafe entry name ${JSON.stringify(entryName)} (it would be written outside ` +
        "the destination folder)",
    );
  }
  return segments;
}

/**
 * Returns an entry's contents, inflated and checked against its size and CRC-32.
 *
 * @throws {Error} naming the archive and entry when the data is corrupt
 */
export function readZipEntry(zip: Uint8Array, entry: ZipEntry, archive: string): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const at = entry.localOffset;
  const where = `${archive}: ${entry.name}`;
  if (at + 30 > zip.length || view.getUint32(at, true) !== LOCAL) {
    throw new Error(`${where}: corrupt ZIP (no local header at byte ${at})`);
  }
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + entry.compressedSize > zip.length) {
    throw new Error(`${where}: corrupt ZIP (data runs past the end of the archive)`);
  }
  const raw = zip.subarray(start, start + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) data = raw;
  else {
    try {
      // The declared size bounds the output, so a "zip bomb" cannot fill memory.
      data = new Uint8Array(inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) }));
    } catch (e) {
      throw new Error(`${where}: corrupt deflate data (${(e as Error).message})`);
    }
  }
  if (data.length !== entry.size) {
    throw new Error(`${where}: expected ${entry.size} bytes, got ${data.length}`);
  }
  const crc = crc32(data) >>> 0;
  if (crc !== entry.crc32) {
    throw new Error(
      `${where}: CRC-32 mismatch (expected ${hex32(entry.crc32)}, got ${hex32(crc)})`,
    );
  }
  return data;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, "0");
}
