/**
 * Generation for the classic family, as the sources do it: feed a window of token ids, pick
 * the next token from the predicted probabilities, slide the window by one, repeat.
 *
 * The sources always took the most likely token (`temperature: "argmax"`), which soon
 * repeats itself; sampling with a temperature (the model's probabilities as logits, divided by
 * T) keeps to likely tokens while still varying. Sampling is seeded, so the same seed gives
 * the same piece. `generateTokens` is the plain loop; `generateTokensStateful`
 * (`run.ts`) is faster: it carries the LSTM states from token to token, so by default later
 * tokens also remember tokens that have left the window (with `memory: "window"` it gives
 * exactly these tokens).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { sampleLogits, type SampleOptions } from "../random/sampling.ts";
import type { Vocabulary } from "../music/vocabulary.ts";
import { idsInputs, probabilitiesToLogits } from "./encode.ts";
import { modelInputOf } from "../train/model_input.ts";
import { checkTokenGeneration } from "./_generation.ts";

/**
 * Picks a token id from the model's probabilities with the shared sampling rules:
 * `"argmax"` takes the most likely id (the first on a tie), a temperature T samples from the
 * probabilities raised to `1 / T` (the softmax of `log p / T`), `topK` keeps the k likeliest.
 *
 * @param probs `[vocab]` probabilities (not changed; need not sum exactly to 1)
 * @throws {Error} naming the setting when `temperature` or `topK` is invalid, and when
 *   `probs` is empty or has no positive entry
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32, sampleToken } from "midi-lstm";
 *
 * const probs = [0.1, 0.6, 0.3];
 * assert.equal(sampleToken(probs, { temperature: "argmax" }), 1); // as the sources do
 * // with a temperature, draws follow the probabilities (seeded: the same every run)
 * const random = mulberry32(42);
 * const draws = Array.from({ length: 1000 }, () => sampleToken(probs, { random }));
 * assert.ok(draws.filter((id) => id === 1).length > 500);
 * ```
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
 * @param model a classic model (input `[batch, sequenceLength, 1]`, or `[batch,
 *   sequenceLength]` ids for an embedding model; output `[batch, vocab]`)
 * @param seedIds at least `sequenceLength` ids to start from, oldest first; only the last
 *   `sequenceLength` are used (not changed)
 * @returns the generated ids only (without the seed)
 * @throws {Error} when the seed is too short or holds an id outside the vocabulary, when
 *   `options.vocabulary` does not match the model, or when a setting is invalid
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildClassicModel,
 *   classicPresetConfig,
 *   generateTokens,
 *   resolveClassicConfig,
 *   selectBackend,
 * } from "midi-lstm";
 *
 * await selectBackend({ backend: "cpu" });
 * const lstm = classicPresetConfig("lstm2x256-cpu").lstm.map((layer) => ({ ...layer, units: 8 }));
 * const config = resolveClassicConfig({
 *   seed: 1,
 *   model: { preset: "lstm2x256-cpu", sequenceLength: 4, lstm, denseUnits: 8 },
 * });
 * const model = buildClassicModel(config, { vocabSize: 6 }); // untrained
 * const options = { length: 5, temperature: 1, seed: 7 };
 * const ids = generateTokens(model, [0, 1, 2, 3], options);
 * assert.equal(ids.length, 5);
 * assert.ok(ids.every((id) => id >= 0 && id < 6));
 * // the same seed gives the same ids
 * assert.deepEqual(generateTokens(model, [0, 1, 2, 3], options), ids);
 * model.dispose();
 * ```
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
  const input = modelInputOf(model);
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const next = tf.tidy(() => model.predict(idsInputs(window, { vocabSize, input })) as tf.Tensor);
    const probs = next.dataSync() as Float32Array;
    next.dispose();
    const id = sampleToken(probs, sampling);
    out.push(id);
    window.shift();
    window.push(id);
    options.onProgress?.(i + 1, length);
  }
  return out;
}
