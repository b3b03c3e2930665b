/**
 * Steps both families take around a run folder when training starts or resumes: check
 * that a resumed run still has its config, and record the session in `run.json`.
 *
 * @module
 */
import { join } from "node:path";
import { configDifferences, type RunConfig } from "./config.ts";
import { readTrainState, type TrainState } from "./train.ts";

/** Settings a resumed run may change: how long it trains, and the backend it runs on. */
const MAY_CHANGE_ON_RESUME = new Set(["train.epochs", "backend"]);

/** Sub-folder of a run folder holding the resumable training state. */
export const RESUME_FOLDER = "resume";

/**
 * For a resumed run: reads the saved training state (`null` when no epoch finished yet) and
 * checks that `config` matches the run's `config.json` except for `train.epochs` and
 * `backend`.
 *
 * @throws {Error} naming the run folder and every changed setting, or the family, when the
 *   config differs, or naming the file when `config.json` is missing though a state exists
 */
export async function checkResume(runDir: string, config: RunConfig): Promise<TrainState | null> {
  const state = await readTrainState(join(runDir, RESUME_FOLDER));
  let saved: RunConfig;
  try {
    saved = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
  } catch (e) {
    if (!state) return null;
    throw new Error(
      `resume: run ${runDir} has a training state but no readable config.json ` +
        `(${(e as Error).message})`,
    );
  }
  if (saved.family !== config.family) {
    throw new Error(
      `resume: run ${runDir} is a ${saved.family}-family run (config.json), ` +
        `but the config to resume with is ${config.family}`,
    );
  }
  const changed = configDifferences(saved, config).filter((d) =>
    !MAY_CHANGE_ON_RESUME.has(d.setting)
  );
  if (changed.length > 0) {
    const list = changed.map((d) => `${d.setting} (saved ${d.a}, now ${d.b})`).join(", ");
    throw new Error(
      `resume: the config differs from ${join(runDir, "config.json")} in ${list}; ` +
        "resume with the saved config (only train.epochs and backend may change) or start a new run",
    );
  }
  return state;
}
