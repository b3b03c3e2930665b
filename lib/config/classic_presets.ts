/**
 * The classic family's model presets and their settings: one per model of the sources, named
 * after what it is, and a small one for a CPU.
 *
 * All take input `[batch, sequenceLength, 1]` (token ids divided by the vocabulary size) and
 * give `[batch, vocab]` probabilities; "Dense(vocab) -> softmax" ends every one. Parameter
 * counts are Keras' `model.summary()` totals for a vocabulary of 358 tokens (the sources'
 * 92 piano files):
 *
 * | preset | layers | optimiser, batch, epochs | parameters (358) | source |
 * | --- | --- | --- | --- | --- |
 * | `"lstm3x512-adam"` | LSTM(512) -> Dropout(0.3) -> LSTM(512) -> Dropout(0.3) -> LSTM(512) -> Dense(256) -> Dropout(0.3) | Adam, 64, 50 | 5,474,406 | `000_…` cells 3-4 |
 * | `"lstm256-512-256-rmsprop"` | LSTM(256) -> Dropout(0.3) -> LSTM(512) -> Dropout(0.3) -> LSTM(256) -> Dense(256) -> Dropout(0.3) | RMSprop, 64, 200 | 2,784,358 | `001_…` |
 * | `"lstm3x512-rmsprop"` | as `lstm3x512-adam` | RMSprop, 128, 100 | 5,474,406 | `002_…` |
 * | `"lstm3x512-batchnorm"` | LSTM(512, recurrent dropout 0.3) x 2 -> LSTM(512) -> BatchNorm -> Dropout(0.3) -> Dense(256) -> relu -> BatchNorm -> Dropout(0.3) | RMSprop, 128, 200 | 5,477,478 | `003_…` |
 * | `"lstm2x256-cpu"` | LSTM(256) -> Dropout(0.3) -> LSTM(256) -> Dense(256) -> Dropout(0.3), windows of 32 | RMSprop (rate 0.003), 32, 50 | 947,302 | this project's default, for demos and notebooks on a CPU |
 *
 * The sources' models read windows of 100 tokens and use Keras' default learning rate
 * (0.001) for both optimisers. `002_…` trained for 100 epochs, then continued for 200 more
 * from its best checkpoint (resume with `--epochs 300` to do the same).
 *
 * The older names `"classic"`, `"classic-bn"` and `"classic-small"` still load, as aliases
 * of `"lstm3x512-rmsprop"`, `"lstm3x512-batchnorm"` and `"lstm2x256-cpu"`. A config keeps
 * the name it was given (so a run saved under an older name resumes unchanged);
 * {@linkcode classicPresetInfo} gives the name it stands for.
 *
 * @module
 */
import { check, isPositiveInt, isRate } from "./_check.ts";

/** Name of a classic model preset. */
export type ClassicPresetName =
  | "lstm3x512-adam"
  | "lstm256-512-256-rmsprop"
  | "lstm3x512-rmsprop"
  | "lstm3x512-batchnorm"
  | "lstm2x256-cpu";

/** Older preset names, still accepted: see {@linkcode CLASSIC_PRESET_ALIASES}. */
export type ClassicPresetAlias = "classic" | "classic-bn" | "classic-small";

/** A preset as a config may name it: a preset name or an older alias. */
export type ClassicPreset = ClassicPresetName | ClassicPresetAlias;

/** Every preset name (aliases not included). */
export const CLASSIC_PRESETS: readonly ClassicPresetName[] = [
  "lstm3x512-adam",
  "lstm256-512-256-rmsprop",
  "lstm3x512-rmsprop",
  "lstm3x512-batchnorm",
  "lstm2x256-cpu",
];

/** The older preset names and the presets they stand for. */
export const CLASSIC_PRESET_ALIASES: Readonly<Record<ClassicPresetAlias, ClassicPresetName>> = {
  "classic": "lstm3x512-rmsprop",
  "classic-bn": "lstm3x512-batchnorm",
  "classic-small": "lstm2x256-cpu",
};

/** One LSTM layer of a classic model. */
export interface ClassicLstmSpec {
  /** Hidden units. */
  units: number;
  /** Dropout on the recurrent connections, 0..1 (0: none). */
  recurrentDropout: number;
  /** Rate of a Dropout layer after this LSTM, 0..1 (0: no layer). */
  dropoutAfter: number;
}

/** Everything that defines a classic model and how it is trained. */
export interface ClassicModelConfig {
  /** The preset these values came from, as it was named (an alias stays an alias). */
  preset: ClassicPreset;
  /** Tokens per input window. */
  sequenceLength: number;
  /** LSTM layers, input side first; all but the last return sequences. */
  lstm: ClassicLstmSpec[];
  /** BatchNormalization after the last LSTM. */
  batchNormAfterLstm: boolean;
  /** Rate of a Dropout layer before Dense(denseUnits), 0..1 (0: no layer). */
  dropoutBeforeDense: number;
  /** Units of the hidden Dense layer. */
  denseUnits: number;
  /** Activation of the hidden Dense layer. */
  denseActivation: "linear" | "relu";
  /** BatchNormalization after the hidden Dense layer (and its activation). */
  batchNormAfterDense: boolean;
  /** Rate of the Dropout layer after the hidden Dense layer, 0..1 (0: no layer). */
  dropoutAfterDense: number;
  /** Optimiser. */
  optimizer: "rmsprop" | "adam";
  /** Optimiser learning rate. */
  learningRate: number;
  /** Windows per training batch. */
  batchSize: number;
  /**
   * How a token enters the model: `"scaled"`, one number (its id divided by the vocabulary
   * size, as the sources do), or `"embedding"`, a learned vector per token
   * (`tf.layers.embedding`). See `ModelInput`.
   */
  input: ModelInput;
  /** Width of each token's learned vector with `input: "embedding"` (unused when scaled). */
  embeddingSize: number;
}

/**
 * How a pitch (tutorial) or token (classic) enters a model: `"scaled"`, one number per step
 * (pitch / 128, or id / vocabulary size: the sources' design, which puts neighbouring ids
 * next to each other as if they sounded alike), or `"embedding"`, a learned vector per pitch
 * or token (`tf.layers.embedding`), so the model learns which ones behave alike.
 */
export type ModelInput = "scaled" | "embedding";

/** The values of {@linkcode ModelInput}. */
export const MODEL_INPUTS: readonly ModelInput[] = ["scaled", "embedding"];

/** What a preset is, beyond its model values. */
export interface ClassicPresetInfo {
  /** The preset's own name (an alias resolved). */
  name: ClassicPresetName;
  /** Epochs the source trained for: the default of `train.epochs` with this preset. */
  epochs: number;
  /** Where the model comes from: a source document in `shared/seeds/`, or this project. */
  source: string;
}

const INFO: Readonly<Record<ClassicPresetName, Omit<ClassicPresetInfo, "name">>> = {
  "lstm3x512-adam": { epochs: 50, source: "000_ca526f19a6581fd8.txt (cells 3-4)" },
  "lstm256-512-256-rmsprop": { epochs: 200, source: "001_5296234e9a9b0be6.txt" },
  "lstm3x512-rmsprop": { epochs: 100, source: "002_2aa9fa1dc3c95270.txt" },
  "lstm3x512-batchnorm": { epochs: 200, source: "003_e406d640445c73c7.txt" },
  "lstm2x256-cpu": { epochs: 50, source: "this project (a CPU-sized classic model)" },
};

function presetError(name: string): Error {
  const names = CLASSIC_PRESETS.map((p) => JSON.stringify(p)).join(", ");
  const aliases = Object.keys(CLASSIC_PRESET_ALIASES).map((p) => JSON.stringify(p)).join(", ");
  return new Error(
    `model preset: expected one of ${names} (or an older name: ${aliases}), got ${
      JSON.stringify(name)
    }`,
  );
}

/**
 * The preset a name stands for (itself, or the preset an older alias names), with the
 * epochs and source it comes from.
 *
 * @throws {Error} naming the setting and the valid values when `name` is not a preset
 */
export function classicPresetInfo(name: string): ClassicPresetInfo {
  const own = Object.hasOwn(CLASSIC_PRESET_ALIASES, name)
    ? CLASSIC_PRESET_ALIASES[name as ClassicPresetAlias]
    : name as ClassicPresetName;
  if (!Object.hasOwn(INFO, own)) throw presetError(name);
  return { name: own, ...INFO[own] };
}

/**
 * The three-LSTM(512) stack of `000_…` and `002_…` (only the training settings differ), which
 * the other presets change where they differ.
 */
function stacked512(
  preset: ClassicPreset,
  training: Pick<ClassicModelConfig, "optimizer" | "batchSize">,
): ClassicModelConfig {
  return {
    preset,
    sequenceLength: 100,
    lstm: [
      { units: 512, recurrentDropout: 0, dropoutAfter: 0.3 },
      { units: 512, recurrentDropout: 0, dropoutAfter: 0.3 },
      { units: 512, recurrentDropout: 0, dropoutAfter: 0 },
    ],
    batchNormAfterLstm: false,
    dropoutBeforeDense: 0,
    denseUnits: 256,
    denseActivation: "linear",
    batchNormAfterDense: false,
    dropoutAfterDense: 0.3,
    learningRate: 0.001,
    // The sources feed each token as one number.
    input: "scaled",
    embeddingSize: 64,
    ...training,
  };
}

/**
 * The settings of a preset (a fresh copy each call); `preset` keeps the name as given, so
 * `classicPresetConfig("classic").preset` is `"classic"`.
 *
 * @param name a preset name or an older alias (see the module notes)
 * @throws {Error} naming the setting and the valid values when `name` is not a preset
 */
export function classicPresetConfig(name: string): ClassicModelConfig {
  const preset = name as ClassicPreset;
  switch (classicPresetInfo(name).name) {
    case "lstm3x512-adam":
      return stacked512(preset, { optimizer: "adam", batchSize: 64 });
    case "lstm3x512-rmsprop":
      return stacked512(preset, { optimizer: "rmsprop", batchSize: 128 });
    case "lstm256-512-256-rmsprop":
      return {
        ...stacked512(preset, { optimizer: "rmsprop", batchSize: 64 }),
        lstm: [
          { units: 256, recurrentDropout: 0, dropoutAfter: 0.3 },
          { units: 512, recurrentDropout: 0, dropoutAfter: 0.3 },
          { units: 256, recurrentDropout: 0, dropoutAfter: 0 },
        ],
      };
    case "lstm3x512-batchnorm":
      return {
        ...stacked512(preset, { optimizer: "rmsprop", batchSize: 128 }),
        lstm: [
          { units: 512, recurrentDropout: 0.3, dropoutAfter: 0 },
          { units: 512, recurrentDropout: 0.3, dropoutAfter: 0 },
          { units: 512, recurrentDropout: 0, dropoutAfter: 0 },
        ],
        batchNormAfterLstm: true,
        dropoutBeforeDense: 0.3,
        denseActivation: "relu",
        batchNormAfterDense: true,
      };
    case "lstm2x256-cpu":
      return {
        ...stacked512(preset, { optimizer: "rmsprop", batchSize: 32 }),
        sequenceLength: 32,
        lstm: [
          { units: 256, recurrentDropout: 0, dropoutAfter: 0.3 },
          { units: 256, recurrentDropout: 0, dropoutAfter: 0 },
        ],
        // A higher rate and smaller batches than the full model: more, larger steps, so the
        // small corpus gets past the unigram plateau within the minutes a CPU run has.
        learningRate: 0.003,
        // This project's refinement: a learned vector per token (see ModelInput).
        input: "embedding",
      };
  }
}

/**
 * Checks every value of a classic model config.
 *
 * @throws {Error} naming the first setting that is out of range
 */
export function checkClassicModelConfig(config: ClassicModelConfig): void {
  const names = [...CLASSIC_PRESETS, ...Object.keys(CLASSIC_PRESET_ALIASES)];
  check(names.includes(config.preset), "model.preset", names.join(" | "), config.preset);
  check(
    isPositiveInt(config.sequenceLength),
    "model.sequenceLength",
    "a positive integer",
    config.sequenceLength,
  );
  check(config.lstm.length > 0, "model.lstm", "at least one layer", config.lstm);
  config.lstm.forEach((l, i) => {
    check(isPositiveInt(l.units), `model.lstm[${i}].units`, "a positive integer", l.units);
    check(
      isRate(l.recurrentDropout),
      `model.lstm[${i}].recurrentDropout`,
      "0..1",
      l.recurrentDropout,
    );
    check(isRate(l.dropoutAfter), `model.lstm[${i}].dropoutAfter`, "0..1", l.dropoutAfter);
  });
  check(
    isRate(config.dropoutBeforeDense),
    "model.dropoutBeforeDense",
    "0..1",
    config.dropoutBeforeDense,
  );
  check(
    isPositiveInt(config.denseUnits),
    "model.denseUnits",
    "a positive integer",
    config.denseUnits,
  );
  check(
    ["linear", "relu"].includes(config.denseActivation),
    "model.denseActivation",
    '"linear" or "relu"',
    config.denseActivation,
  );
  check(
    isRate(config.dropoutAfterDense),
    "model.dropoutAfterDense",
    "0..1",
    config.dropoutAfterDense,
  );
  check(
    ["rmsprop", "adam"].includes(config.optimizer),
    "model.optimizer",
    '"rmsprop" or "adam"',
    config.optimizer,
  );
  check(config.learningRate > 0, "model.learningRate", "a number above 0", config.learningRate);
  check(isPositiveInt(config.batchSize), "model.batchSize", "a positive integer", config.batchSize);
  checkModelInput(config);
}

/**
 * Checks `input` and `embeddingSize` of a model config (either family).
 *
 * @throws {Error} naming `model.input` or `model.embeddingSize` when out of range
 */
export function checkModelInput(model: { input: ModelInput; embeddingSize: number }): void {
  check(
    MODEL_INPUTS.includes(model.input),
    "model.input",
    MODEL_INPUTS.map((v) => JSON.stringify(v)).join(" or "),
    model.input,
  );
  check(
    isPositiveInt(model.embeddingSize),
    "model.embeddingSize",
    "a positive integer",
    model.embeddingSize,
  );
}
