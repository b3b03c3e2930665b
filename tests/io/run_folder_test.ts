import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CHECKPOINTS_FOLDER,
  CONFIG_JSON,
  heldRunLock,
  LOCK_FILE,
  lockHolderRuns,
  lockRunFolder,
  MODEL_FOLDER,
  readRunLock,
  RESUME_FOLDER,
  type RunLockHolder,
  runModelFolders,
  runPaths,
} from "../../lib/io/run_folder.ts";
import { tempDir } from "../_helpers.ts";
import { startScript } from "../_child_process.ts";

const HOLD = "tests/io/_hold_run_lock.ts";

/** Writes a lock file as another process would have left it. */
function writeLock(runDir: string, holder: Partial<RunLockHolder>): void {
  Deno.mkdirSync(runDir, { recursive: true });
  const record: RunLockHolder = {
    format: "midi-lstm-run-lock",
    pid: 1,
    host: Deno.hostname(),
    command: "deno task train --family tutorial",
    startedAt: "2025-01-02T03:04:05.000Z",
    processStart: null,
    token: crypto.randomUUID(),
    ...holder,
  };
  Deno.writeTextFileSync(join(runDir, LOCK_FILE), JSON.stringify(record));
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" })
    .spawn();
  await child.status;
  return child.pid;
}

Deno.test("runPaths() names every file of a run folder; runModelFolders() finds model, checkpoints and resume state", async () => {
  const dir = tempDir();
  try {
    const paths = runPaths(dir);
    assert.equal(paths.config, join(dir, CONFIG_JSON));
    assert.equal(paths.config, join(dir, "config.json"));
    assert.equal(paths.run, join(dir, "run.json"));
    assert.equal(paths.history, join(dir, "history.json"));
    assert.equal(paths.vocabulary, join(dir, "vocabulary.json"));
    assert.equal(paths.timing, join(dir, "timing.json"));
    assert.equal(paths.lock, join(dir, LOCK_FILE));
    assert.equal(paths.model, join(dir, MODEL_FOLDER));
    assert.equal(paths.checkpoints, join(dir, CHECKPOINTS_FOLDER));
    assert.equal(paths.resume, join(dir, RESUME_FOLDER));
    assert.deepEqual(await runModelFolders(dir), []);
    for (
      const sub of ["model", "checkpoints/ckpt-02", "checkpoints/ckpt-01", "resume/epoch-0002"]
    ) {
      Deno.mkdirSync(join(dir, sub), { recursive: true });
      Deno.writeTextFileSync(join(dir, sub, "model.json"), "{}");
    }
    Deno.mkdirSync(join(dir, "checkpoints", "not-a-model"));
    assert.deepEqual(await runModelFolders(dir), [
      join(dir, "model"),
      join(dir, "checkpoints", "ckpt-01"),
      join(dir, "checkpoints", "ckpt-02"),
      join(dir, "resume", "epoch-0002"),
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a second writer in the same process is refused with the folder, pid, host, command and start time", async () => {
  const dir = tempDir();
  const runDir = join(dir, "run");
  try {
    const lock = await lockRunFolder(runDir, { command: "first call" });
    assert.equal(heldRunLock(runDir), lock);
    const holder = await readRunLock(runDir);
    assert.equal(holder?.pid, Deno.pid);
    assert.equal(holder?.host, Deno.hostname());
    assert.equal(holder?.command, "first call");
    const error = await lockRunFolder(runDir).then(() => null, (e: Error) => e);
    assert.ok(error, "the second lock was granted");
    assert.ok(error.message.includes(runDir), error.message);
    assert.match(error.message, new RegExp(`process ${Deno.pid} on host `));
    assert.ok(error.message.includes(Deno.hostname()), error.message);
    assert.ok(error.message.includes("first call"), error.message);
    assert.ok(error.message.includes(holder!.startedAt), error.message);
    assert.match(error.message, /another call in this process/);

    await lock.release();
    assert.equal(await readRunLock(runDir), null);
    assert.equal(heldRunLock(runDir), null);
    await lock.release(); // twice is fine
    const again = await lockRunFolder(runDir);
    assert.equal(again.takenOverFrom, null);
    await again.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lock held by another process is refused naming that process; released when it finishes", async () => {
  const dir = tempDir();
  const runDir = join(dir, "run");
  const child = startScript(HOLD, [runDir, "wait"]);
  try {
    const pid = Number((await child.waitFor(/^locked \d+$/)).split(" ")[1]);
    assert.equal(pid, child.process.pid);
    await assert.rejects(
      lockRunFolder(runDir),
      (e: Error) =>
        e.message.includes(runDir) && e.message.includes(`process ${pid} on host`) &&
        e.message.includes("hold-run-lock test helper") && !/this process/.test(e.message),
    );
    const result = await child.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^released$/m);
    assert.equal(await readRunLock(runDir), null);
    await (await lockRunFolder(runDir)).release();
  } finally {
    await child.finish();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a process that exits without releasing its lock has it removed on exit", async () => {
  const dir = tempDir();
  const runDir = join(dir, "run");
  try {
    const child = startScript(HOLD, [runDir, "exit"]);
    await child.waitFor(/^locked \d+$/);
    const result = await child.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await readRunLock(runDir), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the lock of a killed process is taken over, and the taker is told", async () => {
  const dir = tempDir();
  const runDir = join(dir, "run");
  try {
    const child = startScript(HOLD, [runDir, "wait"]);
    const pid = Number((await child.waitFor(/^locked \d+$/)).split(" ")[1]);
    child.process.kill("SIGKILL");
    await child.finish();
    const left = await readRunLock(runDir);
    assert.equal(left?.pid, pid, "a killed process leaves its lock behind");
    assert.equal(await lockHolderRuns(left!), false);

    const messages: string[] = [];
    const lock = await lockRunFolder(runDir, { onTakeOver: (m) => messages.push(m) });
    assert.equal(lock.takenOverFrom?.pid, pid);
    assert.equal(messages.length, 1);
    assert.ok(messages[0].includes(runDir), messages[0]);
    assert.match(
      messages[0],
      new RegExp(`took over the lock left by process ${pid} .*no longer runs`),
    );
    const now = await readRunLock(runDir);
    assert.equal(now?.pid, Deno.pid);
    assert.equal(now?.tookOverFrom?.pid, pid);
    await lock.release();
    assert.equal(await readRunLock(runDir), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stale lock of an exited pid, or of a pid now used by a later process, is taken over", async () => {
  const dir = tempDir();
  try {
    const exited = join(dir, "exited");
    const pid = await deadPid();
    writeLock(exited, { pid });
    const messages: string[] = [];
    const lock = await lockRunFolder(exited, { onTakeOver: (m) => messages.push(m) });
    assert.equal(lock.takenOverFrom?.pid, pid);
    assert.match(messages[0], /deno task train --family tutorial/);
    await lock.release();

    if (Deno.build.os === "linux") {
      // Our own pid, but recorded by a process that started at another time (pid reuse).
      const reused = join(dir, "reused");
      writeLock(reused, { pid: Deno.pid, processStart: "1" });
      const taken = await lockRunFolder(reused);
      assert.equal(taken.takenOverFrom?.pid, Deno.pid);
      await taken.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lock from another host is refused (it cannot be checked); a malformed lock file is named", async () => {
  const dir = tempDir();
  try {
    const other = join(dir, "other-host");
    writeLock(other, { pid: await deadPid(), host: "elsewhere.example" });
    await assert.rejects(lockRunFolder(other), /host elsewhere\.example.*cannot be checked/);

    const broken = join(dir, "broken");
    Deno.mkdirSync(broken);
    Deno.writeTextFileSync(join(broken, LOCK_FILE), "not json");
    await assert.rejects(
      lockRunFolder(broken),
      (e: Error) =>
        e.message.includes(join(broken, LOCK_FILE)) && /expected a run-folder lock/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("of several calls racing for a free folder, or for a stale lock, exactly one gets the lock", async () => {
  const dir = tempDir();
  try {
    const stalePid = await deadPid();
    for (const stale of [false, true]) {
      const runDir = join(dir, stale ? "stale" : "free");
      if (stale) writeLock(runDir, { pid: stalePid });
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, () => lockRunFolder(runDir)),
      );
      const won = results.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
      const refused = results.flatMap((r) => r.status === "rejected" ? [r.reason as Error] : []);
      assert.equal(won.length, 1, `stale ${stale}: ${refused.map((e) => e.message)}`);
      assert.equal(refused.length, 11);
      for (const e of refused) assert.match(e.message, /another call in this process/);
      assert.equal(won[0].takenOverFrom?.pid, stale ? stalePid : undefined);
      assert.equal((await readRunLock(runDir))?.token, won[0].holder.token);
      await won[0].release();
      assert.deepEqual([...Deno.readDirSync(runDir)].map((e) => e.name), []);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
