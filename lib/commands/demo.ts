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
 * @module
 */
import { join } from "node:path";
import { selectBackend } from "../engine/backend.ts";
import { backendOptions, resolveConfig, type RunConfig } from "../config/config.ts";
import { notesToMidi } from "../music/midi.ts";
import {
  generateMusic,
  midiOptionsFor,
  prepareData,
  readCorpus,
  trainRun,
  unigramBaseline,
} from "../workflow/workflow.ts";
import { lossFigure } from "../notebook/plot.ts";
import { saveFigureHtml } from "../notebook/display.ts";
import { renderMidiToWav } from "../notebook/synth.ts";
import { writeJsonAtomic } from "../io/model_files.ts";
import { dataLines, fail, formatEpochLine, numberArg, parseCommandLine } from "./_format.ts";

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
 * Epochs the demo trains for when `--epochs` is not given, chosen so each family finishes in
 * under 5 minutes on 2 CPU cores with OpenBLAS installed (tutorial: up to 50 short epochs with
 * early stopping; lstm2x256-cpu: about 5 s per epoch with OpenBLAS, 16 s on wasm alone).
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

  const corpus = readCorpus(config);
  const prepared = prepareData(config, corpus);
  for (const line of dataLines(config, corpus, prepared)) console.log(line);

  const runDir = join("weights", config.run);
  const run = await trainRun(config, {
    runDir,
    prepared,
    onEpochEnd: (info) => console.log(formatEpochLine(info)),
    onLockTakenOver: (message) => console.log(message),
  });
  const { result } = run;
  console.log(
    `training: best ${config.train.monitor} ${result.best.toFixed(4)} at epoch ${
      result.bestEpoch + 1
    }${result.stoppedEarly ? " (stopped early)" : ""}`,
  );
  const baseline = unigramBaseline(prepared);
  const reached = baseline == null ? undefined : result.history[baseline.compareWith];
  if (baseline != null && reached != null && reached.length > 0) {
    const best = Math.min(...reached);
    const under = (1 - best / baseline.nats) * 100;
    console.log(
      `unigram baseline: ${baseline.nats.toFixed(4)} (always predicting the training set's ` +
        `${baseline.label} frequencies); best ${baseline.compareWith} ${best.toFixed(4)}, ` +
        (under >= 0 ? `${under.toFixed(1)}% under it` : `${(-under).toFixed(1)}% over it`),
    );
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
    lossFigure(result.history, { title: `${family} model: loss per epoch`, logY: true }),
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
