/**
 * `deno task demo`: the whole workflow on the bundled corpus in one command — read the MIDI
 * files, train (early stopping on), generate, and write the MIDI, a WAV rendering, the loss
 * plot and the history under `out/demo/<family>/`.
 *
 * ```
 * deno task demo [--family tutorial|classic] [--out DIR] [--data DIR] [--epochs N]
 *                [--seed S] [--backend auto|wasm|cpu|tensorflow] [--quick]
 * ```
 *
 * Ctrl-C while it trains stops training at the next batch and goes on with the best epoch so
 * far (a second Ctrl-C quits at once); the run stays resumable with
 * `deno task train --resume --run-dir weights/demo-<family>`.
 *
 * @module
 */
import { join } from "node:path";
import { selectBackend } from "../engine/backend.ts";
import { backendOptions, resolveConfig, type RunConfig } from "../config/config.ts";
import { notesToMidi } from "../music/midi.ts";
import { generateMusic, midiOptionsFor } from "../workflow/workflow.ts";
import { baselineLines } from "../workflow/baselines.ts";
import { lossFigure } from "../notebook/plot.ts";
import { saveFigureHtml } from "../notebook/display.ts";
import { renderMidiToWav } from "../notebook/synth.ts";
import { writeJsonAtomic } from "../io/atomic_files.ts";
import { fail, numberArg, parseCommandLine } from "./_format.ts";
import {
  baselineComparisonLines,
  bestEpochLine,
  describeStop,
  readAndPrepare,
  trainOnTerminal,
} from "./_training.ts";

const USAGE = "deno task demo [--family tutorial|classic] [--out DIR] [--data DIR] [--epochs N] " +
  "[--seed S] [--backend auto|wasm|cpu|tensorflow] [--lstm layers|fused] [--workers N] [--quick]";

const { values: args } = parseCommandLine({
  family: { type: "string", default: "tutorial" },
  out: { type: "string" },
  data: { type: "string" },
  epochs: { type: "string" },
  seed: { type: "string" },
  backend: { type: "string" },
  lstm: { type: "string" },
  workers: { type: "string" },
  quick: { type: "boolean", default: false },
}, USAGE);

/**
 * Epochs the demo trains for when `--epochs` is not given, at most: each family stops early on
 * the held-out pieces, and finishes in minutes on a 2-core CPU (measured times in
 * `docs/performance.md`).
 */
const DEMO_EPOCHS = { tutorial: 50, classic: 30 };

const t0 = performance.now();
const family = args.family as RunConfig["family"];
let config: RunConfig;
try {
  const epochs = numberArg("epochs", args.epochs) ??
    DEMO_EPOCHS[family as keyof typeof DEMO_EPOCHS];
  const seed = numberArg("seed", args.seed);
  const workers = numberArg("workers", args.workers);
  config = resolveConfig({
    family,
    run: `demo-${family}`,
    ...(seed !== undefined ? { seed } : {}),
    ...(args.data ? { data: { dir: args.data } } : {}),
    train: {
      ...(epochs !== undefined ? { epochs } : {}),
      ...(workers !== undefined ? { workers } : {}),
      // The demo has held-out pieces: stop when they stop improving, not the training loss.
      monitor: "val_loss",
    },
    ...(args.backend ? { backend: args.backend as RunConfig["backend"] } : {}),
    ...(args.lstm ? { lstm: args.lstm as RunConfig["lstm"] } : {}),
  }, { quick: args.quick });
} catch (e) {
  fail((e as Error).message);
}
const out = args.out ?? join("out", "demo", family);

try {
  const backend = await selectBackend(backendOptions(config));
  console.log(`backend: ${backend.name} (${backend.reason})`);

  const { corpus, prepared, baselines } = readAndPrepare(config);

  const runDir = join("weights", config.run);
  const { run, progress } = await trainOnTerminal(config, {
    runDir,
    prepared,
    ctrlCLine: "Ctrl-C: stopping training at the next batch (Ctrl-C again quits at once)",
  });
  const { result } = run;
  if (result.stopped) {
    const kept = result.history.epoch.length;
    progress.log(
      `stopped by ${describeStop(result.stopped, config.train.maxMinutes)} after ${kept} ` +
        `finished epoch(s); continue it with: deno task train --resume --run-dir ${runDir}`,
    );
    if (kept === 0) {
      console.log("no epoch finished, so there is nothing to generate with");
      Deno.exit(0);
    }
  }
  console.log(bestEpochLine(config, result));
  for (const line of baselineComparisonLines(config, { result, prepared, baselines })) {
    console.log(line);
  }

  const music = generateMusic(run, corpus);
  await Deno.mkdir(out, { recursive: true });
  const midi = notesToMidi(music.notes, midiOptionsFor(config));
  const paths = {
    midi: join(out, "generated.mid"),
    wav: join(out, "generated.wav"),
    lossPlot: join(out, "loss.html"),
    history: join(out, "history.json"),
  };
  await Deno.writeFile(paths.midi, midi);
  const audio = await renderMidiToWav(midi);
  await Deno.writeFile(paths.wav, audio.wav);
  await saveFigureHtml(
    lossFigure(result.history, {
      title: `${family} model: loss per epoch`,
      logY: true,
      baselines: baselines == null ? [] : baselineLines(baselines),
    }),
    paths.lossPlot,
  );
  await writeJsonAtomic(paths.history, result.history);

  const what = music.tokens
    ? `${music.tokens.length} tokens (${music.tokens.filter((t) => t.includes(".")).length} chords)`
    : `${music.notes.length} notes`;
  console.log(`generated ${what}, ${audio.durationSec.toFixed(1)} s of music`);
  console.log(`  MIDI        ${paths.midi}`);
  console.log(
    `  audio       ${paths.wav} (${audio.renderer}${
      audio.soundFont ? ", " + audio.soundFont : ""
    })`,
  );
  console.log(`  loss plot   ${paths.lossPlot}`);
  console.log(`  history     ${paths.history}`);
  console.log(`  run folder  ${runDir} (config, checkpoints, model)`);
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} catch (e) {
  fail((e as Error).message);
}
