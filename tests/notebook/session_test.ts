import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  chooseFamily,
  loadSession,
  openSession,
  saveSession,
  SESSION_FILE,
} from "../../lib/notebook/session.ts";
import { resolveConfig } from "../../lib/config/config.ts";

Deno.test("saveSession() works in a fresh checkout (creating out/) and loadSession() reads it back", async () => {
  const dir = Deno.makeTempDirSync();
  const cwd = Deno.cwd();
  try {
    Deno.chdir(dir);
    await assert.rejects(loadSession(), /no notebook session yet; run notebooks\/01_setup first/);
    const config = resolveConfig({ family: "classic", run: "nb" });
    await saveSession({ family: "classic", quick: true, runDir: join("weights", "nb"), config });
    const back = await loadSession();
    assert.equal(back.family, "classic");
    assert.deepEqual(back.config, config);
    assert.ok(Deno.statSync(SESSION_FILE).isFile);
    assert.ok(Deno.statSync(join("weights", "nb", "config.json")).isFile);
  } finally {
    Deno.chdir(cwd);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("chooseFamily() takes NOTEBOOK_FAMILY over the notebook's choice and names a bad value", () => {
  const before = Deno.env.get("NOTEBOOK_FAMILY");
  try {
    Deno.env.delete("NOTEBOOK_FAMILY");
    assert.equal(chooseFamily("tutorial"), "tutorial");
    Deno.env.set("NOTEBOOK_FAMILY", "classic");
    assert.equal(chooseFamily("tutorial"), "classic");
    Deno.env.set("NOTEBOOK_FAMILY", "jazz");
    assert.throws(
      () => chooseFamily("tutorial"),
      /NOTEBOOK_FAMILY: expected "tutorial" or "classic", got "jazz"/,
    );
  } finally {
    if (before === undefined) Deno.env.delete("NOTEBOOK_FAMILY");
    else Deno.env.set("NOTEBOOK_FAMILY", before);
  }
});

Deno.test("openSession() works from a sub-folder: repository root as cwd, the session, the backend", async () => {
  const dir = Deno.makeTempDirSync();
  const cwd = Deno.cwd();
  try {
    Deno.writeTextFileSync(join(dir, "deno.json"), "{}");
    Deno.mkdirSync(join(dir, "notebooks"));
    Deno.chdir(dir);
    const config = resolveConfig({ family: "tutorial", run: "nb", backend: "cpu" });
    await saveSession({ family: "tutorial", quick: true, runDir: join("weights", "nb"), config });
    Deno.chdir(join(dir, "notebooks"));
    const opened = await openSession();
    assert.equal(Deno.realPathSync(Deno.cwd()), Deno.realPathSync(dir));
    assert.deepEqual(opened.config, config);
    assert.equal(opened.runDir, join("weights", "nb"));
    assert.equal(opened.backend.name, "cpu");
    assert.equal(tf.getBackend(), "cpu");
  } finally {
    Deno.chdir(cwd);
    Deno.removeSync(dir, { recursive: true });
  }
});
