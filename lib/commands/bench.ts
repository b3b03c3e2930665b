/**
 * `deno task bench`: measures, in one run and on the same inputs, how fast this project
 * trains and generates and how much memory it needs:
 *
 * - training throughput (samples/s, median over timed batches after warm-up) of the
 *   tutorial model (LSTM(128), windows of 25, batch 64) and the classic model (preset
 *   `"classic"`: 3 x LSTM(512), windows of 100, 358 random labels), per backend and LSTM
 *   implementation (`fused`, `layers`);
 * - generation speed (notes/s, tokens/s): re-feeding the window (`generate.ts`,
 *   `classic_generate.ts`) against stepping a carried state (`stateful.ts`);
 * - MIDI parsing speed (files/s, notes/s) over a corpus folder;
 * - peak memory (RSS) of preparing the training data of a corpus 10 times the folder.
 *
 * Every workload runs in a child process of its own, with a time limit, so that each peak
 * memory figure is that workload's alone and a hopeless combination ends as "too slow" or
 * "out of memory" instead of ending the run. Results go to `out/bench/latest.json` and
 * `out/bench/latest.md` (a table, also printed).
 *
 * ```
 * deno run -A lib/commands/bench.ts [--quick] [--only tutorial,classic,generate,parse,memory]
 *          [--corpus DIR] [--out DIR] [--workers N] [--threads N|auto]
 * ```
 *
 * `--threads N` (default `auto`: one per core, at most 4) adds rows for the wasm backend's
 * threaded build (`wasm, N threads`, see `lib/engine/_wasm_threads.ts`); rows named plain `wasm` run
 * one thread. `--threads 1` leaves the threaded rows out.
 *
 * `--workers N` (N > 1) adds rows for fused training on wasm with each batch split across N
 * threads (`parallel_train.ts`).
 *
 * `--corpus` defaults to MIDI_CORPUS_DIR when set, else `data/tunes`. `--quick` runs one or
 * two batches of everything (a smoke test, figures not meaningful).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** One measured (or not measured) figure. */
interface Entry {
  /** What ran: `train tutorial`, `generate classic`, `parse midi`, ... */
  workload: string;
  /** tfjs backend, or `-` where none is involved. */
  backend: string;
  /** LSTM implementation or generation method. */
  implementation: string;
  /** What the value is. */
  figure: string;
  unit: string;
  /** `null` when not measured. */
  value: number | null;
  /** `ok`, `too slow`, `out of memory`, `skipped`, `unavailable` or `error`. */
  status: string;
  notes: string;
  /** Peak resident memory of the workload's process, MiB (`null`: unknown). */
  peakRssMiB: number | null;
}

/** The training workloads' settings. */
interface TrainCase {
  kind: "train";
  model: "tutorial" | "classic";
  backend: string;
  impl: "fused" | "layers";
  batch: number;
  warmup: number;
  maxTimed: number;
  /** Stop timing batches after this many seconds (at least one batch is timed). */
  budgetSec: number;
  /** Gradient computations per batch (`parallel_train.ts`); 1 or absent: none. */
  workers?: number;
}

/** One generation method of a generation workload. */
interface GenerateVariant {
  method: "window" | "carried" | "exact";
  impl: "fused" | "layers";
  count: number;
}

interface GenerateCase {
  kind: "generate";
  model: "tutorial" | "classic";
  backend: string;
  variants: GenerateVariant[];
}

interface ParseCase {
  kind: "parse";
  corpus: string;
}

interface MemoryCase {
  kind: "memory";
  family: "tutorial" | "classic";
  corpus: string;
  factor: number;
  /** Stop iterating the dataset after this many seconds. */
  budgetSec: number;
}

type Case = TrainCase | GenerateCase | ParseCase | MemoryCase;

/** What a child prints on its last line, after {@linkcode RESULT_MARK}. */
interface ChildResult {
  entries: Omit<Entry, "peakRssMiB">[];
  /** VmHWM of the child, MiB. */
  peakRssMiB: number | null;
}

const RESULT_MARK = "BENCH_RESULT ";
const MIB = 1024 * 1024;
/** Peak memory the issue allows for preparing a dataset 10 times the Nottingham set. */
const MEMORY_TARGET_MIB = 1536;

/** Reference figures quoted by the issue (PyTorch 1.13, OpenBLAS, 2-core CPU). */
const REFERENCE: Array<{ workload: string; implementation: RegExp; text: string }> = [
  { workload: "train tutorial", implementation: /./, text: "4,873 samples/s" },
  { workload: "train classic", implementation: /./, text: "37 samples/s" },
  { workload: "generate tutorial", implementation: /^stateful, carried/, text: "8,227 notes/s" },
  { workload: "generate classic", implementation: /^window re-feed/, text: "17 tokens/s" },
  { workload: "generate classic", implementation: /^stateful, carried/, text: "779 tokens/s" },
];

const GROUPS = ["tutorial", "classic", "generate", "parse", "memory"] as const;

// ---------------------------------------------------------------------------------------
// Child side: one workload.

/** Peak resident set size of this process (VmHWM), MiB; `null` where /proc is missing. */
function ownPeakRssMiB(): number | null {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A backend label of the plan: `wasm` runs one thread, `wasm, N threads` the threaded build. */
function threadedLabel(threads: number): string {
  return `wasm, ${threads} threads`;
}

async function useBackend(label: string): Promise<void> {
  const { selectBackend } = await import("../engine/backend.ts");
  const threaded = /^wasm, (\d+) threads$/.exec(label);
  if (threaded) {
    const choice = await selectBackend({ backend: "wasm", wasmThreads: Number(threaded[1]) });
    if (choice.wasmThreads !== Number(threaded[1])) {
      throw new Error(`wanted ${label}, got ${choice.wasmThreads} thread(s): ${choice.reason}`);
    }
    return;
  }
  await selectBackend({
    backend: label as "wasm" | "cpu" | "tensorflow",
    ...(label === "wasm" ? { wasmThreads: 1 } : {}),
  });
}

async function runTrain(c: TrainCase): Promise<ChildResult["entries"]> {
  const tf = await import("@tensorflow/tfjs");
  await useBackend(c.backend);
  const { mulberry32 } = await import("../engine/random.ts");
  const { lstmFactory } = await import("../engine/fused_lstm.ts");
  const random = mulberry32(1234);
  let model: import("@tensorflow/tfjs").LayersModel;
  let lossOf: (outputs: import("@tensorflow/tfjs").Tensor[]) => import("@tensorflow/tfjs").Scalar;
  let xs: import("@tensorflow/tfjs").Tensor;
  let what: string;
  let lossSpec: import("../engine/workers.ts").ParallelLossSpec;
  let ysAll: import("@tensorflow/tfjs").TensorContainer;
  if (c.model === "tutorial") {
    const { resolveTutorialConfig } = await import("../config/config.ts");
    const { buildTutorialModel } = await import("../tutorial/model.ts");
    const { tutorialLoss, tutorialLossSpec } = await import("../tutorial/model.ts");
    const config = resolveTutorialConfig({ lstm: c.impl, seed: 42 });
    const seq = config.dataset.seqLength;
    model = buildTutorialModel(config);
    const x = new Float32Array(c.batch * seq * 3);
    for (let i = 0; i < x.length; i += 3) {
      x[i] = Math.floor(random() * 128) / 128;
      x[i + 1] = random() * 0.5;
      x[i + 2] = random();
    }
    xs = tf.tensor3d(x, [c.batch, seq, 3]);
    const ys = {
      pitch: tf.tensor1d(
        Array.from({ length: c.batch }, () => Math.floor(random() * 128)),
        "int32",
      ),
      step: tf.tensor2d(Array.from({ length: c.batch }, () => random() * 0.5), [c.batch, 1]),
      duration: tf.tensor2d(Array.from({ length: c.batch }, () => random()), [c.batch, 1]),
    };
    const loss = tutorialLoss(config.model.lossWeights);
    lossOf = (outputs) => loss(ys, outputs).loss;
    lossSpec = tutorialLossSpec(config.model.lossWeights);
    ysAll = ys;
    what = `LSTM(${config.model.lstmUnits}), seq ${seq}`;
  } else {
    const { buildClassicModel, classicLoss, classicLossSpec } = await import("../classic/model.ts");
    const { classicPresetConfig } = await import("../config/classic_presets.ts");
    const vocab = 358;
    const preset = classicPresetConfig("classic");
    model = buildClassicModel(preset, {
      vocabSize: vocab,
      seed: 42,
      lstmLayer: lstmFactory(c.impl),
    });
    const seq = preset.sequenceLength;
    xs = tf.tensor3d(
      Array.from({ length: c.batch * seq }, () => Math.floor(random() * vocab) / vocab),
      [c.batch, seq, 1],
    );
    const ys = tf.tensor1d(
      Array.from({ length: c.batch }, () => Math.floor(random() * vocab)),
      "int32",
    );
    lossOf = (outputs) => classicLoss(ys, outputs[0]);
    lossSpec = classicLossSpec();
    ysAll = ys;
    what = `3 x LSTM(512), seq ${seq}, vocab ${vocab}, ${model.countParams()} parameters`;
  }
  const optimizer = model.optimizer!;
  const workers = c.workers ?? 1;
  const { createParallelGradients } = await import("../engine/workers.ts");
  const parallel = workers > 1
    ? await createParallelGradients(model, { workers, loss: lossSpec })
    : null;
  const parallelStep = async () => {
    const parts = await parallel!.step(optimizer, xs, ysAll);
    parts.loss.dataSync();
    tf.dispose(Object.values(parts));
  };
  const singleStep = () => {
    const cost = optimizer.minimize(() => {
      const out = model.apply(xs, { training: true }) as
        | import("@tensorflow/tfjs").Tensor
        | import("@tensorflow/tfjs").Tensor[];
      return lossOf(Array.isArray(out) ? out : [out]);
    }, true)!;
    cost.dataSync();
    cost.dispose();
  };
  const step = () => parallel ? parallelStep() : singleStep();
  const warmupSec: number[] = [];
  for (let i = 0; i < c.warmup; i++) {
    const t0 = performance.now();
    await step();
    warmupSec.push((performance.now() - t0) / 1000);
  }
  const timed: number[] = [];
  const start = performance.now();
  while (timed.length < c.maxTimed) {
    const t0 = performance.now();
    await step();
    timed.push((performance.now() - t0) / 1000);
    const spent = (performance.now() - start) / 1000;
    if (spent + median(timed) > c.budgetSec) break;
  }
  parallel?.close();
  const perBatch = median(timed);
  return [{
    workload: `train ${c.model}`,
    backend: c.backend,
    implementation: workers > 1 ? `${c.impl}, ${workers} workers` : c.impl,
    figure: "training throughput",
    unit: "samples/s",
    value: c.batch / perBatch,
    status: "ok",
    notes: `${what}; batch ${c.batch}; median of ${timed.length} timed batch(es) ` +
      `(${perBatch.toFixed(3)} s each) after ${c.warmup} warm-up` +
      (warmupSec.length ? ` (first ${warmupSec[0].toFixed(2)} s)` : ""),
  }];
}

async function runGenerate(c: GenerateCase): Promise<ChildResult["entries"]> {
  await useBackend(c.backend);
  const { lstmFactory } = await import("../engine/fused_lstm.ts");
  const { mulberry32 } = await import("../engine/random.ts");
  const entries: ChildResult["entries"] = [];
  const random = mulberry32(99);
  const models = new Map<string, import("@tensorflow/tfjs").LayersModel>();
  const unit = c.model === "tutorial" ? "notes/s" : "tokens/s";
  let seqLength = 0;
  const getModel = async (impl: "fused" | "layers") => {
    if (!models.has(impl)) {
      if (c.model === "tutorial") {
        const { resolveTutorialConfig } = await import("../config/config.ts");
        const { buildTutorialModel } = await import("../tutorial/model.ts");
        const config = resolveTutorialConfig({ lstm: impl, seed: 42 });
        seqLength = config.dataset.seqLength;
        models.set(impl, buildTutorialModel(config, { compile: false }));
      } else {
        const { buildClassicModel } = await import("../classic/model.ts");
        const model = buildClassicModel("classic", {
          vocabSize: 358,
          seed: 42,
          lstmLayer: lstmFactory(impl),
          compile: false,
        });
        seqLength = model.inputs[0].shape[1]!;
        models.set(impl, model);
      }
    }
    return models.get(impl)!;
  };
  const label = (v: GenerateVariant) =>
    v.method === "window"
      ? `window re-feed (${v.impl})`
      : v.method === "carried"
      ? "stateful, carried state"
      : "stateful, exact window";
  const seedNotes = Array.from({ length: 25 }, () => ({
    pitch: 48 + Math.floor(random() * 36),
    step: Math.floor(random() * 4) * 0.125,
    duration: 0.125 + Math.floor(random() * 4) * 0.125,
  }));
  const seedIds = Array.from({ length: 100 }, () => Math.floor(random() * 358));
  /** Runs one generation; returns the outputs and the time of each produced note. */
  const generate = async (v: GenerateVariant, count: number) => {
    const model = await getModel(v.impl);
    const times: number[] = [];
    const t0 = performance.now();
    let picks: number[];
    if (c.model === "tutorial") {
      const { generateNotes, generateNotesStateful } = await import("../tutorial/sample.ts");
      const options = {
        count,
        seed: 7,
        temperature: 2,
        onNote: () => void times.push(performance.now()),
      };
      const notes = v.method === "window"
        ? generateNotes(model, seedNotes, options)
        : generateNotesStateful(model, seedNotes, {
          ...options,
          memory: v.method === "exact" ? "window" : "carried",
        });
      picks = notes.map((n) => n.pitch);
    } else {
      const { generateTokens, generateTokensStateful } = await import("../classic/sample.ts");
      const options = {
        steps: count,
        seed: 7,
        temperature: 0.8,
        onToken: () => void times.push(performance.now()),
      };
      picks = v.method === "window"
        ? generateTokens(model, seedIds, options)
        : generateTokensStateful(model, seedIds, {
          ...options,
          memory: v.method === "exact" ? "window" : "carried",
        });
    }
    return { picks, times, t0 };
  };
  for (const v of c.variants) {
    await generate(v, 2); // compiles kernels, JIT
    const { picks, times, t0 } = await generate(v, v.count);
    const rate = (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000);
    let notes = `${v.count} ${unit.split("/")[0]} after a seed window of ${seqLength}; ` +
      `rate between the first and the last; first after ${(times[0] - t0).toFixed(0)} ms`;
    if (v.method === "carried") {
      notes += "; same picks as the window method: first only (the state remembers older notes)";
    }
    if (v.method === "exact") {
      const reference = await generate({ ...v, method: "window" }, Math.min(v.count, 30));
      const same = reference.picks.every((p, i) => p === picks[i]);
      notes += `; first ${reference.picks.length} picks ${
        same ? "identical to" : "DIFFER from"
      } the window method's`;
    }
    entries.push({
      workload: `generate ${c.model}`,
      backend: c.backend,
      implementation: label(v),
      figure: "generation speed",
      unit,
      value: rate,
      status: "ok",
      notes,
    });
  }
  return entries;
}

async function runParse(c: ParseCase): Promise<ChildResult["entries"]> {
  const { listMidiFiles, loadMidiFolder } = await import("../music/midi.ts");
  const paths = listMidiFiles(c.corpus);
  const pass = () => {
    const t0 = performance.now();
    const folder = loadMidiFolder(c.corpus);
    const sec = (performance.now() - t0) / 1000;
    const notes = folder.files.reduce((n, f) => n + f.notes.length, 0);
    return { sec, notes, skipped: folder.skipped.length };
  };
  const first = pass();
  const second = pass();
  const common = `${paths.length} files (${first.skipped} skipped), ${first.notes} notes in ` +
    `${c.corpus}; first pass ${first.sec.toFixed(2)} s, second ${second.sec.toFixed(2)} s ` +
    `(figure: first pass, reading included)`;
  return [
    {
      workload: "parse midi",
      backend: "-",
      implementation: "loadMidiFolder",
      figure: "parsing speed",
      unit: "files/s",
      value: paths.length / first.sec,
      status: "ok",
      notes: common,
    },
    {
      workload: "parse midi",
      backend: "-",
      implementation: "loadMidiFolder",
      figure: "parsing speed",
      unit: "notes/s",
      value: first.notes / first.sec,
      status: "ok",
      notes: common,
    },
  ];
}

async function runMemory(c: MemoryCase): Promise<ChildResult["entries"]> {
  await useBackend("wasm");
  const tf = await import("@tensorflow/tfjs");
  const rss = () => Deno.memoryUsage().rss / MIB;
  let peakSampled = rss();
  const sample = () => (peakSampled = Math.max(peakSampled, rss()));
  const t0 = performance.now();
  let windows = 0;
  let units = 0;
  let batches = 0;
  let dataset: import("@tensorflow/tfjs").data.Dataset<import("@tensorflow/tfjs").TensorContainer>;
  if (c.family === "tutorial") {
    const { loadMidiFolder } = await import("../music/midi.ts");
    const { tutorialDataset, tutorialWindows } = await import("../tutorial/windows.ts");
    const folder = loadMidiFolder(c.corpus);
    const files = [];
    for (let r = 0; r < c.factor; r++) {
      for (const f of folder.files) {
        files.push({ path: `${f.path}#${r}`, notes: f.notes.map((n) => ({ ...n })) });
        units += f.notes.length;
      }
      sample();
    }
    const index = tutorialWindows(files, { seqLength: 25 });
    windows = index.count;
    dataset = tutorialDataset(index, { batchSize: 64, seed: 1 });
  } else {
    const { loadTokenFolder } = await import("../music/tokens.ts");
    const { buildVocabulary, encodeTokens } = await import("../music/vocabulary.ts");
    const { classicDataset, classicWindowIndex } = await import("../classic/windows.ts");
    const folder = loadTokenFolder(c.corpus);
    const tokenFiles: string[][] = [];
    for (let r = 0; r < c.factor; r++) {
      for (const f of folder.files) {
        tokenFiles.push(f.tokens.slice());
        units += f.tokens.length;
      }
      sample();
    }
    const vocab = buildVocabulary(tokenFiles);
    const ids = tokenFiles.map((t) => encodeTokens(vocab, t));
    sample();
    const index = classicWindowIndex(ids, { vocabSize: vocab.tokens.length, sequenceLength: 100 });
    windows = index.count;
    dataset = classicDataset(index, { batchSize: 64, seed: 1 });
  }
  sample();
  const prepared = (performance.now() - t0) / 1000;
  const it = await dataset.iterator();
  const t1 = performance.now();
  let stopped = false;
  while (true) {
    const next = await it.next();
    if (next.done) break;
    tf.dispose(next.value as import("@tensorflow/tfjs").TensorContainer);
    if (++batches % 256 === 0) {
      sample();
      if ((performance.now() - t1) / 1000 > c.budgetSec) {
        stopped = true;
        break;
      }
    }
  }
  sample();
  const iterSec = (performance.now() - t1) / 1000;
  const what = c.family === "tutorial" ? "notes" : "tokens";
  return [{
    workload: `prepare ${c.family} dataset`,
    backend: "wasm",
    implementation: c.family === "tutorial" ? "tutorialDataset" : "classicDataset",
    figure: `peak RSS, corpus x${c.factor}`,
    unit: "MiB",
    value: null, // filled in from the process's peak below
    status: "ok",
    notes: `${units} ${what} (the folder ${c.factor} times, fresh copies in memory), ` +
      `${windows} windows, loaded and indexed in ${prepared.toFixed(1)} s; ${batches} batches ` +
      `of 64 ${stopped ? `in the first ${iterSec.toFixed(0)} s (stopped early)` : "(one epoch)"}` +
      ` at ${(batches / iterSec).toFixed(0)} batches/s; sampled RSS peak ` +
      `${peakSampled.toFixed(0)} MiB`,
  }];
}

async function runChild(c: Case): Promise<void> {
  let entries: ChildResult["entries"];
  if (c.kind === "train") entries = await runTrain(c);
  else if (c.kind === "generate") entries = await runGenerate(c);
  else if (c.kind === "parse") entries = await runParse(c);
  else entries = await runMemory(c);
  const peakRssMiB = ownPeakRssMiB();
  for (const e of entries) {
    if (e.unit !== "MiB" || e.value !== null) continue;
    e.value = peakRssMiB;
    if (peakRssMiB !== null) {
      e.notes += `; the issue's target, under ${MEMORY_TARGET_MIB} MiB: ${
        peakRssMiB < MEMORY_TARGET_MIB ? "met" : "NOT met"
      }`;
    }
  }
  const result: ChildResult = { entries, peakRssMiB };
  console.log(RESULT_MARK + JSON.stringify(result));
}

// ---------------------------------------------------------------------------------------
// Parent side: the plan, the children, the report.

/** A planned child run: the case, what to call it, and its time limit. */
interface Job {
  group: (typeof GROUPS)[number];
  c: Case;
  label: string;
  limitSec: number;
  /** Entries to report when the child does not finish. */
  onFail: Omit<Entry, "value" | "status" | "notes" | "peakRssMiB">[];
}

function plan(quick: boolean, backends: string[], corpus: string, workers = 1): Job[] {
  const jobs: Job[] = [];
  const train = (
    model: "tutorial" | "classic",
    backend: string,
    impl: "fused" | "layers",
    batch: number,
    warmup: number,
    maxTimed: number,
    budgetSec: number,
    limitSec: number,
    n = 1,
  ) =>
    jobs.push({
      group: model,
      c: {
        kind: "train",
        model,
        backend,
        impl,
        batch,
        warmup,
        maxTimed,
        budgetSec,
        ...(n > 1 ? { workers: n } : {}),
      },
      label: `train ${model} ${backend} ${impl}${n > 1 ? `, ${n} workers` : ""} (batch ${batch})`,
      limitSec,
      onFail: [{
        workload: `train ${model}`,
        backend,
        implementation: n > 1 ? `${impl}, ${n} workers` : impl,
        figure: "training throughput",
        unit: "samples/s",
      }],
    });
  const implsOf = (backend: string) =>
    backend.startsWith("wasm, ") ? ["fused"] as const : ["fused", "layers"] as const;
  for (const backend of backends) {
    const cpu = backend === "cpu";
    for (const impl of implsOf(backend)) {
      const slow = cpu || impl === "layers";
      // Batches of the fast combinations take ~25 ms and vary with thread scheduling: the
      // median of 100 is stable to a few percent.
      if (quick) train("tutorial", backend, impl, 64, 1, 2, 5, 120);
      else train("tutorial", backend, impl, 64, slow ? 1 : 5, slow ? 30 : 100, slow ? 12 : 15, 150);
    }
    if (workers > 1 && backend === "wasm") {
      if (quick) train("tutorial", backend, "fused", 64, 1, 2, 5, 120, workers);
      else train("tutorial", backend, "fused", 64, 3, 30, 15, 150, workers);
    }
  }
  for (const backend of backends) {
    const cpu = backend === "cpu";
    for (const impl of implsOf(backend)) {
      // cpu: one batch of 8 (a batch of 64 would take minutes); layers: one batch, capped.
      const batch = cpu || quick ? 8 : 64;
      const limit = quick ? 90 : impl === "layers" ? (cpu ? 60 : 90) : (cpu ? 90 : 150);
      const warmup = !quick && !cpu && impl === "fused" ? 1 : 0;
      const timed = !quick && !cpu && impl === "fused" ? 3 : 1;
      train("classic", backend, impl, batch, warmup, timed, 30, limit);
    }
    if (workers > 1 && backend === "wasm") {
      train(
        "classic",
        backend,
        "fused",
        quick ? 8 : 64,
        quick ? 0 : 1,
        quick ? 1 : 3,
        30,
        quick ? 90 : 150,
        workers,
      );
    }
  }
  for (const backend of backends) {
    const cpu = backend === "cpu";
    const q = (n: number) => quick ? Math.min(n, 5) : n;
    const layers = !backend.startsWith("wasm, ");
    const tutorial: GenerateVariant[] = [
      { method: "window", impl: "fused", count: q(cpu ? 100 : 300) },
      ...(layers ? [{ method: "window", impl: "layers", count: q(cpu ? 30 : 100) } as const] : []),
      { method: "carried", impl: "fused", count: q(3000) },
      { method: "exact", impl: "fused", count: q(cpu ? 300 : 1000) },
    ];
    const classic: GenerateVariant[] = [
      { method: "window", impl: "fused", count: q(cpu ? 3 : 15) },
      ...(layers ? [{ method: "window", impl: "layers", count: q(cpu ? 2 : 5) } as const] : []),
      { method: "carried", impl: "fused", count: q(cpu ? 50 : 300) },
    ];
    // The exact window costs the window method's arithmetic: on cpu its warm-up alone is
    // about half a minute.
    if (!cpu) classic.push({ method: "exact", impl: "fused", count: q(10) });
    for (const [model, variants] of [["tutorial", tutorial], ["classic", classic]] as const) {
      jobs.push({
        group: "generate",
        c: { kind: "generate", model, backend, variants: [...variants] },
        label: `generate ${model} ${backend}`,
        limitSec: quick ? 120 : 200,
        onFail: variants.map((v) => ({
          workload: `generate ${model}`,
          backend,
          implementation: v.method === "window"
            ? `window re-feed (${v.impl})`
            : v.method === "carried"
            ? "stateful, carried state"
            : "stateful, exact window",
          figure: "generation speed",
          unit: model === "tutorial" ? "notes/s" : "tokens/s",
        })),
      });
    }
  }
  jobs.push({
    group: "parse",
    c: { kind: "parse", corpus },
    label: `parse ${corpus}`,
    limitSec: 120,
    onFail: ["files/s", "notes/s"].map((unit) => ({
      workload: "parse midi",
      backend: "-",
      implementation: "loadMidiFolder",
      figure: "parsing speed",
      unit,
    })),
  });
  for (const family of ["tutorial", "classic"] as const) {
    jobs.push({
      group: "memory",
      c: { kind: "memory", family, corpus, factor: 10, budgetSec: quick ? 5 : 45 },
      label: `prepare ${family} dataset x10`,
      limitSec: 180,
      onFail: [{
        workload: `prepare ${family} dataset`,
        backend: "wasm",
        implementation: family === "tutorial" ? "tutorialDataset" : "classicDataset",
        figure: "peak RSS, corpus x10",
        unit: "MiB",
      }],
    });
  }
  return jobs;
}

/** VmHWM of a running process, MiB, or `null`. */
function peakOf(pid: number): number | null {
  try {
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** Runs one job in a child process and turns what happened into entries. */
async function runJob(job: Job, script: string, root: string): Promise<Entry[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--case", JSON.stringify(job.c)],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed = false;
  let polledPeak: number | null = null;
  const poll = setInterval(() => {
    polledPeak = Math.max(polledPeak ?? 0, peakOf(child.pid) ?? 0) || polledPeak;
  }, 250);
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, job.limitSec * 1000);
  const t0 = performance.now();
  const output = await child.output();
  clearTimeout(timer);
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARK));
  if (output.success && line) {
    const result = JSON.parse(line.slice(RESULT_MARK.length)) as ChildResult;
    const peak = result.peakRssMiB ?? polledPeak;
    return result.entries.map((e) => ({ ...e, peakRssMiB: peak }));
  }
  const lastLines = stderr.trim().split("\n").filter((l) => l.trim() !== "").slice(-3)
    .join(" | ").slice(0, 300);
  let status = "error";
  let notes: string;
  if (killed) {
    status = "too slow";
    notes = `stopped after the ${job.limitSec} s limit without finishing`;
  } else if (
    /out of memory|\bOOM\b|Cannot enlarge memory|allocation failed|Aborted\(/i.test(stderr) ||
    output.signal === "SIGKILL"
  ) {
    status = "out of memory";
    notes = `ran out of memory after ${seconds.toFixed(0)} s: ${lastLines}`;
  } else {
    notes = `exit ${output.code}${output.signal ? ` (${output.signal})` : ""}: ${lastLines}`;
  }
  return job.onFail.map((f) => ({ ...f, value: null, status, notes, peakRssMiB: polledPeak }));
}

function formatValue(e: Entry): string {
  if (e.value === null) return "—";
  const digits = e.value >= 100 ? 0 : e.value >= 10 ? 1 : 2;
  return e.value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** The value and its unit, or the placeholder alone when there is no value. */
function valueWithUnit(e: Entry): string {
  return e.value === null ? formatValue(e) : `${formatValue(e)} ${e.unit}`;
}

function reference(e: Entry): string {
  return REFERENCE.find((r) => r.workload === e.workload && r.implementation.test(e.implementation))
    ?.text ?? "";
}

/** The markdown report. */
function markdown(entries: Entry[], machine: Record<string, string>, date: string): string {
  const rows = entries.map((e) => [
    e.workload,
    e.backend,
    e.implementation,
    valueWithUnit(e),
    e.status,
    e.peakRssMiB === null ? "" : e.peakRssMiB.toFixed(0),
    reference(e),
    e.notes.replaceAll("|", "/"),
  ]);
  const header = [
    "workload",
    "backend",
    "implementation",
    "value",
    "status",
    "peak RSS (MiB)",
    "reference*",
    "notes",
  ];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    `# Benchmark, ${date}`,
    "",
    ...Object.entries(machine).map(([k, v]) => `- ${k}: ${v}`),
    "",
    line(header),
    line(header.map(() => "---")),
    ...rows.map(line),
    "",
    "\\* reference: PyTorch 1.13 (OpenBLAS) on a 2-core CPU, as quoted in the issue; not " +
    "measured here (PyTorch cannot be installed on this machine).",
    "",
  ].join("\n");
}

/** A compact table for the terminal. */
function terminalTable(entries: Entry[]): string {
  const rows = entries.map((e) => [
    e.workload,
    e.backend,
    e.implementation,
    valueWithUnit(e),
    e.status,
    e.peakRssMiB === null ? "" : `${e.peakRssMiB.toFixed(0)} MiB`,
    reference(e),
  ]);
  const header = ["workload", "backend", "impl / method", "value", "status", "peak RSS", "ref*"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
}

async function machineInfo(): Promise<Record<string, string>> {
  const tf = await import("@tensorflow/tfjs");
  let cpu = "unknown";
  try {
    cpu = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? cpu;
  } catch { /* not Linux */ }
  const mem = Deno.systemMemoryInfo();
  return {
    date: new Date().toISOString(),
    os: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
    cpu: `${cpu}, ${navigator.hardwareConcurrency} logical cores`,
    memory: `${(mem.total / MIB / 1024).toFixed(1)} GiB`,
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
    tfjs: tf.version.tfjs,
  };
}

async function tensorflowAvailable(): Promise<string | null> {
  const { selectBackend } = await import("../engine/backend.ts");
  try {
    await selectBackend({ backend: "tensorflow" });
    return null;
  } catch (e) {
    return (e as Error).message.split(". ")[0];
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      corpus: { type: "string" },
      out: { type: "string", default: "out/bench" },
      case: { type: "string" },
      workers: { type: "string", default: "1" },
      threads: { type: "string", default: "auto" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.case) return await runChild(JSON.parse(values.case) as Case);
  if (values.help) {
    console.log(
      "deno run -A lib/commands/bench.ts [--quick] [--only " + GROUPS.join(",") +
        "] [--corpus DIR] [--out DIR] [--workers N] [--threads N|auto]",
    );
    return;
  }
  const only = values.only ? values.only.split(",").map((s) => s.trim()) : [...GROUPS];
  const unknown = only.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length > 0) {
    throw new Error(`--only: expected some of ${GROUPS.join(",")}, got ${unknown.join(",")}`);
  }
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`--workers: expected an integer >= 1, got ${values.workers}`);
  }
  const corpus = resolve(values.corpus ?? Deno.env.get("MIDI_CORPUS_DIR") ?? "data/tunes");
  const script = fileURLToPath(import.meta.url);
  const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
  const needsTf = only.some((g) => g !== "parse");
  const machine = await machineInfo();
  const date = machine.date;
  const threads = values.threads === "auto"
    ? Math.min(4, navigator.hardwareConcurrency ?? 1)
    : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`--threads: expected "auto" or an integer >= 1, got ${values.threads}`);
  }
  const backends = threads > 1 ? [threadedLabel(threads), "wasm", "cpu"] : ["wasm", "cpu"];
  const entries: Entry[] = [];
  if (needsTf) {
    const why = await tensorflowAvailable();
    if (why === null) backends.unshift("tensorflow");
    else {
      entries.push({
        workload: "all",
        backend: "tensorflow",
        implementation: "-",
        figure: "-",
        unit: "-",
        value: null,
        status: "unavailable",
        notes: why,
        peakRssMiB: null,
      });
    }
  }
  const load = () => Deno.loadavg().map((l) => l.toFixed(2)).join(", ");
  machine["load average (1, 5, 15 min) at start"] = load();
  machine.mode = values.quick ? "quick (smoke test: figures not meaningful)" : "full";
  machine.corpus = corpus;
  const jobs = plan(values.quick, backends, corpus, workers).filter((j) => only.includes(j.group));
  console.log(`benchmark: ${jobs.length} workloads, ${machine.cpu}, load ${load()}`);
  const started = performance.now();
  for (const job of jobs) {
    const t0 = performance.now();
    const result = await runJob(job, script, root);
    entries.push(...result);
    const summary = result.map((e) =>
      e.status === "ok" ? `${formatValue(e)} ${e.unit}` : `${e.status}`
    ).join(", ");
    console.log(
      `  ${job.label}: ${summary} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  machine["load average (1, 5, 15 min) at end"] = load();
  machine["total time"] = `${((performance.now() - started) / 1000).toFixed(0)} s`;
  const outDir = resolve(values.out!);
  await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeTextFile(
    join(outDir, "latest.json"),
    JSON.stringify({ date, machine, entries }, null, 2) + "\n",
  );
  await Deno.writeTextFile(join(outDir, "latest.md"), markdown(entries, machine, date));
  console.log("");
  console.log(terminalTable(entries));
  console.log("");
  console.log("* reference: PyTorch 1.13 on a 2-core CPU, quoted by the issue (not measured here)");
  console.log(`wrote ${join(outDir, "latest.json")} and ${join(outDir, "latest.md")}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
