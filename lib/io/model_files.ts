/**
 * Saving and loading tfjs layers models and optimizer state in a local folder under Deno
 * (tfjs's own `file://` handler lives in tfjs-node, which this project does not use;
 * `file_router.ts` routes `file://` URLs to {@linkcode fileSystemHandler}).
 *
 * A saved model folder holds:
 * - `model.json`: `modelTopology`, `weightsManifest`, `format`, `generatedBy`,
 *   `convertedBy` and `userDefinedMetadata`, as tfjs writes them;
 * - `weights.<hash>.bin`: all weights in manifest order (`<hash>` is the start of the
 *   SHA-256 of the bytes);
 * - optional side files (`config.json`, `vocabulary.json`, ...) and, from
 *   {@linkcode saveOptimizerState}, `optimizer.json` + `optimizer.<hash>.bin`.
 *
 * Every file is written to a temporary file in the same folder, synced and renamed into
 * place, and `model.json` (which names the weights file) is renamed last, so a crash or kill
 * at any moment leaves either the previous checkpoint or the new one loadable, never a mix.
 *
 * Standard files: the project's fused LSTM (`FusedLSTM`, `engine/fused_lstm.ts`) has the
 * config, weights, weight names and gate order of `tf.layers.lstm`, so every save writes it
 * as the standard `"LSTM"` class and plain TensorFlow.js (`tf.loadLayersModel` in a browser
 * or Node) loads any saved model and predicts the same values. {@linkcode loadModel} puts
 * the fused layer back when the model's config says `lstm: "fused"` (or when asked), and
 * still loads files saved with `"FusedLSTM"` before; `upgradeModelFolder`
 * (`legacy_model_files.ts`) rewrites those in place.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basename, join } from "node:path";
import { FusedLSTM } from "../engine/fused_lstm.ts";
import { writeFileAtomic, type WriteFileAtomicOptions, writeJsonAtomic } from "./atomic_files.ts";
import { assertFolder, readJson, readModelJson } from "./_model_json.ts";

/** File name of the model description in a model folder. */
export const MODEL_JSON = "model.json";
/** The standard tfjs layer class each project layer class is saved as. */
const STANDARD_CLASS: Readonly<Record<string, string>> = { [FusedLSTM.className]: "LSTM" };
/** File name of the optimizer description in a model folder. */
const OPTIMIZER_JSON = "optimizer.json";
/** `format` written to optimizer.json. */
const OPTIMIZER_FORMAT = "tfjs-optimizer-weights";

/** Options for {@linkcode saveModel}, and the saves of {@linkcode fileSystemHandler}. */
export interface SaveModelOptions extends WriteFileAtomicOptions {
  /**
   * JSON-serialisable values stored in `model.json` under `userDefinedMetadata`, merged over
   * the model's own metadata. Written in the same atomic step as the weights, so use it for
   * anything that must match them (model config, vocabulary). Read it back with
   * {@linkcode readModelMetadata} or `model.getUserDefinedMetadata()`.
   * @default {no extra metadata}
   */
  metadata?: Record<string, unknown>;
  /**
   * Extra JSON files written next to `model.json`, as file name -> value (for example
   * `{ "config.json": config }`). Names must be plain file names. Each file is written
   * atomically and before `model.json`.
   * @default {no side files}
   */
  sideFiles?: Record<string, unknown>;
}

/** Options for {@linkcode fileSystemHandler}. */
export interface FileSystemHandlerOptions extends SaveModelOptions {
  /**
   * File name of the model description that loads read in the folder (the `file://` load
   * router passes the name a URL gives). Saves always write `model.json`.
   * @default {"model.json"}
   */
  modelJson?: string;
}

/** Where {@linkcode saveModel} wrote a model. */
export interface SaveModelResult {
  /** Path of the `model.json` written. */
  modelJsonPath: string;
  /** Path of the weights file written. */
  weightsPath: string;
  /** Sizes as tfjs reports them (`weightDataBytes`, `modelTopologyBytes`, ...). */
  info: tf.io.ModelArtifactsInfo;
}

/** Options for {@linkcode loadModel}. */
export interface LoadModelOptions {
  /**
   * Fail when the saved weights do not match the model's weights exactly.
   * @default {true}
   */
  strict?: boolean;
  /**
   * Custom layer (or other serialisable) classes to register with
   * `tf.serialization.registerClass` before loading. Classes registered earlier are found
   * without this.
   * @default {[]}
   */
  classes?: tf.serialization.SerializableConstructor<tf.serialization.Serializable>[];
  /**
   * The class to build the LSTM layers with: `"fused"` the project's fused layer (fast
   * training, same values), `"layers"` plain `tf.layers.lstm`. Applies to layers saved as
   * `"LSTM"` and to old files' `"FusedLSTM"` alike.
   * @default {the `config.lstm` in the model's metadata when it has one, else the classes as saved}
   */
  lstm?: "fused" | "layers";
}

/**
 * A tfjs IO handler that saves to and loads from the folder `dir` (see the module docs for
 * the layout). Pass it to `model.save()` or `tf.loadLayersModel()`; {@linkcode saveModel}
 * and {@linkcode loadModel} do that for you.
 *
 * Saving creates `dir` if needed, writes the new weights file, the side files and finally
 * `model.json`, then deletes weights files and leftover temporary files of earlier saves
 * that `model.json` no longer names. Loading checks that every file exists and that the
 * weights have the size the manifest says.
 *
 * @param dir the model folder
 * @param options metadata, side files and syncing for saves; the `model.json` name for loads
 * @throws {Error} (from `save`/`load`) naming the file that is missing, unreadable or
 *   malformed
 */
export function fileSystemHandler(
  dir: string,
  options: FileSystemHandlerOptions = {},
): tf.io.IOHandler {
  return {
    save: (artifacts) => saveArtifacts(dir, artifacts, options),
    load: () => loadArtifacts(dir, options.modelJson),
  };
}

/**
 * Saves a layers model to the folder `dir` (created if needed), atomically: if the process
 * dies during the save, the previous checkpoint in `dir` stays loadable.
 *
 * The optimizer and training config (loss functions) are not saved: load, then compile
 * again before further training. Use {@linkcode saveOptimizerState} for the optimizer.
 *
 * @param model the model (not changed)
 * @param dir the model folder
 * @throws {Error} naming the file when writing fails, or when a side file name is not a
 *   plain file name
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
  options: SaveModelOptions = {},
): Promise<SaveModelResult> {
  const written: { weightsPath?: string } = {};
  const result = await model.save({
    save: (artifacts) => saveArtifacts(dir, artifacts, options, written),
  });
  return {
    modelJsonPath: join(dir, MODEL_JSON),
    weightsPath: written.weightsPath ?? "",
    info: result.modelArtifactsInfo,
  };
}

/**
 * Loads a layers model saved by {@linkcode saveModel} (or any tfjs layers model folder with
 * `model.json` and its weight files). The model comes back uncompiled even when the folder
 * has a training config: compile it (with its custom losses) before training it further.
 * Its LSTM layers are fused or plain as `options.lstm` says (see the module docs).
 *
 * @param dir the model folder
 * @throws {Error} naming the folder or file when `dir` or `model.json` does not exist, a
 *   weights file is missing or has the wrong size, `model.json` is not a layers model, or
 *   a layer class is unknown (register custom classes first or pass them in `classes`)
 */
export async function loadModel(
  dir: string,
  options: LoadModelOptions = {},
): Promise<tf.LayersModel> {
  for (const cls of options.classes ?? []) tf.serialization.registerClass(cls);
  const handler: tf.io.IOHandler = {
    load: async () => {
      const artifacts = await loadArtifacts(dir);
      delete artifacts.trainingConfig; // custom losses cannot be deserialised
      const lstm = options.lstm ?? savedLstmKind(artifacts.userDefinedMetadata);
      if (lstm !== undefined) {
        const to = lstm === "fused" ? FusedLSTM.className : "LSTM";
        artifacts.modelTopology = renameLayerClasses(
          artifacts.modelTopology as tf.io.ModelJSON["modelTopology"],
          (name) => name === "LSTM" || name === FusedLSTM.className ? to : undefined,
        ).topology;
      }
      return artifacts;
    },
  };
  try {
    return await tf.loadLayersModel(handler, { strict: options.strict ?? true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes(dir)) throw error;
    throw new Error(`cannot load the model in "${dir}": ${message}`, { cause: error });
  }
}

/**
 * A layers-model topology (`model.json`'s `modelTopology`, or `model.toJSON(null, false)`)
 * with every project layer class replaced by the standard tfjs class it is saved as
 * (`"FusedLSTM"` -> `"LSTM"`, same config), so plain TensorFlow.js can build it.
 *
 * @param topology the topology (not changed)
 * @returns a rewritten copy and the number of layers renamed
 */
export function standardTopology<T>(topology: T): { topology: T; renamed: number } {
  return renameLayerClasses(topology, (name) => STANDARD_CLASS[name]);
}

/**
 * Reads the `userDefinedMetadata` of a saved model without loading its weights.
 *
 * @param dir the model folder
 * @returns the metadata object (`{}` when the model has none)
 * @throws {Error} naming the folder or file when `model.json` is missing or malformed
 */
export async function readModelMetadata(dir: string): Promise<Record<string, unknown>> {
  const json = await readModelJson(dir, MODEL_JSON);
  return (json.userDefinedMetadata ?? {}) as Record<string, unknown>;
}

/**
 * Saves an optimizer's state (`optimizer.getWeights()`: step count and, e.g. for Adam, the
 * moment estimates) to `optimizer.json` + `optimizer.<hash>.bin` in `dir`, atomically like
 * {@linkcode saveModel}. Save it together with the model for `--resume`.
 *
 * @param optimizer the optimizer (not changed)
 * @param dir the model folder (created if needed)
 * @throws {Error} naming the file when writing fails
 */
export async function saveOptimizerState(
  optimizer: tf.Optimizer,
  dir: string,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const named = await optimizer.getWeights();
  let encoded: { data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] };
  try {
    const names = new Set(named.map((w) => w.name));
    if (names.size !== named.length) {
      throw new Error(
        `expected unique optimizer weight names, got ${named.length} weights ` +
          `with ${names.size} names`,
      );
    }
    encoded = await tf.io.encodeWeights(named);
  } finally {
    // getWeights() returns fresh tensors (the step count) next to the optimizer's own
    // variables; only the fresh ones are ours to free.
    for (const w of named) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  }
  await Deno.mkdir(dir, { recursive: true });
  const bytes = new Uint8Array(encoded.data);
  const binName = `optimizer.${await shortHash(bytes)}.bin`;
  await writeFileAtomic(join(dir, binName), bytes, options);
  await writeJsonAtomic(join(dir, OPTIMIZER_JSON), {
    format: OPTIMIZER_FORMAT,
    className: optimizer.getClassName(),
    config: optimizer.getConfig(),
    weightsManifest: [{ paths: [binName], weights: encoded.specs }],
  }, options);
  await removeStale(dir, /^optimizer\.[0-9a-f]+\.bin$/, binName, OPTIMIZER_JSON);
}

/**
 * Restores optimizer state saved by {@linkcode saveOptimizerState} into `optimizer`
 * (`optimizer.setWeights()`). The optimizer must be of the same class and belong to a model
 * with the same architecture: per-weight state is matched by position.
 *
 * @param optimizer the optimizer to update (changed in place)
 * @param dir the model folder
 * @throws {Error} naming the file when `optimizer.json` or its weights file is missing or
 *   malformed, or when the saved optimizer class differs from `optimizer`'s
 */
export async function loadOptimizerState(optimizer: tf.Optimizer, dir: string): Promise<void> {
  const path = join(dir, OPTIMIZER_JSON);
  await assertFolder(dir);
  const json = await readJson(path) as {
    format?: string;
    className?: string;
    weightsManifest?: tf.io.WeightsManifestConfig;
  };
  if (json.format !== OPTIMIZER_FORMAT || !Array.isArray(json.weightsManifest)) {
    throw new Error(
      `"${path}": expected format "${OPTIMIZER_FORMAT}" with a weightsManifest, got format ` +
        `${JSON.stringify(json.format)}`,
    );
  }
  if (json.className !== optimizer.getClassName()) {
    throw new Error(
      `"${path}": saved state is for optimizer ${json.className}, ` +
        `but the optimizer to restore is ${optimizer.getClassName()}`,
    );
  }
  const [specs, data] = await readWeights(dir, json.weightsManifest, path);
  const map = tf.io.decodeWeights(data, specs);
  try {
    await optimizer.setWeights(specs.map((s) => ({ name: s.name, tensor: map[s.name] })));
  } finally {
    tf.dispose(Object.values(map)); // setWeights copies them into variables
  }
}

// ---------------------------------------------------------------------------------------

async function saveArtifacts(
  dir: string,
  artifacts: tf.io.ModelArtifacts,
  options: SaveModelOptions,
  written: { weightsPath?: string } = {},
): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology == null) {
    throw new Error(
      `cannot save to "${dir}": expected a layers model topology (JSON), got ` +
        (artifacts.modelTopology == null ? "none" : "a binary graph model"),
    );
  }
  const sideFiles = Object.entries(options.sideFiles ?? {});
  for (const [name] of sideFiles) {
    if (name !== basename(name) || name === "" || name.startsWith(".") || name.includes("\\")) {
      throw new Error(`sideFiles: expected a plain file name, got ${JSON.stringify(name)}`);
    }
    if (name === MODEL_JSON || name === OPTIMIZER_JSON || /\.bin$/.test(name)) {
      throw new Error(`sideFiles: ${JSON.stringify(name)} would overwrite a model file`);
    }
  }
  await Deno.mkdir(dir, { recursive: true });
  const bytes = artifacts.weightData == null
    ? new Uint8Array(0)
    : new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const weightsName = `weights.${await shortHash(bytes)}.bin`;
  written.weightsPath = join(dir, weightsName);
  const sync = { sync: options.sync };
  await writeFileAtomic(written.weightsPath, bytes, sync);
  for (const [name, value] of sideFiles) {
    await writeJsonAtomic(join(dir, name), value, sync);
  }
  const metadata = { ...(artifacts.userDefinedMetadata ?? {}), ...(options.metadata ?? {}) };
  const modelJson: tf.io.ModelJSON = {
    modelTopology: standardTopology(artifacts.modelTopology).topology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature != null) modelJson.signature = artifacts.signature;
  if (artifacts.modelInitializer != null) modelJson.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature != null) {
    modelJson.initializerSignature = artifacts.initializerSignature;
  }
  if (Object.keys(metadata).length > 0) {
    modelJson.userDefinedMetadata = metadata as Record<string, Record<string, never>>;
  }
  await writeJsonAtomic(join(dir, MODEL_JSON), modelJson, { ...sync, indent: 0 });
  await removeStale(dir, /^weights\.[0-9a-f]+\.bin$/, weightsName, MODEL_JSON);
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/**
 * A deep copy of `value` in which every `{class_name, config}` object (a layer, also inside
 * nested models and wrappers) whose class `rename` maps is given the new class.
 */
function renameLayerClasses<T>(
  value: T,
  rename: (className: string) => string | undefined,
): { topology: T; renamed: number } {
  let renamed = 0;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) out[key] = walk(child);
    for (const key of ["class_name", "className"]) {
      const name = out[key];
      if (typeof name !== "string" || typeof out.config !== "object") continue;
      const to = rename(name);
      if (to !== undefined && to !== name) {
        out[key] = to;
        renamed++;
      }
    }
    return out;
  };
  return { topology: walk(value) as T, renamed };
}

/** The `config.lstm` of a saved model's metadata, when it is a known kind. */
function savedLstmKind(metadata: unknown): "fused" | "layers" | undefined {
  const lstm = (metadata as { config?: { lstm?: unknown } } | undefined)?.config?.lstm;
  return lstm === "fused" || lstm === "layers" ? lstm : undefined;
}

async function loadArtifacts(dir: string, jsonName = MODEL_JSON): Promise<tf.io.ModelArtifacts> {
  const json = await readModelJson(dir, jsonName);
  const path = join(dir, jsonName);
  return await tf.io.getModelArtifactsForJSON(
    json,
    (manifest) => readWeights(dir, manifest, path),
  );
}

/** Reads all weight files of a manifest, in order, and checks their total size. */
async function readWeights(
  dir: string,
  manifest: tf.io.WeightsManifestConfig,
  jsonPath: string,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of manifest) {
    specs.push(...group.weights);
    for (const name of group.paths) {
      const path = join(dir, name);
      try {
        parts.push(await Deno.readFile(path));
      } catch (error) {
        const what = error instanceof Deno.errors.NotFound ? "does not exist" : String(error);
        throw new Error(`"${path}" (named in "${jsonPath}") ${what}`, { cause: error });
      }
    }
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const expected = expectedBytes(specs);
  if (expected !== undefined && expected !== total) {
    throw new Error(
      `weights of "${jsonPath}": expected ${expected} bytes for ${specs.length} weights, ` +
        `the files hold ${total}`,
    );
  }
  const data = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.length;
  }
  return [specs, data.buffer];
}

/** Bytes the specs need, or undefined when a spec is quantised or of an unusual dtype. */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  const bytesPer: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  let total = 0;
  for (const s of specs) {
    const per = bytesPer[s.dtype];
    if (s.quantization != null || per === undefined) return undefined;
    total += s.shape.reduce((a, b) => a * b, 1) * per;
  }
  return total;
}

/** Hex start of the SHA-256 of `bytes`. */
async function shortHash(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...digest.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Deletes files matching `pattern` other than `keep`, and leftover temporary files of
 * `keep`'s kind and of `jsonName`, after a save finished.
 */
async function removeStale(
  dir: string,
  pattern: RegExp,
  keep: string,
  jsonName: string,
): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const name = entry.name;
    const tmpOf = /^\.(.+)\.tmp-[0-9a-f]{8}$/.exec(name)?.[1];
    const stale = (pattern.test(name) && name !== keep) ||
      (tmpOf !== undefined && (tmpOf === jsonName || pattern.test(tmpOf)));
    if (stale) await Deno.remove(join(dir, name)).catch(() => {});
  }
}
