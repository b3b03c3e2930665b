/**
 * Dataset download against a local HTTP server on 127.0.0.1 (no other network): full
 * download with checksum and extraction, resume with Range, restart without Range, checksum
 * mismatch, 404, and unsafe or corrupt archives.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { DATASETS, downloadFile, extractZip, fetchDataset } from "../../lib/io/download.ts";
import { loadMidiFolder, notesToMidi } from "../../lib/music/midi.ts";
import { patternNotes, tempDir } from "../_helpers.ts";

// ---- a tiny ZIP writer ----------------------------------------------------------------------

interface ZipInput {
  name: string;
  data?: Uint8Array;
  deflate?: boolean;
}

function makeZip(inputs: ZipInput[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: number[] = [];
  let offset = 0;
  const u16 = (n: number) => [n & 255, (n >> 8) & 255];
  const u32 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
  for (const input of inputs) {
    const data = input.data ?? new Uint8Array(0);
    const stored = input.deflate ? new Uint8Array(deflateRawSync(data)) : data;
    const name = [...new TextEncoder().encode(input.name)];
    const crc = crc32(data) >>> 0;
    const method = input.deflate ? 8 : 0;
    const common = [...u16(0), ...u16(method), ...u16(0), ...u16(0x21), ...u32(crc)];
    const sizes = [...u32(stored.length), ...u32(data.length), ...u16(name.length), ...u16(0)];
    const local = new Uint8Array([...u32(0x04034b50), ...u16(20), ...common, ...sizes, ...name]);
    central.push(...u32(0x02014b50), ...u16(0x031e), ...u16(20), ...common, ...sizes);
    central.push(...u16(0), ...u16(0), ...u16(0), ...u32(0o100644 << 16), ...u32(offset), ...name);
    parts.push(local, stored);
    offset += local.length + stored.length;
  }
  const eocd = [
    ...u32(0x06054b50),
    ...u16(0),
    ...u16(0),
    ...u16(inputs.length),
    ...u16(inputs.length),
    ...u32(central.length),
    ...u32(offset),
    ...u16(0),
  ];
  parts.push(new Uint8Array(central), new Uint8Array(eocd));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A dataset archive: two MIDI files, a deflated text file, and padding so it streams in chunks. */
function datasetZip() {
  const a = notesToMidi(patternNotes(16));
  const b = notesToMidi(patternNotes(9), { bpm: 90 });
  const padding = new Uint8Array(256 * 1024).map((_, i) => (i * 2654435761) >>> 24);
  const readme = new TextEncoder().encode("tiny dataset\n".repeat(50));
  const zip = makeZip([
    { name: "tiny-v1/" },
    { name: "tiny-v1/2019/a.midi", data: a, deflate: true },
    { name: "tiny-v1/2020/b.mid", data: b },
    { name: "tiny-v1/README.txt", data: readme, deflate: true },
    { name: "tiny-v1/padding.bin", data: padding },
  ]);
  return { zip, a, b, readme, sha256: sha256(zip) };
}

// ---- a loopback server ---------------------------------------------------------------------

interface Served {
  base: string;
  log: Array<{ path: string; range: string | null; status: number }>;
  close: () => Promise<void>;
}

/**
 * Serves `files` under three modes: `/ranged/<file>` honours `Range: bytes=N-`, `/plain/<file>`
 * ignores it, `/cut/<file>` ends its first full response halfway (short of its Content-Length).
 */
function serve(files: Record<string, Uint8Array>): Served {
  const log: Served["log"] = [];
  let cut = true;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const { pathname } = new URL(req.url);
    const [, mode, file] = pathname.split("/");
    const range = req.headers.get("range");
    const answer = (body: BodyInit | null, init: ResponseInit) => {
      log.push({ path: pathname, range, status: init.status ?? 200 });
      return new Response(body, init);
    };
    const body = files[file];
    if (!body || !["ranged", "plain", "cut"].includes(mode)) {
      return answer("not found", { status: 404, statusText: "Not Found" });
    }
    const start = range && mode !== "plain" ? Number(range.match(/^bytes=(\d+)-$/)?.[1] ?? 0) : 0;
    if (mode === "cut" && !range && cut) {
      cut = false;
      const half = body.subarray(0, body.length >> 1);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(half);
        },
        async pull(controller) {
          await new Promise((r) => setTimeout(r, 20));
          controller.close(); // fewer bytes than content-length: the connection ends short
        },
      });
      return answer(stream, { status: 200, headers: { "content-length": String(body.length) } });
    }
    if (start >= body.length) {
      return answer(null, { status: 416, headers: { "content-range": `bytes */${body.length}` } });
    }
    if (start > 0) {
      return answer(body.slice(start), {
        status: 206,
        headers: { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` },
      });
    }
    return answer(body.slice(), { status: 200 });
  });
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    log,
    close: () => server.shutdown(),
  };
}

async function withServer(
  files: Record<string, Uint8Array>,
  fn: (served: Served, dir: string) => Promise<void>,
) {
  const served = serve(files);
  const dir = tempDir("download-test-");
  try {
    await fn(served, dir);
  } finally {
    await served.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const list = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

// ---- tests ---------------------------------------------------------------------------------

Deno.test("DATASETS names MAESTRO v2.0.0 MIDI with its published size and sha256", () => {
  const m = DATASETS.maestro;
  assert.equal(
    m.url,
    "https://storage.googleapis.com/magentadata/datasets/maestro/v2.0.0/maestro-v2.0.0-midi.zip",
  );
  assert.equal(m.sizeBytes, 59_243_107);
  assert.match(m.sha256, /^[0-9a-f]{64}$/);
});

Deno.test("fetchDataset() downloads, checks the sha256 and extracts into the destination", async () => {
  const { zip, a, b, readme, sha256: hash } = datasetZip();
  await withServer({ "tiny.zip": zip }, async ({ base, log }, dir) => {
    const dest = join(dir, "data", "tiny");
    const phases = new Map<string, { done: number; total?: number; calls: number }>();
    const result = await fetchDataset("tiny", {
      url: `${base}/ranged/tiny.zip`,
      dest,
      sha256: hash,
      onProgress: (p) => {
        const seen = phases.get(p.phase) ?? { done: 0, calls: 0 };
        assert.ok(p.done >= seen.done, `${p.phase} progress went backwards`);
        phases.set(p.phase, { done: p.done, total: p.total, calls: seen.calls + 1 });
      },
    });
    assert.deepEqual(result, {
      dest,
      files: 4,
      midiFiles: 2,
      sha256: hash,
      verified: true,
      alreadyPresent: false,
    });
    assert.deepEqual(Deno.readFileSync(join(dest, "tiny-v1", "2019", "a.midi")), a);
    assert.deepEqual(Deno.readFileSync(join(dest, "tiny-v1", "2020", "b.mid")), b);
    assert.deepEqual(Deno.readFileSync(join(dest, "tiny-v1", "README.txt")), readme);
    // Progress reached the end of each phase; the download came in several chunks.
    assert.deepEqual(phases.get("download")?.done, zip.length);
    assert.equal(phases.get("download")?.total, zip.length);
    assert.ok(phases.get("download")!.calls > 2);
    assert.equal(phases.get("verify")?.done, zip.length);
    assert.deepEqual(phases.get("extract"), { done: 4, total: 4, calls: 4 });
    // The archive is removed; only the dataset folder is left.
    assert.deepEqual(list(join(dir, "data")), ["tiny"]);
    assert.equal(loadMidiFolder(dest).files.length, 2);
    // A second run finds the folder and makes no request.
    const again = await fetchDataset("tiny", { url: `${base}/ranged/tiny.zip`, dest });
    assert.equal(again.alreadyPresent, true);
    assert.equal(again.midiFiles, 2);
    assert.equal(log.length, 1);
  });
});

Deno.test("downloadFile() resumes a partial .part file with a Range request", async () => {
  const { zip, sha256: hash } = datasetZip();
  await withServer({ "tiny.zip": zip }, async ({ base, log }, dir) => {
    const path = join(dir, "tiny.zip");
    Deno.writeFileSync(`${path}.part`, zip.subarray(0, 1000));
    const first: number[] = [];
    const result = await downloadFile(`${base}/ranged/tiny.zip`, path, {
      sha256: hash,
      onProgress: (p) => {
        if (p.phase === "download" && first.length === 0) first.push(p.done, p.resumedFrom ?? -1);
      },
    });
    assert.equal(result.resumed, true);
    assert.equal(result.cached, false);
    assert.deepEqual(first, [1000, 1000]);
    assert.deepEqual(log.map((r) => [r.range, r.status]), [["bytes=1000-", 206]]);
    assert.deepEqual(Deno.readFileSync(path), zip);
    assert.deepEqual(list(dir), ["tiny.zip"]);
  });
});

Deno.test("downloadFile() keeps the bytes of a dropped connection and resumes them on the next run", async () => {
  const { zip, sha256: hash } = datasetZip();
  await withServer({ "tiny.zip": zip }, async ({ base, log }, dir) => {
    const path = join(dir, "tiny.zip");
    const url = `${base}/cut/tiny.zip`;
    await assert.rejects(
      downloadFile(url, path, { sha256: hash }),
      (e: Error) => {
        assert.match(
          e.message,
          new RegExp(`^download ${url}: (stopped|the connection closed) after`),
        );
        assert.match(e.message, /run again to resume$/);
        return true;
      },
    );
    const kept = Deno.statSync(`${path}.part`).size;
    assert.ok(kept > 0 && kept < zip.length, `kept ${kept} bytes`);
    const result = await downloadFile(url, path, { sha256: hash });
    assert.equal(result.resumed, true);
    assert.equal(log[1].range, `bytes=${kept}-`);
    assert.deepEqual(Deno.readFileSync(path), zip);
  });
});

Deno.test("downloadFile() starts over when the server ignores Range", async () => {
  const { zip, sha256: hash } = datasetZip();
  await withServer({ "tiny.zip": zip }, async ({ base, log }, dir) => {
    const path = join(dir, "tiny.zip");
    // Stale bytes that are not a prefix of the file: they must not survive.
    Deno.writeFileSync(`${path}.part`, new Uint8Array(5000).fill(7));
    const result = await downloadFile(`${base}/plain/tiny.zip`, path, { sha256: hash });
    assert.equal(result.resumed, false);
    assert.deepEqual(log.map((r) => r.status), [200, 200]);
    assert.deepEqual(Deno.readFileSync(path), zip);
    assert.deepEqual(list(dir), ["tiny.zip"]);
  });
});

Deno.test("downloadFile() finishes a .part file that is already complete (416 from the server)", async () => {
  const { zip, sha256: hash } = datasetZip();
  await withServer({ "tiny.zip": zip }, async ({ base, log }, dir) => {
    const path = join(dir, "tiny.zip");
    Deno.writeFileSync(`${path}.part`, zip);
    const result = await downloadFile(`${base}/ranged/tiny.zip`, path, { sha256: hash });
    assert.deepEqual(log.map((r) => r.status), [416]);
    assert.equal(result.sha256, hash);
    assert.deepEqual(Deno.readFileSync(path), zip);
  });
});

Deno.test("fetchDataset() reports a checksum mismatch clearly and leaves nothing behind", async () => {
  const { zip, sha256: hash } = datasetZip();
  await withServer({ "tiny.zip": zip }, async ({ base }, dir) => {
    const data = join(dir, "data");
    const wrong = "0".repeat(64);
    await assert.rejects(
      fetchDataset("tiny", {
        url: `${base}/ranged/tiny.zip`,
        dest: join(data, "tiny"),
        sha256: wrong,
      }),
      new RegExp(
        `checksum mismatch: expected sha256 ${wrong}, got ${hash} \\(${zip.length} bytes\\); ` +
          "the download was deleted",
      ),
    );
    assert.deepEqual(list(data), []);
  });
});

Deno.test("fetchDataset() names the URL on a 404 and leaves nothing behind", async () => {
  await withServer({}, async ({ base }, dir) => {
    const url = `${base}/ranged/missing.zip`;
    await assert.rejects(
      fetchDataset("missing", { url, dest: join(dir, "data", "missing") }),
      (e: Error) => e.message === `download ${url}: HTTP 404 Not Found`,
    );
    assert.deepEqual(list(join(dir, "data")), []);
  });
});

Deno.test("fetchDataset() names an unknown dataset and the known ones", async () => {
  await assert.rejects(fetchDataset("nope"), /dataset "nope": unknown \(known: maestro\)/);
  await assert.rejects(
    fetchDataset("../up", { url: "http://127.0.0.1:9/x.zip" }),
    /dataset name: expected letters, digits/,
  );
});

Deno.test("extractZip() refuses entry names that leave the folder, before writing anything", async () => {
  const dir = tempDir("download-test-");
  try {
    const data = new TextEncoder().encode("x");
    for (
      const name of [
        "../evil.mid",
        "/etc/evil.mid",
        "a/../../evil.mid",
        "C:\\evil.mid",
        "a\\..\\..\\evil.mid",
      ]
    ) {
      const zipPath = join(dir, "evil.zip");
      Deno.writeFileSync(zipPath, makeZip([{ name: "ok.mid", data }, { name, data }]));
      await assert.rejects(
        extractZip(zipPath, join(dir, "out")),
        (e: Error) =>
          e.message === `${zipPath}: unsafe entry name ${JSON.stringify(name)} (it would be ` +
              "written outside the destination folder)",
        name,
      );
      assert.deepEqual(list(dir), ["evil.zip"]);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("extractZip() refuses a corrupt entry and leaves no half-extracted folder", async () => {
  const dir = tempDir("download-test-");
  try {
    const zip = makeZip([
      { name: "a.mid", data: notesToMidi(patternNotes(8)) },
      { name: "b.mid", data: notesToMidi(patternNotes(30)), deflate: true },
    ]);
    // Damage b.mid's deflated data, a little after its local header's name.
    const name = [...new TextEncoder().encode("b.mid")];
    const at = zip.findIndex((_, i) => name.every((c, k) => zip[i + k] === c));
    zip[at + name.length + 20] ^= 0xff;
    const zipPath = join(dir, "bad.zip");
    Deno.writeFileSync(zipPath, zip);
    await assert.rejects(
      extractZip(zipPath, join(dir, "out")),
      /bad\.zip: b\.mid: (corrupt deflate data|CRC-32 mismatch|expected \d+ bytes)/,
    );
    assert.deepEqual(list(dir), ["bad.zip"]);
    Deno.writeFileSync(zipPath, new TextEncoder().encode("<html>404</html>"));
    await assert.rejects(extractZip(zipPath, join(dir, "out")), /bad\.zip: not a ZIP archive/);
    assert.deepEqual(list(dir), ["bad.zip"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
