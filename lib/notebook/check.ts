/**
 * Checks for notebook cells: a cell that works something out by hand (a window, a loss, a
 * softmax) compares its answer with what `lib/` gives, so the lesson and the library cannot
 * drift apart. A check that holds returns one line to print; one that fails throws, which
 * fails the cell (and `deno task notebooks`).
 *
 * ```ts
 * const byHand = -Math.log(1 / 3); // cross-entropy of uniform probabilities over 3 classes
 * console.log(checkClose(byHand, Math.log(3), { label: "loss", tolerance: 1e-6 }));
 * // ✓ loss: 1.09861 (lib: 1.09861)
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** Options for {@linkcode checkEqual}. */
export interface CheckEqualOptions {
  /**
   * What is compared, for the message.
   * @default {"value"}
   */
  label?: string;
}

/** Options for {@linkcode checkClose}. */
export interface CheckCloseOptions extends CheckEqualOptions {
  /**
   * Largest absolute difference allowed, per number.
   * @default {1e-6}
   */
  tolerance?: number;
}

/** What {@linkcode checkClose} compares: numbers, arrays of numbers, tensors. */
export type Numbers = number | ArrayLike<number> | tf.Tensor | readonly tf.Tensor[];

/** Shows a value briefly: JSON, cut after 120 characters. */
function brief(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_, v) => ArrayBuffer.isView(v) ? Array.from(v as never) : v) ??
      String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Plain data for comparison: typed arrays become arrays, Maps and Sets become arrays. */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>);
  }
  if (value instanceof Map) return [...value.entries()].map(plain);
  if (value instanceof Set) return [...value].map(plain);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Where two plain values first differ (a path like `[3].pitch`), or null when equal. */
function firstDifference(a: unknown, b: unknown, path = ""): string | null {
  if (Object.is(a, b)) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path || "value"} (length ${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (
    a !== null && b !== null && typeof a === "object" && typeof b === "object" &&
    !Array.isArray(a) && !Array.isArray(b)
  ) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      );
      if (d) return d;
    }
    return null;
  }
  return path || "value";
}

/**
 * Checks that a value worked out in a cell equals the value `lib/` gives: deep equality of
 * plain data (arrays, objects, numbers, strings; typed arrays, Maps and Sets compared as
 * arrays). Neither value is changed.
 *
 * @returns one line for the notebook, `✓ <label>: <value>`
 * @throws {Error} naming the label and the first place the two differ, with both values
 */
export function checkEqual(
  actual: unknown,
  expected: unknown,
  options: CheckEqualOptions = {},
): string {
  const label = options.label ?? "value";
  const a = plain(actual);
  const b = plain(expected);
  const where = firstDifference(a, b);
  if (where !== null) {
    throw new Error(
      `${label}: expected what lib gives, ${brief(b)}, got ${brief(a)} (they differ at ${where})`,
    );
  }
  return `✓ ${label}: ${brief(a)}`;
}

/** The numbers of a value, flattened (tensors read with `dataSync`). */
function numbersOf(value: Numbers): number[] {
  if (typeof value === "number") return [value];
  if (Array.isArray(value) && value.length > 0 && isTensor(value[0])) {
    return (value as tf.Tensor[]).flatMap((t) => Array.from(t.dataSync()));
  }
  if (isTensor(value)) return Array.from((value as tf.Tensor).dataSync());
  return Array.from(value as ArrayLike<number>);
}

function isTensor(value: unknown): boolean {
  return value !== null && typeof value === "object" && "dataSync" in value && "shape" in value;
}

/**
 * Checks that numbers worked out in a cell match `lib/`'s within `tolerance` (float32
 * rounding makes exact equality too strict for sums and products). Tensors are read, not
 * disposed; nothing is changed.
 *
 * @returns one line for the notebook: the value (or the largest difference, for many numbers)
 * @throws {Error} naming the label when the counts differ, when a number is not finite where
 *   the other is, or when a difference exceeds the tolerance (saying where and by how much)
 */
export function checkClose(
  actual: Numbers,
  expected: Numbers,
  options: CheckCloseOptions = {},
): string {
  const label = options.label ?? "value";
  const tolerance = options.tolerance ?? 1e-6;
  const a = numbersOf(actual);
  const b = numbersOf(expected);
  if (a.length !== b.length) {
    throw new Error(`${label}: expected ${b.length} number(s), as lib gives, got ${a.length}`);
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] === b[i] ? 0 : Math.abs(a[i] - b[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
      if (Number.isNaN(d)) break;
    }
  }
  if (!(worst <= tolerance)) {
    const where = a.length > 1 ? ` at ${at}` : "";
    throw new Error(
      `${label}: expected ${b[at]}${where}, as lib gives, got ${a[at]} ` +
        `(difference ${worst}, tolerance ${tolerance})`,
    );
  }
  if (a.length === 1) return `✓ ${label}: ${round(a[0])} (lib: ${round(b[0])})`;
  return `✓ ${label}: ${a.length} numbers agree with lib (largest difference ${
    worst.toExponential(1)
  })`;
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}
