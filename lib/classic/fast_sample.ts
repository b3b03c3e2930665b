/**
 * Fast generation for the classic family: the same tokens as `generateTokens` of
 * `sample.ts`, computed by carrying the LSTM states from token to token with the engine's
 * stateful runner (`lib/engine/stateful.ts`) instead of re-reading the whole window.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { createStatefulRunner, type LayerMath, type StateMemory } from "../engine/stateful.ts";
import { runnerIds } from "./encode.ts";
import { modelInputOf } from "../train/model_input.ts";
import { type GenerateTokensOptions, sampleToken } from "./sample.ts";
import { checkTokenGeneration } from "./_generation.ts";

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
 * @param model a classic model (input `[batch, sequenceLength, 1]`, or `[batch,
 *   sequenceLength]` ids for an embedding model; output `[batch, vocab]`)
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
  const input = modelInputOf(model);
  let [probs] = runner.feed(runnerIds(seedIds.slice(-sequenceLength), { vocabSize, input }));
  for (let i = 0; i < length; i++) {
    const id = sampleToken(probs, sampling);
    out.push(id);
    options.onProgress?.(i + 1, length);
    if (i + 1 < length) [probs] = runner.feed(runnerIds([id], { vocabSize, input }));
  }
  return out;
}
