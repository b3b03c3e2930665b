/**
 * The checks both token generators share (`sample.ts`, `run.ts`): the model has a
 * fixed window and output width, the vocabulary (when given) matches it, the seed is long
 * enough and in range, `length` is valid.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { mulberry32 } from "../random/random.ts";
import type { SampleOptions } from "../random/sampling.ts";
import { assertVocabularyMatches, type Vocabulary } from "../music/vocabulary.ts";

/** The settings of a generation that are checked. */
export interface TokenGenerationRequest extends SampleOptions {
  length?: number;
  seed?: number;
  vocabulary?: Vocabulary;
}

/**
 * Validates a token generation request: the model has a fixed window and output width, the
 * vocabulary (when given) matches it, the seed is long enough and in range, `length` is valid.
 */
export function checkTokenGeneration(
  model: tf.LayersModel,
  seedIds: readonly number[],
  options: TokenGenerationRequest,
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
