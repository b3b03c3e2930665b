import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../../lib/io/atomic_files.ts";
import { tempDir } from "../_helpers.ts";
import { listFiles, patched } from "./_model_fixtures.ts";

Deno.test("writeFileAtomic() leaves the old file intact when the write fails part-way", async () => {
  const dir = tempDir();
  const path = join(dir, "notes.json");
  try {
    await writeJsonAtomic(path, { version: 1 });
    const before = Deno.readTextFileSync(path);
    const failingWrite = function (this: Deno.FsFile, p: Uint8Array): Promise<number> {
      // Write half, then fail like a full disk would.
      this.writeSync(p.subarray(0, p.length >> 1));
      return Promise.reject(new Error("simulated: no space left on device"));
    };
    await assert.rejects(
      patched(
        Deno.FsFile.prototype,
        "write",
        failingWrite,
        () => writeFileAtomic(path, JSON.stringify({ version: 2, padding: "x".repeat(1000) })),
      ),
      (error: Error) => {
        assert.ok(error.message.includes(path), error.message);
        assert.match(error.message, /no space left/);
        return true;
      },
    );
    assert.equal(Deno.readTextFileSync(path), before);
    assert.deepEqual(listFiles(dir), ["notes.json"]); // temporary file removed
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
