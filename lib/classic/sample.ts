/**
 * Generation for the classic family: feed a window of token ids, pick the next token from
 * the predicted probabilities, slide the window by one, repeat.
 *
 * The original notebooks always took the most likely token (argmax, `temperature: 0` here),
 * which tends to repeat itself; sampling with a temperature below 1 (default 0.8) keeps to
 * likely tokens while still varying. Sampling is seeded, so the same seed gives the same
 * piece.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { readTidy } from "../engine/read_tensors.ts";
import { mulberry32, randomInt } from "../engine/random.ts";
import { createStatefulRunner, type LayerMath, type StateMemory } from "../engine/stateful.ts";
import { assertVocabularyMatches, type Vocabulary } from "../music/vocabulary.ts";

/** Options for {@linkcode sampleToken}. */
export interface SampleTokenOptions {
  /**
   * Sharpens (below 1) or flattens (above 1) the distribution: probabilities are raised to
   * `1 / temperature` and renormalised. `0` takes the most likely token (argmax; the first
   * one on a tie), as the original notebooks did.
   * @default {0.8}
   */
  temperature?: number;
  /**
   * Sample only among the `topK` most likely tokens; `0` keeps all.
   * @default {0}
   */
  topK?: number;
  /**
   * Source of uniform numbers in [0, 1).
   * @default {Math.random}
   */
  random?: () => number;
}

/**
 * Picks a token id from a probability vector.
 *
 * @param probs `[vocab]` probabilities (not changed; need not sum exactly to 1)
 * @throws {Error} naming the setting when `temperature` is negative or `topK` is not an
 *   integer >= 0, and when `probs` is empty or has no positive entry
 */
export function sampleToken(probs: ArrayLike<number>, options: SampleTokenOptions = {}): number {
  const temperature = options.temperature ?? 0.8;
  const topK = options.topK ?? 0;
  if (!(temperature >= 0)) {
    throw new Error(`temperature: expected a number >= 0, got ${temperature}`);
  }
  if (!Number.isInteger(topK) || topK < 0) {
    throw new Error(`topK: expected an integer >= 0, got ${topK}`);
  }
  if (probs.length === 0) throw new Error("probs: expected at least one probability, got none");
  let best = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
  if (!(probs[best] > 0)) throw new Error("probs: expected at least one positive probability");
  if (temperature === 0 || topK === 1) return best;
  let candidates = Array.from({ length: probs.length }, (_, i) => i).filter((i) => probs[i] > 0);
  if (topK > 0 && topK < candidates.length) {
    candidates = candidates.sort((a, b) => probs[b] - probs[a] || a - b).slice(0, topK)
      .sort((a, b) => a - b);
  }
  // p^(1/T), computed in log space relative to the largest for numerical safety.
  const logMax = Math.log(probs[best]);
  const weights = candidates.map((i) => Math.exp((Math.log(probs[i]) - logMax) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = (options.random ?? Math.random)() * total;
  for (let j = 0; j < candidates.length; j++) {
    r -= weights[j];
    if (r < 0) return candidates[j];
  }
  return candidates[candidates.length - 1];
}

/** Options for {@linkcode generateTokens}. */
export interface GenerateTokensOptions extends SampleTokenOptions {
  /**
   * Number of tokens to generate.
   * @default {500}
   */
  steps?: number;
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
  /**
   * Called after each generated token with its id and its position (0-based).
   * @default {undefined}
   */
  onToken?: (id: number, step: number) => void;
}

/**
 * Generates token ids with a classic model, re-feeding the last `sequenceLength` ids each
 * step (divided by the vocabulary size, the model's output width). Tensors are freed every
 * step.
 *
 * @param model a classic model (input `[batch, sequenceLength, 1]`, output `[batch, vocab]`)
 * @param seedIds at least `sequenceLength` ids to start from, oldest first; only the last
 *   `sequenceLength` are used (not changed)
 * @returns the generated ids only (without the seed)
 * @throws {Error} when the seed is too short or holds an id outside the vocabulary, when
 *   `options.vocabulary` does not match the model, or when a sampling setting is invalid
 */
export function generateTokens(
  model: tf.LayersModel,
  seedIds: readonly number[],
  options: GenerateTokensOptions = {},
): number[] {
  const { sequenceLength, vocabSize, steps, sampling } = checkTokenGeneration(
    model,
    seedIds,
    options,
  );
  const window = seedIds.slice(-sequenceLength);
  const x = new Float32Array(sequenceLength);
  const out: number[] = [];
  for (let step = 0; step < steps; step++) {
    window.forEach((id, i) => (x[i] = id / vocabSize));
    const [probs] = readTidy(() => [
      model.predict(tf.tensor3d(x, [1, sequenceLength, 1])) as tf.Tensor,
    ]);
    const id = sampleToken(probs, sampling);
    out.push(id);
    window.shift();
    window.push(id);
    options.onToken?.(id, step);
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
   * `generateTokens`). See the module notes.
   * @default {"carried"}
   */
  memory?: StateMemory;
  /**
   * How the layers after the LSTMs are computed; see
   * {@linkcode StatefulRunnerOptions.layerMath}.
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
  const { sequenceLength, vocabSize, steps, sampling } = checkTokenGeneration(
    model,
    seedIds,
    options,
  );
  const runner = createStatefulRunner(model, {
    memory: options.memory,
    windowLength: sequenceLength,
    layerMath: options.layerMath,
  });
  const out: number[] = [];
  if (steps === 0) return out;
  let [probs] = runner.feed(seedIds.slice(-sequenceLength).map((id) => id / vocabSize));
  for (let step = 0; step < steps; step++) {
    const id = sampleToken(probs, sampling);
    out.push(id);
    options.onToken?.(id, step);
    if (step + 1 < steps) [probs] = runner.feed([id / vocabSize]);
  }
  return out;
}

/** What a token generator needs once its inputs are checked. */
export interface CheckedTokenGeneration {
  sequenceLength: number;
  vocabSize: number;
  steps: number;
  sampling: { temperature?: number; topK?: number; random: () => number };
}

/**
 * Validates a token generation request.
 *
 * @throws {Error} saying what was expected and what arrived
 */
export function checkTokenGeneration(
  model: tf.LayersModel,
  seedIds: readonly number[],
  options: GenerateTokensOptions,
): CheckedTokenGeneration {
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
  const steps = options.steps ?? 500;
  if (!Number.isInteger(steps) || steps < 0) {
    throw new Error(`steps: expected an integer >= 0, got ${steps}`);
  }
  const random = options.random ?? mulberry32(options.seed ?? 0);
  const sampling = { temperature: options.temperature, topK: options.topK, random };
  return { sequenceLength, vocabSize, steps, sampling };
}
