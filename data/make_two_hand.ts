/**
 * Writes a two-hand copy of the bundled corpus: every `data/tunes/*.mid` rewritten as a
 * piano piece in two tracks, right hand then left hand, both General MIDI program 0, the
 * way many piano MIDI files (and the sources' 92 piano files) are laid out.
 *
 * The hands are told apart by velocity: `make_corpus.ts` plays the melody (right hand) at
 * 86-101 and the accompaniment (left hand) at 58-72, so a note at 80 or above goes to the
 * right hand. The script stops if a note falls between the two ranges (73-85), which would
 * mean the corpus changed. Times, pitches, lengths and velocities are kept; the tempo and
 * time signature are copied.
 *
 * Run from the repository root: `deno run -A data/make_two_hand.ts [DEST]` (default
 * `out/two-hand`, which git ignores). The output is the same on every run.
 *
 * @module
 */
import tonejs from "@tonejs/midi";
import { join } from "node:path";
import { instrumentTracks, listMidiFiles, parseMidi, trackProgram } from "../lib/music/midi.ts";

const { Midi } = tonejs;

const DATA_DIR = import.meta.dirname ?? ".";
const SOURCE_DIR = join(DATA_DIR, "tunes");
/** Lowest right-hand and highest left-hand velocity (1..127) that `make_corpus.ts` writes. */
const RIGHT_HAND_FROM = 80;
const GAP: readonly [number, number] = [73, 85];

/** Rewrites one one-track piano file as two tracks (right hand, left hand). */
function twoHands(bytes: Uint8Array, path: string): Uint8Array {
  const source = parseMidi(bytes, path);
  const tracks = instrumentTracks(source, "all-merged");
  if (tracks.length !== 1) {
    throw new Error(`${path}: expected one piano track, got ${tracks.length}`);
  }
  const out = new Midi();
  out.header.fromJSON({ ...source.header.toJSON(), name: source.header.name });
  const right = out.addTrack();
  const left = out.addTrack();
  right.name = "Right hand";
  left.name = "Left hand";
  right.channel = 0;
  left.channel = 1;
  right.instrument.number = 0;
  left.instrument.number = 0;
  for (const n of tracks[0].notes) {
    const velocity = Math.round(n.velocity * 127);
    if (velocity >= GAP[0] && velocity <= GAP[1]) {
      throw new Error(
        `${path}: a note of velocity ${velocity} at tick ${n.ticks}; expected the right hand ` +
          `at ${GAP[1] + 1} or more and the left hand at ${GAP[0] - 1} or less`,
      );
    }
    const hand = velocity >= RIGHT_HAND_FROM ? right : left;
    hand.addNote({
      midi: n.midi,
      ticks: n.ticks,
      durationTicks: n.durationTicks,
      velocity: n.velocity,
    });
  }
  return out.toArray();
}

function main(): void {
  const dest = Deno.args[0] ?? "out/two-hand";
  Deno.mkdirSync(dest, { recursive: true });
  const paths = listMidiFiles(SOURCE_DIR);
  let notes = 0;
  for (const path of paths) {
    const bytes = twoHands(Deno.readFileSync(path), path);
    const name = path.split(/[\\/]/).pop()!;
    Deno.writeFileSync(join(dest, name), bytes);
    // Check: both hands read back as two program-0 tracks with notes.
    const back = parseMidi(bytes, name);
    const programs = back.tracks.filter((t) => t.notes.length > 0).map(trackProgram);
    if (programs.length !== 2 || programs.some((p) => p !== 0)) {
      throw new Error(`${name}: expected two program-0 tracks, got programs ${programs}`);
    }
    notes += back.tracks.reduce((sum, t) => sum + t.notes.length, 0);
  }
  console.log(`wrote ${paths.length} two-hand files to ${dest}: ${notes} notes`);
}

if (import.meta.main) main();
