/**
 * Notebook plumbing: the notebooks run in separate kernels, so what one decides (the
 * family, the run folder, the config) is written to a small session file that the next one
 * reads. Paths inside are relative to the repository root, which {@linkcode useRepoRoot}
 * makes the working directory, so notebooks and the command line share one layout.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { backendOptions, type Family, resolveConfig, type RunConfig } from "../config/config.ts";
import { writeJsonAtomic } from "../io/atomic_files.ts";
import { type BackendChoice, selectBackend } from "../engine/backend.ts";
import { lockRunFolder, runPaths } from "../io/run_folder.ts";

/** Where the notebooks keep their session, relative to the repository root. */
export const SESSION_FILE = join("out", "notebook-session.json");

/** What `01_setup` decided, read by the later notebooks. */
export interface NotebookSession {
  /** The model family the notebooks teach this time. */
  family: Family;
  /** Quick mode (`NOTEBOOK_QUICK=1`): tiny epochs so all notebooks run in CI in minutes. */
  quick: boolean;
  /** The run folder, e.g. `weights/notebook-tutorial`. */
  runDir: string;
  config: RunConfig;
}

/**
 * Makes the repository root (the nearest folder above the current one holding `deno.json`)
 * the working directory, so relative paths like `data/tunes` work from a notebook.
 * Changes the process's working directory.
 *
 * @returns the root's absolute path
 * @throws {Error} when no `deno.json` is found above the current directory
 */
export function useRepoRoot(): string {
  let dir = resolve(Deno.cwd());
  while (true) {
    try {
      Deno.statSync(join(dir, "deno.json"));
      Deno.chdir(dir);
      return dir;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) throw new Error(`no deno.json found above ${Deno.cwd()}`);
      dir = parent;
    }
  }
}

/**
 * The family the notebooks teach: `NOTEBOOK_FAMILY` when set (CI runs the notebooks once per
 * family this way), else `chosen`.
 *
 * @throws {Error} naming NOTEBOOK_FAMILY when it is neither "tutorial" nor "classic"
 */
export function chooseFamily(chosen: Family): Family {
  let env: string | undefined;
  try {
    env = Deno.env.get("NOTEBOOK_FAMILY") || undefined;
  } catch { /* no --allow-env */ }
  if (env !== undefined && env !== "tutorial" && env !== "classic") {
    throw new Error(`NOTEBOOK_FAMILY: expected "tutorial" or "classic", got "${env}"`);
  }
  return (env as Family | undefined) ?? chosen;
}

/** True when the environment variable `NOTEBOOK_QUICK` is `1` (or `true`). */
export function isQuickMode(): boolean {
  try {
    return ["1", "true"].includes((Deno.env.get("NOTEBOOK_QUICK") ?? "").toLowerCase());
  } catch {
    return false; // no --allow-env
  }
}

/**
 * Saves the session and the run's config (`<runDir>/config.json`), both atomically. The run
 * folder is locked while its config is written, so a run another kernel or command is
 * training into is never changed under it.
 *
 * @throws {Error} naming the run folder and the process that trains into it
 */
export async function saveSession(session: NotebookSession): Promise<void> {
  const lock = await lockRunFolder(session.runDir);
  try {
    await writeJsonAtomic(runPaths(session.runDir).config, session.config);
  } finally {
    await lock.release();
  }
  await Deno.mkdir(dirname(SESSION_FILE), { recursive: true });
  await writeJsonAtomic(SESSION_FILE, session);
}

/**
 * Reads the session `01_setup` saved.
 *
 * @throws {Error} saying to run `01_setup` first when there is no session file
 */
export async function loadSession(): Promise<NotebookSession> {
  let raw: NotebookSession;
  try {
    raw = JSON.parse(await Deno.readTextFile(SESSION_FILE));
  } catch {
    throw new Error(`${SESSION_FILE}: no notebook session yet; run notebooks/01_setup first`);
  }
  return { ...raw, config: resolveConfig(raw.config, { saved: true }) };
}

/** What {@linkcode openSession} gives a notebook: the session and the running backend. */
export interface OpenedSession extends NotebookSession {
  /** The backend started from the session's config (see `backendOptions`). */
  backend: BackendChoice;
}

/**
 * The first cell of every notebook after `01_setup`: makes the repository root the working
 * directory ({@linkcode useRepoRoot}), reads the session ({@linkcode loadSession}) and starts
 * the backend its config asks for (`selectBackend(backendOptions(config))`), so the engine
 * settings live in `01_setup` alone. Changes the working directory and the tfjs backend.
 *
 * @throws {Error} as `loadSession` (no session yet) and `selectBackend` (a named backend
 *   that cannot start)
 */
export async function openSession(): Promise<OpenedSession> {
  useRepoRoot();
  const session = await loadSession();
  const backend = await selectBackend(backendOptions(session.config));
  return { ...session, backend };
}
