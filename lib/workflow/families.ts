/**
 * The registry of model families: the one place that maps `config.family` to the family
 * object whose members (`ModelFamily` in `lib/train/family.ts`) the steps call.
 *
 * @module
 */
import type { Family, RunConfig } from "../config/config.ts";
import type { ModelFamily } from "../train/family.ts";
import { tutorialFamily } from "../tutorial/family.ts";
import { classicFamily } from "../classic/family.ts";

/** Every family, by name. */
export const FAMILIES: Readonly<Record<Family, ModelFamily>> = {
  tutorial: tutorialFamily,
  classic: classicFamily,
};

/**
 * The family called `name`.
 *
 * @throws {Error} naming `family` when no family has that name
 */
export function familyNamed(name: string): ModelFamily {
  const family = Object.hasOwn(FAMILIES, name) ? FAMILIES[name as Family] : undefined;
  if (!family) {
    throw new Error(
      `family: expected one of ${Object.keys(FAMILIES).map((f) => `"${f}"`).join(", ")}, ` +
        `got ${JSON.stringify(name)}`,
    );
  }
  return family;
}

/** The family of a config (`config.family`). */
export function familyOf(config: Pick<RunConfig, "family">): ModelFamily {
  return familyNamed(config.family);
}

/**
 * The family a run folder's `config.json` names, or the tutorial family when it names none
 * or one not known (runs written before there were two families have no `family`).
 */
export function familyOfSavedRun(name: unknown): ModelFamily {
  return typeof name === "string" && Object.hasOwn(FAMILIES, name)
    ? FAMILIES[name as Family]
    : tutorialFamily;
}

/**
 * One entry per family, keyed by its name: what to do with values of that family, each
 * narrowed to that family's type (`TutorialConfig`, a tutorial `Run`, ...), giving `R`.
 */
export type PerFamily<T extends readonly { family: Family }[], R> = {
  [F in Family]: (...values: { [K in keyof T]: Extract<T[K], { family: F }> }) => R;
};

/**
 * Calls the entry of `table` for the family of `values` (configs, corpora, prepared data or
 * runs of one family), with the values as that family's types: the way a notebook cell shows
 * each family its own lesson without comparing names.
 *
 * @example
 * ```ts
 * import { perFamily, resolveConfig } from "midi-lstm";
 * const config = resolveConfig({ family: "classic" });
 * const grid = perFamily([config], {
 *   tutorial: (c) => `windows of ${c.model.sequenceLength} notes`,
 *   classic: (c) => `preset ${c.model.preset}`,
 * });
 * ```
 * @throws {Error} naming both families when the values belong to different families, and
 *   as {@linkcode familyNamed} for an unknown family
 */
export function perFamily<
  const T extends readonly [{ family: Family }, ...{ family: Family }[]],
  Table extends PerFamily<T, unknown>,
>(
  values: T,
  table: Table,
): ReturnType<Table[Family]> {
  const name = familyNamed(values[0].family).name;
  const other = values.find((v) => v.family !== name);
  if (other) {
    throw new Error(`family: expected values of one family, got ${name} and ${other.family}`);
  }
  return (table[name] as (...values: T) => ReturnType<Table[Family]>)(...values);
}
