/**
 * Tiny corpora, tiny configs and command runners for the tests of whole runs
 * (reproducible_test, resume_test, cli_test): a few short melodies and models of a few
 * thousand weights, so a run takes well under a second on the cpu backend.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClassicConfig, DeepPartial, TutorialConfig } from "../lib/config/config.ts";
import { buildMidi, patternNotes } from "./_helpers.ts";

/** The repository root (where deno.json is). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Writes `files` short melodies of `notes` notes as MIDI files into `dir`; returns `dir`. */
export function writeTinyCorpus(dir: string, files = 4, notes = 80): string {
  Deno.mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    const pattern = [60, 62, 64, 65, 67, 69, 71, 72].slice(0, 4 + (f % 5)).map((p) => p + f);
    const melody = patternNotes(notes, pattern).map((n) => ({
      pitch: n.pitch,
      start: n.start,
      duration: n.duration,
    }));
    Deno.writeFileSync(join(dir, `tune-${f}.mid`), buildMidi([melody]));
  }
  return dir;
}

/** A tutorial config small enough for tests, reading `dataDir`. */
export function tinyTutorial(
  dataDir: string,
  over: DeepPartial<TutorialConfig> = {},
): DeepPartial<TutorialConfig> {
  return {
    family: "tutorial",
    seed: 11,
    backend: "cpu",
    ...over,
    data: { dir: dataDir, ...over.data },
    dataset: { ...over.dataset },
    model: { sequenceLength: 8, batchSize: 16, lstmUnits: 12, ...over.model },
    train: { epochs: 3, maxBatchesPerEpoch: 4, patience: 50, ...over.train },
    generate: { length: 24, ...over.generate },
  };
}

/**
 * A classic config small enough for tests, reading `dataDir`, with every kind of dropout the
 * presets use (a Dropout layer, recurrent dropout, dropout before and after the dense layer).
 */
export function tinyClassic(
  dataDir: string,
  over: DeepPartial<ClassicConfig> = {},
): DeepPartial<ClassicConfig> {
  return {
    family: "classic",
    seed: 11,
    backend: "cpu",
    ...over,
    data: { dir: dataDir, ...over.data },
    model: {
      sequenceLength: 8,
      batchSize: 16,
      denseUnits: 12,
      dropoutBeforeDense: 0.2,
      lstm: [
        { units: 12, recurrentDropout: 0.3, dropoutAfter: 0.3 },
        { units: 12, recurrentDropout: 0, dropoutAfter: 0 },
      ],
      ...over.model,
    } as DeepPartial<ClassicConfig["model"]>,
    train: { epochs: 3, maxBatchesPerEpoch: 4, patience: 50, ...over.train },
    generate: { length: 24, ...over.generate },
  };
}

/** What a finished command printed. */
export interface CommandResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** The arguments of `deno run` for a script of this repository. */
export function denoRunArgs(script: string, args: string[]): string[] {
  return ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, script), ...args];
}

/** Runs a script of this repository (e.g. `lib/commands/train.ts`) with `deno run -A`. */
export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(script, args),
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: out.code,
    signal: out.signal,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

/** Writes `value` as a JSON file in `dir` and returns its path. */
export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  Deno.writeTextFileSync(path, JSON.stringify(value));
  return path;
}
