/**
 * `deno task demo`: the whole workflow on the bundled corpus in one command — read the MIDI
 * files, train (early stopping on), generate, and write the MIDI, a WAV rendering, the loss
 * plot and the history under `out/demo/<family>/`.
 *
 * ```
 * deno task demo [--family tutorial] [--out DIR] [--data DIR] [--epochs N] [--quick]
 *                [--backend auto|wasm|cpu|tensorflow] [--seed S]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { selectBackend } from "../backend.ts";
import { resolveTutorialConfig, type TutorialConfig } from "../config.ts";
import { notesToMidi } from "../midi.ts";
import { generateFromRun, prepareTutorialData, trainTutorial } from "../tutorial.ts";
import { lossFigure } from "../plot.ts";
import { saveFigureHtml } from "../display.ts";
import { renderMidiToWav } from "../synth.ts";
import { writeJsonAtomic } from "../model_io.ts";
import { formatEpochLine, formatSkipped } from "./_format.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    family: { type: "string", default: "tutorial" },
    out: { type: "string" },
    data: { type: "string" },
    epochs: { type: "string" },
    seed: { type: "string" },
    backend: { type: "string" },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (args.help) {
  console.log(
    "deno task demo [--family tutorial] [--out DIR] [--data DIR] [--epochs N] [--seed S] " +
      "[--backend auto|wasm|cpu|tensorflow] [--quick]",
  );
  Deno.exit(0);
}
if (args.family !== "tutorial") {
  console.error(`--family: expected "tutorial", got "${args.family}"`);
  Deno.exit(2);
}

const t0 = performance.now();
const out = args.out ?? join("out", "demo", args.family);
const config: TutorialConfig = resolveTutorialConfig({
  run: `demo-${args.family}`,
  ...(args.seed !== undefined ? { seed: Number(args.seed) } : {}),
  ...(args.data ? { data: { dir: args.data } } : {}),
  ...(args.epochs ? { train: { epochs: Number(args.epochs) } } : {}),
  ...(args.backend ? { backend: args.backend as TutorialConfig["backend"] } : {}),
}, { quick: args.quick });

const backend = await selectBackend({ backend: config.backend });
console.log(`backend: ${backend.name} (${backend.reason})`);

const data = prepareTutorialData(config);
console.log(
  `data: ${data.folder.files.length} files, ${data.noteCount} notes from ${config.data.dir}; ` +
    `${data.train.count} training and ${data.validation.count} validation windows of ` +
    `${config.dataset.seqLength} notes`,
);
for (const line of formatSkipped(data.folder.skipped)) console.log(line);

const runDir = join("weights", config.run);
const run = await trainTutorial(config, {
  runDir,
  data,
  onEpochEnd: (info) => console.log(formatEpochLine(info)),
});
const { result } = run;
console.log(
  `training: best ${config.train.monitor} ${result.best.toFixed(4)} at epoch ${
    result.bestEpoch + 1
  }${result.stoppedEarly ? " (stopped early)" : ""}`,
);

const notes = generateFromRun(run, { seedFrom: data.folder.files });
await Deno.mkdir(out, { recursive: true });
const midi = notesToMidi(notes, { bpm: config.generate.bpm, program: config.generate.program });
const paths = {
  midi: join(out, "generated.mid"),
  wav: join(out, "generated.wav"),
  lossPlot: join(out, "loss.html"),
  history: join(out, "history.json"),
};
await Deno.writeFile(paths.midi, midi);
const audio = await renderMidiToWav(midi);
await Deno.writeFile(paths.wav, audio.wav);
await saveFigureHtml(lossFigure(result.history, { title: "Tutorial model: loss per epoch" }), paths.lossPlot);
await writeJsonAtomic(paths.history, result.history);

const seconds = (performance.now() - t0) / 1000;
console.log(`generated ${notes.length} notes (${audio.durationSec.toFixed(1)} s of music)`);
console.log(`  MIDI        ${paths.midi}`);
console.log(`  audio       ${paths.wav} (${audio.renderer}${audio.soundFont ? ", " + audio.soundFont : ""})`);
console.log(`  loss plot   ${paths.lossPlot}`);
console.log(`  history     ${paths.history}`);
console.log(`  run folder  ${runDir} (config, checkpoints, model)`);
console.log(`done in ${seconds.toFixed(1)} s`);
