/**
 * The benchmark's data workloads (`bench.ts`): MIDI parsing speed, and the peak memory of
 * preparing the training data of a corpus 10 times a folder.
 *
 * @module
 */
import {
  type ChildResult,
  type MemoryCase,
  MIB,
  type ParseCase,
  useBackend,
} from "./_bench_common.ts";
import { type Family, FAMILY_UNITS } from "../config/config.ts";

/**
 * MIDI parsing speed over a corpus folder (files/s and notes/s of a first, uncached pass).
 *
 * @returns two entries
 */
export async function runParse(c: ParseCase): Promise<ChildResult["entries"]> {
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

type Dataset = import("@tensorflow/tfjs").data.Dataset<import("@tensorflow/tfjs").TensorContainer>;

/** A family's training data for the memory workload: its counts and its `tf.data` pipeline. */
interface MemoryData {
  windows: number;
  units: number;
  dataset: Dataset;
}

/** How each family's memory workload builds its data (`sample` records the RSS). */
const MEMORY_DATA: Record<Family, (c: MemoryCase, sample: () => void) => Promise<MemoryData>> = {
  tutorial: async (c, sample) => {
    const { loadMidiFolder } = await import("../music/midi.ts");
    const { tutorialDataset, tutorialWindows } = await import("../tutorial/windows.ts");
    const folder = loadMidiFolder(c.corpus);
    const files = [];
    let units = 0;
    for (let r = 0; r < c.factor; r++) {
      for (const f of folder.files) {
        files.push({ path: `${f.path}#${r}`, notes: f.notes.map((n) => ({ ...n })) });
        units += f.notes.length;
      }
      sample();
    }
    const index = tutorialWindows(files, { sequenceLength: 25 });
    const dataset = tutorialDataset(index, { batchSize: 64, seed: 1 });
    return { windows: index.count, units, dataset };
  },
  classic: async (c, sample) => {
    const { loadTokenFolder } = await import("../music/tokens.ts");
    const { buildVocabulary, encodeTokens } = await import("../music/vocabulary.ts");
    const { classicDataset, classicWindows } = await import("../classic/windows.ts");
    const folder = loadTokenFolder(c.corpus);
    const tokenFiles: string[][] = [];
    let units = 0;
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
    const index = classicWindows(ids, { vocabSize: vocab.tokens.length, sequenceLength: 100 });
    // As a run shuffles: every window in one buffer.
    const dataset = classicDataset(index, { batchSize: 64, seed: 1 });
    return { windows: index.count, units, dataset };
  },
};

/**
 * Peak memory of preparing a family's training data from the corpus `c.factor` times, and
 * iterating it; the entry's value is filled in from the process's peak by the caller.
 *
 * @returns one entry
 */
export async function runMemory(c: MemoryCase): Promise<ChildResult["entries"]> {
  await useBackend("wasm");
  const tf = await import("@tensorflow/tfjs");
  const rss = () => Deno.memoryUsage().rss / MIB;
  let peakSampled = rss();
  const sample = () => (peakSampled = Math.max(peakSampled, rss()));
  const t0 = performance.now();
  let batches = 0;
  const { windows, units, dataset } = await MEMORY_DATA[c.family](c, sample);
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
  const what = FAMILY_UNITS[c.family].units;
  return [{
    workload: `prepare ${c.family} dataset`,
    backend: "wasm",
    implementation: `${c.family}Dataset`,
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
