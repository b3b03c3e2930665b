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
