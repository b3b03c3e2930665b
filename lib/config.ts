/**
 * One typed configuration per run. It is resolved once (defaults filled in, quick mode
 * applied, values checked) and saved as `config.json` beside the run's weights, so a run
 * can be repeated or regenerated from its folder alone.
 *
 * @module
 */

/** The settings of one tutorial-family run. */
export interface TutorialConfig {
  family: "tutorial";
  /** Name of the run; its files go to `weights/<run>/`. */
  run: string;
  /** Seed for weight initialisation, the split, shuffling, the seed window and sampling. */
  seed: number;
  data: {
    /** Folder searched recursively for `.mid` / `.midi` files. */
    dir: string;
    /** Instrument read from each file: a track index, `"first"` or `"all"`. */
    instrument: number | "first" | "all";
    /** Read at most this many files (`null`: all). */
    maxFiles: number | null;
    /** Share of files held out for validation. */
    validationFraction: number;
  };
  dataset: {
    /** Notes per input window. */
    seqLength: number;
    /** Input pitches are divided by this. */
    pitchScale: number;
    batchSize: number;
    /** Shuffle buffer in windows. */
    shuffleBuffer: number;
  };
  model: {
    lstmUnits: number;
    learningRate: number;
    /** Weights of the pitch, step and duration losses. */
    lossWeights: { pitch: number; step: number; duration: number };
    /** LSTM implementation: `"layers"` is tf.layers.lstm; `"fused"` the project's fused layer. */
    lstm: "layers" | "fused";
  };
  train: {
    epochs: number;
    /** Early stopping: epochs without improvement before stopping. */
    patience: number;
    /** Value watched by checkpoints and early stopping. */
    monitor: "loss" | "val_loss";
    /** Checkpoint folder name; `{epoch}` and `{loss}` are filled in. */
    checkpointTemplate: string;
    /** Training stops after this many batches per epoch (`null`: all). */
    maxBatchesPerEpoch: number | null;
  };
  generate: {
    /** Notes to generate. */
    notes: number;
    /** Softmax temperature of pitch sampling; above 1 is more adventurous. */
    temperature: number;
    /** Tempo written to the MIDI file. */
    bpm: number;
    /** General MIDI program (0 = Acoustic Grand Piano). */
    program: number;
  };
  /** `"auto"` picks tensorflow, then wasm, then cpu. */
  backend: "auto" | "tensorflow" | "wasm" | "cpu";
}

/** Any value nested inside a config, made optional for overrides. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** The tutorial family's defaults (the source tutorial's values where it has them). */
export function defaultTutorialConfig(): TutorialConfig {
  return {
    family: "tutorial",
    run: "tutorial",
    seed: 42,
    data: { dir: "data/tunes", instrument: "first", maxFiles: null, validationFraction: 0.1 },
    dataset: { seqLength: 25, pitchScale: 128, batchSize: 64, shuffleBuffer: 10000 },
    model: {
      lstmUnits: 128,
      learningRate: 0.005,
      lossWeights: { pitch: 0.05, step: 1, duration: 1 },
      lstm: "layers",
    },
    train: {
      epochs: 50,
      patience: 5,
      monitor: "loss",
      checkpointTemplate: "ckpt-{epoch:02d}-{loss:.4f}",
      maxBatchesPerEpoch: null,
    },
    generate: { notes: 120, temperature: 2.0, bpm: 120, program: 0 },
    backend: "auto",
  };
}

/** Options for {@linkcode resolveTutorialConfig}. */
export interface ResolveConfigOptions {
  /**
   * Quick mode: few epochs and batches so a whole run takes seconds (used by the notebooks
   * in CI via `NOTEBOOK_QUICK=1`).
   * @default {false}
   */
  quick?: boolean;
}

function merge<T>(base: T, over: DeepPartial<T> | undefined, path: string): T {
  if (over === undefined) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (!(k in out)) throw new Error(`config: unknown setting ${path}${k}`);
    const cur = out[k];
    out[k] = cur !== null && typeof cur === "object" && v !== null && typeof v === "object"
      ? merge(cur, v as DeepPartial<typeof cur>, `${path}${k}.`)
      : v;
  }
  return out as T;
}

function check(ok: boolean, setting: string, expected: string, got: unknown): void {
  if (!ok) throw new Error(`config: ${setting}: expected ${expected}, got ${JSON.stringify(got)}`);
}

const isPositiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

/**
 * Fills in defaults, applies quick mode and checks every value. The input is not changed.
 *
 * @throws {Error} naming the setting when a value is unknown or out of range
 */
export function resolveTutorialConfig(
  overrides: DeepPartial<TutorialConfig> = {},
  options: ResolveConfigOptions = {},
): TutorialConfig {
  const c = merge(defaultTutorialConfig(), overrides, "");
  if (options.quick) {
    c.train.epochs = Math.min(c.train.epochs, 2);
    c.train.maxBatchesPerEpoch = Math.min(c.train.maxBatchesPerEpoch ?? 20, 20);
    c.generate.notes = Math.min(c.generate.notes, 40);
  }
  check(c.family === "tutorial", "family", '"tutorial"', c.family);
  check(Number.isInteger(c.seed), "seed", "an integer", c.seed);
  check(
    isPositiveInt(c.dataset.seqLength),
    "dataset.seqLength",
    "a positive integer",
    c.dataset.seqLength,
  );
  check(
    isPositiveInt(c.dataset.batchSize),
    "dataset.batchSize",
    "a positive integer",
    c.dataset.batchSize,
  );
  check(
    isPositiveInt(c.model.lstmUnits),
    "model.lstmUnits",
    "a positive integer",
    c.model.lstmUnits,
  );
  check(c.model.learningRate > 0, "model.learningRate", "a number above 0", c.model.learningRate);
  check(
    ["layers", "fused"].includes(c.model.lstm),
    "model.lstm",
    '"layers" or "fused"',
    c.model.lstm,
  );
  check(isPositiveInt(c.train.epochs), "train.epochs", "a positive integer", c.train.epochs);
  check(
    Number.isInteger(c.train.patience) && c.train.patience >= 0,
    "train.patience",
    "an integer >= 0",
    c.train.patience,
  );
  check(
    ["loss", "val_loss"].includes(c.train.monitor),
    "train.monitor",
    '"loss" or "val_loss"',
    c.train.monitor,
  );
  check(isPositiveInt(c.generate.notes), "generate.notes", "a positive integer", c.generate.notes);
  check(
    c.generate.temperature > 0,
    "generate.temperature",
    "a number above 0",
    c.generate.temperature,
  );
  check(
    ["auto", "tensorflow", "wasm", "cpu"].includes(c.backend),
    "backend",
    '"auto", "tensorflow", "wasm" or "cpu"',
    c.backend,
  );
  return c;
}
