/**
 * `deno task upgrade-run`: rewrite the model files of run folders saved before standard
 * model files (layer class `"FusedLSTM"`) to the standard `"LSTM"` class, so plain
 * TensorFlow.js loads them. Only each `model.json` changes; the weights files stay
 * byte for byte as they were. Covers `model/`, every checkpoint and the resumable state.
 *
 * ```
 * deno task upgrade-run weights/<run> [weights/<other-run> ...]
 * ```
 *
 * Each run folder is locked while it is rewritten, so a run still training is refused.
 *
 * @module
 */
import { upgradeModelFolder } from "../io/legacy_model_files.ts";
import { lockRunFolder, runModelFolders } from "../io/run_folder.ts";
import { fail, parseCommandLine } from "./_format.ts";

const USAGE = "deno task upgrade-run RUN_DIR [RUN_DIR ...]";

const { positionals } = parseCommandLine({}, `usage: ${USAGE}`, true);
if (positionals.length === 0) fail(`expected at least one run folder\nusage: ${USAGE}`);

try {
  for (const runDir of positionals) {
    const folders = await runModelFolders(runDir);
    if (folders.length === 0) fail(`${runDir}: no model folder (model/, checkpoints/, resume/)`);
    const lock = await lockRunFolder(runDir, {
      onTakeOver: (message) => console.log(message),
    });
    try {
      for (const dir of folders) {
        const renamed = await upgradeModelFolder(dir);
        console.log(
          renamed > 0
            ? `${dir}: ${renamed} layer(s) rewritten to the standard LSTM class`
            : `${dir}: standard already`,
        );
      }
    } finally {
      await lock.release();
    }
  }
} catch (e) {
  fail((e as Error).message);
}
