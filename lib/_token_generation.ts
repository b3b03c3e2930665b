/**
 * Checks shared by the token generators: the model has a fixed window and output width, the
 * vocabulary (when given) matches it, the seed is long enough and in range, `steps` is valid.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { assertVocabularyMatches } from "./vocabulary.ts";
import { mulberry32 } from "./_random.ts";
import type { GenerateTokensOptions } from "./classic_generate.ts";

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
