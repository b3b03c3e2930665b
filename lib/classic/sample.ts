/**
 * Generation for the classic family, as the sources do it: feed a window of token ids, pick
 * the next token from the predicted probabilities, slide the window by one, repeat.
 *
 * The sources always took the most likely token (`temperature: "argmax"`), which soon
 * repeats itself; sampling with a temperature (the model's probabilities as logits, divided by
 * T) keeps to likely tokens while still varying. Sampling is seeded, so the same seed gives
 * the same piece. `generateTokens` is the plain loop; `generateTokensStateful` gives the same
 * tokens faster by carrying the LSTM states (`lib/engine/stateful.ts`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { readTidy } from "../engine/read_tensors.ts";
import { mulberry32, randomInt, sampleLogits, type SampleOptions } from "../engine/random.ts";
import { createStatefulRunner, type LayerMath, type StateMemory } from "../engine/stateful.ts";
import { assertVocabularyMatches, type Vocabulary } from "../music/vocabulary.ts";
import { encodeIds, idsTensor, probabilitiesToLogits } from "./encode.ts";

/**
 * Picks a token id from the model's probabilities with the shared sampling rules:
 * `"argmax"` takes the most likely id (the first on a tie), a temperature T samples from the
 * probabilities raised to `1 / T` (the softmax of `log p / T`), `topK` keeps the k likeliest.
 *
 * @param probs `[vocab]` probabilities (not changed; need not sum exactly to 1)
 * @throws {Error} naming the setting when `temperature` or `topK` is invalid, and when
 *   `probs` is empty or has no positive entry
 */
export function sampleToken(probs: ArrayLike<number>, options: SampleOptions = {}): number {
  if (probs.length === 0) throw new Error("probs: expected at least one probability, got none");
  if (!Array.prototype.some.call(probs, (p: number) => p > 0)) {
    throw new Error("probs: expected at least one positive probability");
  }
  return sampleLogits(probabilitiesToLogits(probs), options);
}

/** Options for {@linkcode generateTokens}. */
export interface GenerateTokensOptions extends SampleOptions {
  /**
   * Number of tokens to generate.
   * @default {500}
   */
  length?: number;
  /**
   * Seed of the sampling when `random` is not given.
   * @default {0}
   */
  seed?: number;
  /**
   * The vocabulary the ids belong to; when given it is checked against the model's output
   * width (see `assertVocabularyMatches`).
   * @default {undefined}
   */
  vocabulary?: Vocabulary;
  /** Called after each token with (tokens so far, `length`). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Generates token ids with a classic model, re-feeding the last `sequenceLength` ids for
 * every token. Tensors are freed every step.
 *
 * @param model a classic model (input `[batch, sequenceLength, 1]`, output `[batch, vocab]`)
 * @param seedIds at least `sequenceLength` ids to start from, oldest first; only the last
 *   `sequenceLength` are used (not changed)
 * @returns the generated ids only (without the seed)
 * @throws {Error} when the seed is too short or holds an id outside the vocabulary, when
 *   `options.vocabulary` does not match the model, or when a setting is invalid
 */
export function generateTokens(
  model: tf.LayersModel,
  seedIds: readonly number[],
  options: GenerateTokensOptions = {},
): number[] {
  const { sequenceLength, vocabSize, length, sampling } = checkTokenGeneration(
    model,
    seedIds,
    options,
  );
  const window = seedIds.slice(-sequenceLength);
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const [probs] = readTidy(() => [model.predict(idsTensor(window, vocabSize)) as tf.Tensor]);
    const id = sampleToken(probs, sampling);
    out.push(id);
    window.shift();
    window.push(id);
    options.onProgress?.(i + 1, length);
  }
  return out;
}

/** Options for {@linkcode pickSeedWindow}. */
export interface PickSeedWindowOptions {
  /**
   * Ids in the window (the model's input length).
   * @default {100}
   */
  sequenceLength?: number;
  /**
   * Seed of the choice.
   * @default {0}
   */
  seed?: number;
}

/** A window of real data to start generation from. */
export interface SeedWindow {
  /** The ids, oldest first. */
  ids: number[];
  /** Which file they come from. */
  file: number;
  /** Position of the first id in that file. */
  offset: number;
}

/**
 * Picks a random window of `sequenceLength` consecutive ids from one file (every possible
 * window equally likely), as the notebooks started generation from a random training
 * window. The input is not changed.
 *
 * @param fileTokenIds token ids per file
 * @throws {Error} naming `sequenceLength` when no file is long enough
 */
export function pickSeedWindow(
  fileTokenIds: readonly (readonly number[])[],
  options: PickSeedWindowOptions = {},
): SeedWindow {
  const sequenceLength = options.sequenceLength ?? 100;
  const starts = fileTokenIds.map((ids) => Math.max(0, ids.length - sequenceLength + 1));
  const total = starts.reduce((a, b) => a + b, 0);
  if (total === 0) {
    throw new Error(
      `sequenceLength: no file has ${sequenceLength} tokens (longest: ${
        Math.max(0, ...fileTokenIds.map((f) => f.length))
      })`,
    );
  }
  let pick = randomInt(mulberry32(options.seed ?? 0), total);
  let file = 0;
  while (pick >= starts[file]) pick -= starts[file++];
  return { ids: fileTokenIds[file].slice(pick, pick + sequenceLength), file, offset: pick };
}

/** Options for {@linkcode generateTokensStateful}: those of `generateTokens`, plus the memory. */
export interface GenerateTokensStatefulOptions extends GenerateTokensOptions {
  /**
   * What the LSTM state remembers: `"carried"` (one step per token; differs from
   * `generateTokens` from the second token on) or `"window"` (the same tokens as
   * `generateTokens`). See `lib/engine/stateful.ts`.
   * @default {"carried"}
   */
  memory?: StateMemory;
  /**
   * How the layers after the LSTMs are computed; see `StatefulRunnerOptions.layerMath`.
   * @default {"js"}
   */
  layerMath?: LayerMath;
}

/**
 * Generates token ids as `generateTokens` does (same options and checks, same sampling and
 * random numbers, same return value), stepping the LSTMs once per token from their carried
 * state instead of re-reading the window of `sequenceLength` ids.
 *
 * With `memory: "carried"` (the default) the first token equals `generateTokens`'s for the
 * same seed, and later tokens follow the whole history since the seed window. With
 * `memory: "window"` every token equals `generateTokens`'s (up to float rounding; argmax
 * and sampling pick the same ids unless two probabilities tie within rounding).
 *
 * @param model a classic model (input `[batch, sequenceLength, 1]`, output `[batch, vocab]`)
 * @param seedIds at least `sequenceLength` ids, oldest first; the last `sequenceLength` are
 *   used (not changed)
 * @returns the generated ids only
 * @throws {Error} as `generateTokens`, and naming the layer when the model holds a layer
 *   that cannot be stepped
 */
export function generateTokensStateful(
  model: tf.LayersModel,
  seedIds: readonly number[],
  options: GenerateTokensStatefulOptions = {},
): number[] {
  const { sequenceLength, vocabSize, length, sampling } = checkTokenGeneration(
    model,
    seedIds,
    options,
  );
  const out: number[] = [];
  if (length === 0) return out;
  const runner = createStatefulRunner(model, {
    memory: options.memory,
    windowLength: sequenceLength,
    layerMath: options.layerMath,
  });
  let [probs] = runner.feed(encodeIds(seedIds.slice(-sequenceLength), vocabSize));
  for (let i = 0; i < length; i++) {
    const id = sampleToken(probs, sampling);
    out.push(id);
    options.onProgress?.(i + 1, length);
    if (i + 1 < length) [probs] = runner.feed(encodeIds([id], vocabSize));
  }
  return out;
}

/**
 * Validates a token generation request: the model has a fixed window and output width, the
 * vocabulary (when given) matches it, the seed is long enough and in range, `length` is valid.
 */
function checkTokenGeneration(
  model: tf.LayersModel,
  seedIds: readonly number[],
  options: GenerateTokensOptions,
): { sequenceLength: number; vocabSize: number; length: number; sampling: SampleOptions } {
  const inputShape = model.inputs[0].shape;
  const outputShape = model.outputs[0].shape;
  const sequenceLength = inputShape[1];
  const vocabSize = outputShape[outputShape.length - 1];
  if (sequenceLength == null || vocabSize == null) {
    throw new Error(
      `model: expected a fixed input length and output width, got input ${
        JSON.stringify(inputShape)
      } and output ${JSON.stringify(outputShape)}`,
    );
  }
  if (options.vocabulary) assertVocabularyMatches(options.vocabulary, vocabSize);
  if (seedIds.length < sequenceLength) {
    throw new Error(
      `seed: expected at least ${sequenceLength} token ids (the model's window), got ${seedIds.length}`,
    );
  }
  seedIds.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new Error(`seed id ${i}: expected an integer in 0..${vocabSize - 1}, got ${id}`);
    }
  });
  const length = options.length ?? 500;
  if (!Number.isInteger(length) || length < 0) {
    throw new Error(`length: expected an integer >= 0, got ${JSON.stringify(length)}`);
  }
  const random = options.random ?? mulberry32(options.seed ?? 0);
  const sampling = { temperature: options.temperature, topK: options.topK, random };
  return { sequenceLength, vocabSize, length, sampling };
}
