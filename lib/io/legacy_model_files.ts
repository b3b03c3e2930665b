/**
 * Model folders in the format before standard files: the project's fused LSTM saved under its
 * own class name `"FusedLSTM"`, which plain TensorFlow.js cannot build. `loadModel`
 * still loads them; {@linkcode upgradeModelFolder} rewrites them in place to the standard
 * `"LSTM"` class (see `model_files.ts`).
 *
 * @module
 */
import { join } from "node:path";
import { type WriteFileAtomicOptions, writeJsonAtomic } from "./atomic_files.ts";
import { MODEL_JSON, standardTopology } from "./model_files.ts";
import { readModelJson } from "./_model_json.ts";

/**
 * Rewrites the `model.json` of a model folder saved with project-only layer classes
 * (`"FusedLSTM"`, by versions before standard files) to the standard classes, so plain
 * TensorFlow.js loads it. Only `model.json` changes (atomically); the weights files are
 * not touched.
 *
 * @param dir the model folder
 * @returns the number of layers rewritten (0: the folder was standard already, unchanged)
 * @throws {Error} naming the folder or file when `model.json` is missing or malformed, or
 *   cannot be written
 */
export async function upgradeModelFolder(
  dir: string,
  options: WriteFileAtomicOptions = {},
): Promise<number> {
  const json = await readModelJson(dir, MODEL_JSON);
  const { topology, renamed } = standardTopology(json.modelTopology);
  if (renamed === 0) return 0;
  json.modelTopology = topology;
  await writeJsonAtomic(join(dir, MODEL_JSON), json, { ...options, indent: 0 });
  return renamed;
}
