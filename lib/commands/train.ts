/**
 * `deno task train`: train one run into its folder, from a JSON config or from flags, and
 * continue it after a crash or a stop with `--resume`.
 *
 * ```
 * deno task train --config FILE [flags]          a JSON config (partial: defaults fill the rest)
 * deno task train --family tutorial|classic [--quick] [--seed S] [--run-dir DIR]
 *                 [--epochs N] [--data DIR] [--max-files N] [--preset P]
 *                 [--lstm layers|fused] [--workers N] [--backend auto|wasm|cpu|tensorflow]
 *                 [--max-minutes M|none]
 * deno task train --resume --run-dir DIR [--epochs N] [--max-minutes M|none] [--backend ...]
 * ```
 *
 * Flags override the config file. `--preset` names a classic model preset (`CLASSIC_PRESETS`
 * in `lib/config/classic_presets.ts`). `--resume` continues the run in `--run-dir` from its
 * last finished epoch with the run's own `config.json`; only `--epochs` (to train longer),
 * `--max-minutes`, `--workers` and `--backend` may change.
 *
 * Progress within an epoch shows as a bar redrawn in place on a terminal (a line now and
 * then when the output is a pipe or a file). Ctrl-C stops the run at the next batch: the
 * unfinished epoch is dropped, the best checkpoint and the state after the last finished
 * epoch are kept, the command prints how to continue and exits with status 0 (a second
 * Ctrl-C quits at once). `--max-minutes M` (`train.maxMinutes`) stops it the same way after
 * M minutes of training.
 *
 * @module
 */
import { basename, join } from "node:path";
import { selectBackend } from "../engine/backend.ts";
import {
  backendOptions,
  type DeepPartial,
  resolveConfig,
  type RunConfig,
} from "../config/config.ts";
import { CLASSIC_PRESETS } from "../config/classic_presets.ts";
import { readTrainState } from "../train/resume.ts";
import { fail, numberArg, parseCommandLine } from "./_format.ts";
import { runPaths } from "../io/run_folder.ts";
import { familyOf } from "../workflow/families.ts";
import {
  baselineComparisonLines,
  bestEpochLine,
  describeStop,
  readAndPrepare,
  trainOnTerminal,
} from "./_training.ts";

const USAGE = `usage:
  deno task train --config FILE [flags]
  deno task train --family tutorial|classic [--quick] [--seed S] [--run-dir DIR] [--epochs N]
                  [--data DIR] [--max-files N] [--preset P (classic: ${CLASSIC_PRESETS.join("|")})]
                  [--lstm layers|fused] [--workers N] [--backend auto|wasm|cpu|tensorflow]
                  [--max-minutes M|none]
  deno task train --resume --run-dir DIR [--epochs N] [--max-minutes M|none] [--backend ...]
Ctrl-C stops training at the next batch; continue with --resume.`;

const { values: args } = parseCommandLine({
  config: { type: "string" },
  family: { type: "string" },
  quick: { type: "boolean", default: false },
  seed: { type: "string" },
  "run-dir": { type: "string" },
  epochs: { type: "string" },
  workers: { type: "string" },
  "max-minutes": { type: "string" },
  data: { type: "string" },
  "max-files": { type: "string" },
  preset: { type: "string" },
  lstm: { type: "string" },
  backend: { type: "string" },
  resume: { type: "boolean", default: false },
}, USAGE);

async function readJsonFile(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    fail(`${what} ${path}: cannot read it (${(e as Error).message})`);
  }
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error("expected a JSON object");
    }
    return value;
  } catch (e) {
    fail(`${what} ${path}: not a JSON config object (${(e as Error).message})`);
  }
}

/** The config: the run's own for --resume, else the file and flags over the defaults. */
async function buildConfig(): Promise<{ config: RunConfig; runDir: string }> {
  const epochs = numberArg("epochs", args.epochs);
  const seed = numberArg("seed", args.seed);
  const maxFiles = numberArg("max-files", args["max-files"]);
  const workers = numberArg("workers", args.workers);
  const maxMinutes = args["max-minutes"] === "none"
    ? null
    : numberArg("max-minutes", args["max-minutes"], false);
  // The `train` settings the flags give, on a resumed run too.
  const trainFlags = {
    ...(epochs !== undefined ? { epochs } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(maxMinutes !== undefined ? { maxMinutes } : {}),
  };
  const hasTrainFlags = Object.keys(trainFlags).length > 0;
  if (args.resume) {
    const runDir = args["run-dir"];
    if (!runDir) fail("--resume: needs --run-dir DIR, the folder of the run to continue");
    const fixed = {
      config: args.config,
      family: args.family,
      quick: args.quick || undefined,
      seed: args.seed,
      data: args.data,
      "max-files": args["max-files"],
      preset: args.preset,
      lstm: args.lstm,
    };
    for (const [flag, value] of Object.entries(fixed)) {
      if (value !== undefined) {
        fail(
          `--${flag}: a resumed run keeps the settings of ${runPaths(runDir).config}; ` +
            "only --epochs, --max-minutes, --workers and --backend may change",
        );
      }
    }
    const saved = await readJsonFile(runPaths(runDir).config, "--resume: run config");
    const over: Record<string, unknown> = { ...saved };
    if (hasTrainFlags) over.train = { ...(saved.train as Record<string, unknown>), ...trainFlags };
    if (args.backend) over.backend = args.backend;
    const onRenamed = (note: string) => console.log(note);
    try {
      return {
        config: resolveConfig(over as DeepPartial<RunConfig>, { onRenamed, saved: true }),
        runDir,
      };
    } catch (e) {
      fail(`${(e as Error).message} (${runPaths(runDir).config} and flags)`);
    }
  }
  const file = args.config ? await readJsonFile(args.config, "--config") : {};
  if (args.family && file.family && args.family !== file.family) {
    fail(`--family: ${args.family} contradicts "family": "${file.family}" in ${args.config}`);
  }
  const family = args.family ?? file.family ?? "tutorial";
  if (family !== "tutorial" && family !== "classic") {
    fail(`--family: expected tutorial or classic, got "${family}"`);
  }
  if (args.preset && family !== "classic") {
    fail(`--preset: model presets belong to the classic family, but the family is ${family}`);
  }
  const over: Record<string, unknown> = { ...file, family };
  const section = (key: string, values: Record<string, unknown>) => {
    over[key] = { ...(over[key] as Record<string, unknown> ?? {}), ...values };
  };
  if (seed !== undefined) over.seed = seed;
  if (args.data) section("data", { dir: args.data });
  if (maxFiles !== undefined) section("data", { maxFiles });
  if (hasTrainFlags) section("train", trainFlags);
  if (args.preset) section("model", { preset: args.preset });
  if (args.lstm) over.lstm = args.lstm;
  if (args.backend) over.backend = args.backend;
  if (args["run-dir"] && over.run === undefined) over.run = basename(args["run-dir"]);
  let config: RunConfig;
  try {
    config = resolveConfig(over as DeepPartial<RunConfig>, {
      quick: args.quick,
      onRenamed: (note) => console.log(`${args.config ?? "config"}: ${note}`),
    });
  } catch (e) {
    const where = args.config ? ` (config file ${args.config} and flags)` : "";
    fail(`${(e as Error).message}${where}`);
  }
  return { config, runDir: args["run-dir"] ?? join("weights", config.run) };
}

const t0 = performance.now();
const { config, runDir } = await buildConfig();
try {
  const backend = await selectBackend(backendOptions(config));
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const resumeState = args.resume ? await readTrainState(runPaths(runDir).resume) : null;
  const family = familyOf(config);
  const preset = family.modelPreset(config);
  const lstm = preset === null ? "" : `${preset}, `;
  console.log(
    `run: ${runDir} (${config.family} family, ${lstm}lstm ${config.lstm}, seed ${config.seed}, ` +
      `${config.train.epochs} epochs` +
      (config.train.maxMinutes === null ? "" : `, at most ${config.train.maxMinutes} min`) + ")",
  );
  if (args.resume) {
    console.log(
      resumeState
        ? `resuming after epoch ${resumeState.epochsDone} (best ${resumeState.monitor} ` +
          `${resumeState.best?.toFixed(4) ?? "-"} at epoch ${resumeState.bestEpoch + 1})`
        : "resume: no finished epoch saved yet; starting from epoch 1",
    );
    if (resumeState?.stoppedEarly) {
      console.log("resume: the run had stopped early; nothing to train");
    } else if (resumeState && resumeState.epochsDone >= config.train.epochs) {
      console.log(
        `resume: all ${config.train.epochs} epochs are done; pass --epochs N to train longer`,
      );
    }
  }
  const { prepared, baselines } = readAndPrepare(config);
  const { run, progress } = await trainOnTerminal(config, {
    runDir,
    prepared,
    resume: args.resume,
    ctrlCLine: "Ctrl-C: stopping at the next batch (Ctrl-C again quits at once)",
  });
  const { result } = run;
  const finished = result.history.epoch.length;
  if (result.stopped) {
    const by = describeStop(result.stopped, config.train.maxMinutes);
    progress.log(
      result.discardedBatches
        ? `stopped by ${by} during epoch ${finished + 1}; its ${result.discardedBatches} ` +
          `batch(es) so far are dropped, ${finished} epoch(s) kept`
        : `stopped by ${by} after epoch ${finished}`,
    );
  }
  if (result.bestEpoch >= 0) console.log(bestEpochLine(config, result));
  for (const line of baselineComparisonLines(config, { result, prepared, baselines })) {
    console.log(line);
  }
  console.log(`run folder  ${runDir}`);
  console.log(`  config      ${runPaths(runDir).config}`);
  console.log(
    `  provenance  ${runPaths(runDir).run} (backend, versions, data fingerprint, baselines)`,
  );
  for (const { label, path } of family.ownRunFiles(runDir)) {
    console.log(`  ${label.padEnd(11)} ${path}`);
  }
  console.log(`  history     ${runPaths(runDir).history}`);
  if (result.lastCheckpoint) console.log(`  checkpoint  ${result.lastCheckpoint} (best)`);
  if (finished > 0) console.log(`  model       ${runPaths(runDir).model}`);
  console.log(`  resume      ${runPaths(runDir).resume} (continue with --resume)`);
  if (result.stopped) {
    console.log(`continue with: deno task train --resume --run-dir ${runDir}`);
  }
  if (finished > 0) console.log(`generate with: deno task generate --run ${runDir}`);
  else console.log("no epoch finished, so there is no model yet");
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} catch (e) {
  fail((e as Error).message);
}
