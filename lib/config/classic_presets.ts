/**
 * The classic family's model presets and their settings.
 *
 * Three presets, all with input `[batch, sequenceLength, 1]` and output `[batch, vocab]`
 * probabilities:
 * - `"classic"`: the original notebooks' network: LSTM(512) -> Dropout(0.3) -> LSTM(512) ->
 *   Dropout(0.3) -> LSTM(512) -> Dense(256) -> Dropout(0.3) -> Dense(vocab) -> softmax,
 *   RMSprop, windows of 100. With 358 tokens it has exactly 5,474,406 parameters.
 * - `"classic-bn"`: the batch-normalised variant: recurrent dropout 0.3 inside the first
 *   two LSTMs (and no dropout layers between the LSTMs), then BatchNormalization ->
 *   Dropout(0.3) -> Dense(256) -> relu -> BatchNormalization -> Dropout(0.3) ->
 *   Dense(vocab) -> softmax.
 * - `"classic-small"`: the classic shape scaled down for a CPU: two LSTM(256), windows of 32.
 *
 * @module
 */

/** Name of a classic model preset. */
export type ClassicPreset = "classic" | "classic-bn" | "classic-small";

/** Every preset name. */
export const CLASSIC_PRESETS: readonly ClassicPreset[] = ["classic", "classic-bn", "classic-small"];

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
  /** The preset these values came from. */
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
}

/**
 * The settings of a preset (a fresh copy each call).
 *
 * @throws {Error} naming the setting and the valid values when `name` is not a preset
 */
export function classicPresetConfig(name: string): ClassicModelConfig {
  const rmsprop = { optimizer: "rmsprop" as const, learningRate: 0.001 };
  switch (name) {
    case "classic":
      return {
        preset: "classic",
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
        ...rmsprop,
        batchSize: 128,
      };
    case "classic-bn":
      return {
        preset: "classic-bn",
        sequenceLength: 100,
        lstm: [
          { units: 512, recurrentDropout: 0.3, dropoutAfter: 0 },
          { units: 512, recurrentDropout: 0.3, dropoutAfter: 0 },
          { units: 512, recurrentDropout: 0, dropoutAfter: 0 },
        ],
        batchNormAfterLstm: true,
        dropoutBeforeDense: 0.3,
        denseUnits: 256,
        denseActivation: "relu",
        batchNormAfterDense: true,
        dropoutAfterDense: 0.3,
        ...rmsprop,
        batchSize: 128,
      };
    case "classic-small":
      return {
        preset: "classic-small",
        sequenceLength: 32,
        lstm: [
          { units: 256, recurrentDropout: 0, dropoutAfter: 0.3 },
          { units: 256, recurrentDropout: 0, dropoutAfter: 0 },
        ],
        batchNormAfterLstm: false,
        dropoutBeforeDense: 0,
        denseUnits: 256,
        denseActivation: "linear",
        batchNormAfterDense: false,
        dropoutAfterDense: 0.3,
        // A higher rate and smaller batches than the full model: more, larger steps, so the
        // small corpus gets past the unigram plateau within the minutes a CPU run has.
        optimizer: "rmsprop",
        learningRate: 0.003,
        batchSize: 32,
      };
    default:
      throw new Error(
        `model preset: expected one of ${
          CLASSIC_PRESETS.map((p) => JSON.stringify(p)).join(", ")
        }, got ${JSON.stringify(name)}`,
      );
  }
}

function check(ok: boolean, setting: string, expected: string, got: unknown): void {
  if (!ok) throw new Error(`model.${setting}: expected ${expected}, got ${JSON.stringify(got)}`);
}

const isRate = (v: number) => v >= 0 && v < 1;
const isPositiveInt = (v: number) => Number.isInteger(v) && v > 0;

/**
 * Checks every value of a classic model config.
 *
 * @throws {Error} naming the first setting that is out of range
 */
export function checkClassicModelConfig(config: ClassicModelConfig): void {
  check(
    CLASSIC_PRESETS.includes(config.preset),
    "preset",
    CLASSIC_PRESETS.join(" | "),
    config.preset,
  );
  check(
    isPositiveInt(config.sequenceLength),
    "sequenceLength",
    "a positive integer",
    config.sequenceLength,
  );
  check(config.lstm.length > 0, "lstm", "at least one layer", config.lstm);
  config.lstm.forEach((l, i) => {
    check(isPositiveInt(l.units), `lstm[${i}].units`, "a positive integer", l.units);
    check(isRate(l.recurrentDropout), `lstm[${i}].recurrentDropout`, "0..1", l.recurrentDropout);
    check(isRate(l.dropoutAfter), `lstm[${i}].dropoutAfter`, "0..1", l.dropoutAfter);
  });
  check(isRate(config.dropoutBeforeDense), "dropoutBeforeDense", "0..1", config.dropoutBeforeDense);
  check(isPositiveInt(config.denseUnits), "denseUnits", "a positive integer", config.denseUnits);
  check(
    ["linear", "relu"].includes(config.denseActivation),
    "denseActivation",
    '"linear" or "relu"',
    config.denseActivation,
  );
  check(isRate(config.dropoutAfterDense), "dropoutAfterDense", "0..1", config.dropoutAfterDense);
  check(
    ["rmsprop", "adam"].includes(config.optimizer),
    "optimizer",
    '"rmsprop" or "adam"',
    config.optimizer,
  );
  check(config.learningRate > 0, "learningRate", "a number above 0", config.learningRate);
  check(isPositiveInt(config.batchSize), "batchSize", "a positive integer", config.batchSize);
}
