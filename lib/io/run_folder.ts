/**
 * The run folder `weights/<run>/`: the one place that names the files in it, and the lock
 * that keeps two writers out of it.
 *
 * ```
 * weights/<run>/config.json        the resolved config
 * weights/<run>/run.json           provenance: backend, versions, data fingerprint, sessions
 * weights/<run>/history.json       losses per epoch
 * weights/<run>/vocabulary.json    classic family: the tokens in id order
 * weights/<run>/timing.json        classic family: the rhythm learnt from the data
 * weights/<run>/notes.json         the processed corpus (tutorial; tokens.json for classic)
 * weights/<run>/checkpoints/       best-only checkpoints, and latest.json naming the last one
 * weights/<run>/resume/            the state after the last epoch: state.json, epoch-NNNN/
 * weights/<run>/model/             the final (best) model
 * weights/<run>/outputs/           generated MIDI files
 * weights/<run>/train.lock         while a process trains into the folder: who it is
 * ```
 *
 * The lock ({@linkcode lockRunFolder}) is a small JSON file created atomically (hard link of
 * a complete file, so no reader ever sees half a lock). It names the process that holds it:
 * pid, host, command, start time. A second writer, in another process or another call of the
 * same one, is refused with an error naming them. A lock whose process no longer runs on
 * this host (no such pid, a zombie, or the pid now belongs to a process started later) is
 * taken over, and the taker is told. The lock is released by {@linkcode RunFolderLock}'s
 * `release`, and when the process exits normally (the `unload` event, `Deno.exit` included);
 * a process killed outright leaves its lock behind for the next writer to take over.
 *
 * @module
 */
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MODEL_JSON } from "./model_files.ts";

/** The resolved config of the run. */
export const CONFIG_JSON = "config.json";
/** Provenance: backend, versions, data fingerprint, sessions (see `provenance.ts`). */
export const RUN_JSON = "run.json";
/** Every logged value of every epoch. */
export const HISTORY_JSON = "history.json";
/** Classic family: the vocabulary, tokens in id order. */
export const VOCABULARY_JSON = "vocabulary.json";
/** Classic family: step and duration learnt per token. */
export const TIMING_JSON = "timing.json";
/** Tutorial family: the processed corpus (note tables). */
export const NOTES_JSON = "notes.json";
/** Classic family: the processed corpus (tokens). */
export const TOKENS_JSON = "tokens.json";
/** The lock file of a process training into the run folder. */
export const LOCK_FILE = "train.lock";
/** Sub-folder of best-only checkpoints (one model folder each, plus `latest.json`). */
export const CHECKPOINTS_FOLDER = "checkpoints";
/** In `checkpoints/`: which checkpoint is the latest (name, epoch, monitored value). */
export const LATEST_CHECKPOINT_JSON = "latest.json";
/** Sub-folder of the final (best) model. */
export const MODEL_FOLDER = "model";
/** Sub-folder of the resumable training state (`state.json` and `epoch-NNNN/` folders). */
export const RESUME_FOLDER = "resume";
/** In `resume/`: the training loop's state, naming the epoch folders to resume from. */
export const TRAIN_STATE_JSON = "state.json";
/** Sub-folder of generated files. */
export const OUTPUTS_FOLDER = "outputs";

/** Every path of a run folder, as {@linkcode runPaths} gives them. */
export interface RunPaths {
  /** The run folder itself. */
  dir: string;
  config: string;
  run: string;
  history: string;
  vocabulary: string;
  timing: string;
  notes: string;
  tokens: string;
  lock: string;
  checkpoints: string;
  model: string;
  resume: string;
  outputs: string;
}

/**
 * The paths of the files and folders of the run folder `runDir` (nothing is read or made).
 *
 * @param runDir the run folder, e.g. `weights/tutorial`
 */
export function runPaths(runDir: string): RunPaths {
  return {
    dir: runDir,
    config: join(runDir, CONFIG_JSON),
    run: join(runDir, RUN_JSON),
    history: join(runDir, HISTORY_JSON),
    vocabulary: join(runDir, VOCABULARY_JSON),
    timing: join(runDir, TIMING_JSON),
    notes: join(runDir, NOTES_JSON),
    tokens: join(runDir, TOKENS_JSON),
    lock: join(runDir, LOCK_FILE),
    checkpoints: join(runDir, CHECKPOINTS_FOLDER),
    model: join(runDir, MODEL_FOLDER),
    resume: join(runDir, RESUME_FOLDER),
    outputs: join(runDir, OUTPUTS_FOLDER),
  };
}

/**
 * The model folders (those with a `model.json`) of a run: `model/`, every checkpoint and
 * every epoch folder of `resume/`, in that order; missing ones are left out.
 *
 * @throws {Error} naming the folder when a sub-folder exists but cannot be listed
 */
export async function runModelFolders(runDir: string): Promise<string[]> {
  const paths = runPaths(runDir);
  const out: string[] = [];
  if (await isFile(join(paths.model, MODEL_JSON))) out.push(paths.model);
  for (const parent of [paths.checkpoints, paths.resume]) {
    let names: string[] = [];
    try {
      for await (const e of Deno.readDir(parent)) if (e.isDirectory) names.push(e.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw new Error(`cannot list "${parent}": ${error}`, { cause: error });
    }
    names = names.sort();
    for (const name of names) {
      if (await isFile(join(parent, name, MODEL_JSON))) out.push(join(parent, name));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The lock

/** `format` of a lock file. */
const LOCK_FORMAT = "midi-lstm-run-lock";

/** Who holds a run folder: the contents of its lock file. */
export interface RunLockHolder {
  /** Always `"midi-lstm-run-lock"`. */
  format: string;
  /** Process id of the holder. */
  pid: number;
  /** Host name (`Deno.hostname()`) the holder runs on. */
  host: string;
  /** The holder's command: its main module (relative to its working folder) and arguments. */
  command: string;
  /** When the holder took the lock (ISO 8601). */
  startedAt: string;
  /**
   * When the holding process started, in clock ticks since boot (`/proc/<pid>/stat`, Linux);
   * tells the holder from a later process that got the same pid. `null` elsewhere.
   */
  processStart: string | null;
  /** Random id of this lock, so a release never removes another holder's lock. */
  token: string;
  /** The dead holder this lock was taken over from, if any. */
  tookOverFrom?: Omit<RunLockHolder, "tookOverFrom"> | null;
}

/** Options for {@linkcode lockRunFolder}. */
export interface LockRunFolderOptions {
  /**
   * The command recorded in the lock, shown to a refused second writer.
   * @default {the main module, relative to the working folder, and `Deno.args`}
   */
  command?: string;
  /**
   * Called when a lock left by a process that no longer runs is taken over, with a sentence
   * saying so and the dead holder.
   * @default {no call; the new lock still records it in `tookOverFrom`}
   */
  onTakeOver?: (message: string, stale: RunLockHolder) => void;
}

/** A held run-folder lock, from {@linkcode lockRunFolder}. */
export interface RunFolderLock {
  /** The run folder. */
  runDir: string;
  /** Path of the lock file. */
  path: string;
  /** What the lock file says (this process). */
  holder: RunLockHolder;
  /** The dead holder whose lock was taken over, or `null`. */
  takenOverFrom: RunLockHolder | null;
  /**
   * Removes the lock file if it is still this lock's (calling it again does nothing).
   * @throws {Error} naming the file when it exists but cannot be removed
   */
  release(): Promise<void>;
}

/** Locks held by this process, by absolute run folder. */
const held = new Map<string, RunFolderLock>();
let unloadListening = false;

/**
 * Takes the lock of the run folder `runDir` (created if needed) for a process that is going
 * to write into it: trains, resumes, rewrites its model files.
 *
 * @returns the lock; call `release()` when done (also on error). The lock is released on a
 *   normal exit of the process too.
 * @throws {Error} naming the folder and the holder (pid, host, command, start time) when
 *   another process, or another call of this process, holds the lock; naming the lock file
 *   when it cannot be read or written
 */
export async function lockRunFolder(
  runDir: string,
  options: LockRunFolderOptions = {},
): Promise<RunFolderLock> {
  await Deno.mkdir(runDir, { recursive: true });
  const path = join(runDir, LOCK_FILE);
  const record: RunLockHolder = {
    format: LOCK_FORMAT,
    pid: Deno.pid,
    host: hostName(),
    command: options.command ?? currentCommand(),
    startedAt: new Date().toISOString(),
    processStart: processStartTicks(Deno.pid),
    token: crypto.randomUUID(),
  };
  for (let attempt = 0; attempt < 8; attempt++) {
    if (await createExclusive(path, JSON.stringify(record, null, 2) + "\n")) {
      return heldLock(runDir, path, record, null);
    }
    const holder = await readLockFile(path);
    if (holder === null) continue; // released in between: try again
    if (await holderRuns(holder)) throw busyError(runDir, path, holder);
    const { tookOverFrom: _, ...stale } = holder;
    const taking = { ...record, tookOverFrom: stale };
    if (await replaceStaleLock(runDir, path, holder, JSON.stringify(taking, null, 2) + "\n")) {
      const lock = heldLock(runDir, path, taking, holder);
      options.onTakeOver?.(takeOverMessage(runDir, holder), holder);
      return lock;
    }
  }
  throw new Error(
    `cannot lock run folder "${runDir}": ${path} kept changing (other processes are taking ` +
      "and releasing it); try again",
  );
}

/**
 * Reads the lock file of a run folder without taking it.
 *
 * @returns the holder, or `null` when the folder is not locked
 * @throws {Error} naming the lock file when it exists but is not a lock
 */
export async function readRunLock(runDir: string): Promise<RunLockHolder | null> {
  return await readLockFile(join(runDir, LOCK_FILE));
}

/**
 * The lock this process holds on `runDir` (taken with {@linkcode lockRunFolder} and not yet
 * released), or `null`.
 */
export function heldRunLock(runDir: string): RunFolderLock | null {
  return held.get(resolve(runDir)) ?? null;
}

/**
 * Whether the process recorded in a lock still runs. A holder on another host cannot be
 * checked and counts as running.
 */
export async function lockHolderRuns(holder: RunLockHolder): Promise<boolean> {
  return await holderRuns(holder);
}

// ---------------------------------------------------------------------------------------

function heldLock(
  runDir: string,
  path: string,
  holder: RunLockHolder,
  takenOverFrom: RunLockHolder | null,
): RunFolderLock {
  const key = resolve(runDir);
  let released = false;
  const lock: RunFolderLock = {
    runDir,
    path,
    holder,
    takenOverFrom,
    release: async () => {
      if (released) return;
      released = true;
      if (held.get(key) === lock) held.delete(key);
      const current = await readLockFile(path).catch(() => null);
      if (current?.token !== holder.token) return; // not ours any more
      try {
        await Deno.remove(path);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return;
        throw new Error(`cannot release the lock of run folder "${runDir}": ${error}`, {
          cause: error,
        });
      }
    },
  };
  held.set(key, lock);
  if (!unloadListening) {
    unloadListening = true;
    globalThis.addEventListener("unload", releaseAllSync);
  }
  return lock;
}

/** On process exit: removes the lock files this process still holds. */
function releaseAllSync(): void {
  for (const lock of held.values()) {
    try {
      const current = JSON.parse(Deno.readTextFileSync(lock.path)) as RunLockHolder;
      if (current.token === lock.holder.token) Deno.removeSync(lock.path);
    } catch {
      // gone already, or unreadable: nothing of ours to remove
    }
  }
  held.clear();
}

/**
 * Creates `path` with `text` unless it exists: writes a temporary file, then hard-links it
 * to `path` (atomic, fails when `path` exists), falling back to an exclusive create where
 * hard links are not supported.
 *
 * @returns false when `path` exists
 */
async function createExclusive(path: string, text: string): Promise<boolean> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, text, { createNew: true });
  try {
    await Deno.link(tmp, path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      try {
        await file.write(new TextEncoder().encode(text));
      } finally {
        file.close();
      }
      return true;
    } catch (fallback) {
      if (fallback instanceof Deno.errors.AlreadyExists) return false;
      throw new Error(`cannot create the lock file "${path}": ${fallback}`, { cause: fallback });
    }
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/**
 * Replaces a dead holder's lock by ours. Takers hold an OS lock on the run folder (flock,
 * released by the OS even if the taker dies) while they check that the lock file is still
 * the dead holder's and rename theirs over it, so of several processes taking over at once
 * exactly one succeeds, and a newer lock is never replaced. (Only a taker ever replaces a
 * lock whose holder is gone; a live holder removes only its own.)
 *
 * @returns false when the lock file changed meanwhile (another taker won, or it was removed)
 */
async function replaceStaleLock(
  runDir: string,
  path: string,
  stale: RunLockHolder,
  text: string,
): Promise<boolean> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, text, { createNew: true });
  const guard = await lockFolder(runDir);
  try {
    const current = await readLockFile(path).catch(() => null);
    if (current?.token !== stale.token) return false;
    await Deno.rename(tmp, path);
    return true;
  } catch (error) {
    throw new Error(`cannot take over the stale lock "${path}": ${error}`, { cause: error });
  } finally {
    await guard?.unlock().catch(() => {});
    guard?.close();
    await Deno.remove(tmp).catch(() => {});
  }
}

/**
 * Takes an exclusive OS lock (flock) on the folder itself, waiting for other holders; `null`
 * where folders cannot be opened or locked (Windows), so takeovers there are unguarded.
 */
async function lockFolder(dir: string): Promise<Deno.FsFile | null> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(dir, { read: true });
    await handle.lock(true);
    return handle;
  } catch {
    handle?.close();
    return null;
  }
}

async function readLockFile(path: string): Promise<RunLockHolder | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new Error(`cannot read the lock file "${path}": ${error}`, { cause: error });
  }
  let value: Partial<RunLockHolder>;
  try {
    value = JSON.parse(text);
  } catch {
    value = {};
  }
  if (
    value?.format !== LOCK_FORMAT || !Number.isInteger(value.pid) ||
    typeof value.host !== "string" || typeof value.token !== "string"
  ) {
    throw new Error(
      `"${path}": expected a run-folder lock (format "${LOCK_FORMAT}" with pid, host and ` +
        `token), got ${JSON.stringify(text.slice(0, 80))}; delete it if no process trains ` +
        "into this folder",
    );
  }
  return value as RunLockHolder;
}

function busyError(runDir: string, path: string, holder: RunLockHolder): Error {
  const self = holder.pid === Deno.pid && holder.host === hostName();
  const who = `process ${holder.pid} on host ${holder.host} (command: ${holder.command}; ` +
    `training into it since ${holder.startedAt})`;
  const advice = self
    ? "another call in this process is training into this folder: wait for it to finish, or " +
      "train into another folder (if that call was stopped, e.g. a notebook cell interrupted, " +
      "restart the kernel or delete the lock file)"
    : holder.host !== hostName()
    ? "that host cannot be checked from here: wait for that process, or delete the lock file " +
      "if it no longer runs"
    : "wait for it to finish or stop it, or train into another folder";
  return new Error(
    `run folder "${runDir}" is in use: ${self ? "this " : ""}${who} holds its lock ${path}; ` +
      advice,
  );
}

function takeOverMessage(runDir: string, stale: RunLockHolder): string {
  return `run folder "${runDir}": took over the lock left by process ${stale.pid} on host ` +
    `${stale.host} (command: ${stale.command}; locked since ${stale.startedAt}), which no ` +
    "longer runs";
}

async function holderRuns(holder: RunLockHolder): Promise<boolean> {
  if (holder.host !== hostName()) return true; // cannot tell: assume it runs
  if (Deno.build.os === "linux") {
    const stat = readProcStat(holder.pid);
    if (stat === "unknown") return true; // cannot tell: assume it runs
    if (stat === null || stat.state === "Z" || stat.state === "X") return false;
    return holder.processStart == null || holder.processStart === stat.start;
  }
  if (holder.pid === Deno.pid) return true;
  try {
    const command = Deno.build.os === "windows"
      ? new Deno.Command("tasklist", { args: ["/FI", `PID eq ${holder.pid}`, "/NH"] })
      : new Deno.Command("kill", { args: ["-0", String(holder.pid)] });
    const out = await command.output();
    if (Deno.build.os === "windows") {
      return new TextDecoder().decode(out.stdout).includes(String(holder.pid));
    }
    return out.success;
  } catch {
    return true; // cannot tell: assume it runs
  }
}

/**
 * State and start time (clock ticks since boot) of a Linux process; `null` when there is no
 * such process, `"unknown"` when `/proc` cannot be read (no permission).
 */
function readProcStat(pid: number): { state: string; start: string } | null | "unknown" {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? null : "unknown";
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; field 22 is starttime.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], start: fields[19] };
}

function processStartTicks(pid: number): string | null {
  if (Deno.build.os !== "linux") return null;
  const stat = readProcStat(pid);
  return stat === null || stat === "unknown" ? null : stat.start;
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown-host";
  }
}

function currentCommand(): string {
  let main = Deno.mainModule;
  try {
    if (main.startsWith("file:")) {
      const file = fileURLToPath(main);
      const rel = relative(Deno.cwd(), file);
      main = rel.startsWith("..") || isAbsolute(rel) ? file : rel;
    }
  } catch {
    // keep the URL
  }
  return [main, ...Deno.args].join(" ");
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
