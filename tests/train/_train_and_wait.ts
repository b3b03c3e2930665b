/**
 * Trains a run and pauses after its first epoch until stdin closes, so a test can try a
 * second writer while this process holds the run folder (`run_steps_test.ts`):
 *
 * ```
 * deno run -A tests/train/_train_and_wait.ts CONFIG_JSON RUN_DIR
 * ```
 *
 * Prints `training <pid>` when paused, `finished` at the end.
 */
import * as tf from "@tensorflow/tfjs";
import { type DeepPartial, resolveConfig, type RunConfig } from "../../lib/config/config.ts";
import { trainRun } from "../../lib/workflow/workflow.ts";

const [configPath, runDir] = Deno.args;
await tf.setBackend("cpu");
const config = resolveConfig(
  JSON.parse(await Deno.readTextFile(configPath)) as DeepPartial<RunConfig>,
);
const run = await trainRun(config, {
  runDir,
  onEpochEnd: async (info) => {
    if (info.epoch !== 0) return;
    console.log(`training ${Deno.pid}`);
    for await (const _ of Deno.stdin.readable) {
      // paused until the parent closes stdin
    }
  },
});
run.model.dispose();
console.log("finished");
