/**
 * Configs of earlier versions brought up to date on loading: settings that were renamed,
 * values that changed how they are written, and the settings a run saved before `model.input`
 * existed needs to build the same model. `config.ts` applies {@linkcode upgradeConfig} before
 * filling in defaults.
 *
 * @module
 */

/** A setting renamed since earlier versions: where it was and where it is. */
interface RenamedSetting {
  from: string;
  to: string;
}

/** Settings of older configs and where they live now, per family. */
const RENAMED_SETTINGS: Readonly<Record<string, readonly RenamedSetting[]>> = {
  tutorial: [
    { from: "dataset.seqLength", to: "model.sequenceLength" },
    { from: "dataset.batchSize", to: "model.batchSize" },
    { from: "generate.notes", to: "generate.length" },
  ],
  classic: [{ from: "generate.tokens", to: "generate.length" }],
};

/** A config being upgraded, section by section. */
type ConfigSections = Record<string, Record<string, unknown>>;

/** Upgrades that apply to one family only. */
const FAMILY_UPGRADES: Readonly<
  Record<string, (out: ConfigSections, onRenamed?: (note: string) => void) => void>
> = {
  classic: (out, onRenamed) => {
    if (out.generate?.temperature === 0) {
      out.generate.temperature = "argmax";
      onRenamed?.('config: generate.temperature 0 meant argmax; it is now written "argmax"');
    }
  },
};

/**
 * The model settings added with `model.input`, for a config saved before it: the values that
 * leave its model unchanged (an embedding width it does not use, no dropout).
 */
const SAVED_BEFORE_INPUT: Readonly<Record<string, Record<string, unknown>>> = {
  tutorial: { embeddingSize: 32, dropout: 0 },
  classic: { embeddingSize: 64 },
};

/** Options for {@linkcode upgradeConfig}. */
export interface UpgradeConfigOptions {
  /**
   * The family whose renamed settings apply (`config.family`: `"tutorial"` or `"classic"`);
   * a family with no upgrades of its own gets only the `model.input` one.
   */
  family: string;
  /**
   * Hears one sentence per change.
   * @default {undefined}
   */
  onRenamed?: (note: string) => void;
  /**
   * The config is a run's saved `config.json`, complete as it was written: a setting added
   * since takes the value that reproduces that run (`model.input: "scaled"`, the only input
   * before it was a setting), not today's default.
   * @default {false}
   */
  saved?: boolean;
}

/**
 * An older config brought up to date: renamed settings moved (a value already under the new
 * name wins), a classic `generate.temperature` of 0, which meant argmax, written as
 * `"argmax"`, and, for a saved config without `model.input`, `model.input: "scaled"`. The
 * input is not changed; each change is reported to `onRenamed`.
 */
export function upgradeConfig<T>(overrides: T, options: UpgradeConfigOptions): T {
  const { family, onRenamed } = options;
  const out = structuredClone(overrides ?? {}) as Record<string, Record<string, unknown>>;
  for (const r of RENAMED_SETTINGS[family] ?? []) {
    const [fromSection, fromKey] = r.from.split(".");
    const [toSection, toKey] = r.to.split(".");
    const section = out[fromSection];
    if (section === null || typeof section !== "object" || !(fromKey in section)) continue;
    const value = section[fromKey];
    delete section[fromKey];
    out[toSection] ??= {};
    if (!(toKey in out[toSection])) out[toSection][toKey] = value;
    onRenamed?.(`config: ${r.from} is now ${r.to} (value ${JSON.stringify(value)} kept)`);
  }
  FAMILY_UPGRADES[family]?.(out, onRenamed);
  if (options.saved && out.model !== null && typeof out.model === "object") {
    if (!("input" in out.model)) {
      out.model.input = "scaled";
      // Unused by a scaled model; the values today's defaults give.
      Object.assign(out.model, { ...SAVED_BEFORE_INPUT[family], ...out.model });
      onRenamed?.('config: saved before model.input existed; its model reads "scaled" input');
    }
  }
  return out as T;
}
