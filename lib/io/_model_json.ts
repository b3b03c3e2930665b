/**
 * Reading a model folder's JSON files with errors that name the folder or file: shared by the
 * model files (`model_files.ts`) and the upgrade of old ones (`legacy_model_files.ts`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";

/**
 * Reads `<dir>/<jsonName>` as a tfjs layers model description.
 *
 * @throws {Error} naming the folder or file when it is missing, not JSON, or not a layers model
 */
export async function readModelJson(dir: string, jsonName: string): Promise<tf.io.ModelJSON> {
  await assertFolder(dir);
  const path = join(dir, jsonName);
  const json = await readJson(path) as Partial<tf.io.ModelJSON>;
  if (json.modelTopology == null || typeof json.modelTopology !== "object") {
    throw new Error(
      `"${path}": expected a tfjs layers model with "modelTopology", got keys ` +
        JSON.stringify(Object.keys(json)),
    );
  }
  if (!Array.isArray(json.weightsManifest)) {
    throw new Error(`"${path}": expected a "weightsManifest" array`);
  }
  return json as tf.io.ModelJSON;
}

/** Fails, naming `dir`, unless it is an existing folder. */
export async function assertFolder(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`model folder "${dir}" does not exist`, { cause: error });
    }
    throw new Error(`cannot read model folder "${dir}": ${error}`, { cause: error });
  }
  if (!info.isDirectory) {
    throw new Error(`expected "${dir}" to be a model folder, but it is a file`);
  }
}

/** Reads a JSON object from `path`, naming the file on any failure. */
export async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`"${path}" does not exist`, { cause: error });
    }
    throw new Error(`cannot read "${path}": ${error}`, { cause: error });
  }
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error("expected a JSON object");
    }
    return value;
  } catch (error) {
    throw new Error(`"${path}" is not a valid JSON object: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
