/**
 * The rhythm of generated tokens. The sources play every token half a quarter note after the
 * last (`generate.timing: "fixed"`); `"learned"` instead gives each token the median step and
 * duration it has in the training files, learnt once and saved with the run as `timing.json`.
 *
 * @module
 */
import type { ClassicConfig } from "../config/config.ts";
import { parseMidi } from "../music/midi.ts";
import { midiToTokenEvents, type TokenTiming } from "../music/tokens.ts";

/** How long each token lasts and how far the next one follows, in quarter notes. */
export interface TokenTimingTable {
  /** Median quarter notes from a token's onset to the next onset, by token. */
  stepBeats: Record<string, number>;
  /** Median length of the longest note starting with the token, by token. */
  durationBeats: Record<string, number>;
  /** Medians over all tokens, for tokens never seen with a successor. */
  fallback: { stepBeats: number; durationBeats: number };
}

/**
 * When each token sounds with a learnt rhythm: every token lasts its median duration and the
 * next one follows after its median step (`table.fallback` for tokens never seen). The
 * tokens are not changed.
 */
export function learnedTiming(tokens: readonly string[], table: TokenTimingTable): TokenTiming[] {
  let offsetBeats = 0;
  return tokens.map((t) => {
    const at = {
      offsetBeats,
      durationBeats: table.durationBeats[t] ?? table.fallback.durationBeats,
    };
    offsetBeats += table.stepBeats[t] ?? table.fallback.stepBeats;
    return at;
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Learns a rhythm for generated tokens from the data: for every token, the median step to
 * the next onset and the median duration with which it occurs in the corpus (on the
 * quantised grid). Files that cannot be read are passed over (the token reader reports them).
 *
 * @param files MIDI files to read (usually the training files)
 * @throws {Error} when no file gives two or more tokens
 */
export function learnTokenTiming(
  config: ClassicConfig,
  files: ReadonlyArray<{ path: string }>,
): TokenTimingTable {
  const steps = new Map<string, number[]>();
  const durations = new Map<string, number[]>();
  const allSteps: number[] = [];
  const allDurations: number[] = [];
  for (const { path } of files) {
    let events: ReturnType<typeof midiToTokenEvents>;
    try {
      events = midiToTokenEvents(parseMidi(Deno.readFileSync(path), path), {
        instrument: config.data.instrument,
        quarterLengthDivisors: config.tokens.quarterLengthDivisors,
        convention: config.tokens.convention,
      });
    } catch {
      continue; // a file that does not read gives no timing (the corpus reader reports it)
    }
    events.forEach((e, i) => {
      const push = (m: Map<string, number[]>, v: number) => {
        const list = m.get(e.token) ?? [];
        list.push(v);
        m.set(e.token, list);
      };
      push(durations, e.durationBeats);
      allDurations.push(e.durationBeats);
      if (i + 1 < events.length) {
        const step = events[i + 1].offsetBeats - e.offsetBeats;
        push(steps, step);
        allSteps.push(step);
      }
    });
  }
  if (allSteps.length === 0) {
    throw new Error(`generate.timing: no file of ${config.data.dir} gives two or more tokens`);
  }
  const medians = (m: Map<string, number[]>) =>
    Object.fromEntries([...m].map(([token, values]) => [token, median(values)]));
  return {
    stepBeats: medians(steps),
    durationBeats: medians(durations),
    fallback: { stepBeats: median(allSteps), durationBeats: median(allDurations) },
  };
}
