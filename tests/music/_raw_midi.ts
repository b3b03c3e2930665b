/**
 * Writes small Standard MIDI Files byte by byte, for what @tonejs/midi cannot write: tracks
 * without a program change (it always writes one).
 */

/** A note placed in ticks: [pitch, onset ticks, length ticks]. */
export type TickNote = [number, number, number];

/** One track of {@linkcode rawMidi}. */
export interface RawTrack {
  /** MIDI channel, 0..15 (9 = drums). */
  channel: number;
  /** Program change written at tick 0; none when absent. */
  program?: number;
  notes: TickNote[];
}

function vlq(n: number): number[] {
  const out = [n & 0x7f];
  for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) out.unshift((n & 0x7f) | 0x80);
  return out;
}

function chunk(id: string, data: number[]): number[] {
  const n = data.length;
  return [...id].map((c) => c.charCodeAt(0)).concat([
    n >>> 24,
    (n >> 16) & 255,
    (n >> 8) & 255,
    n & 255,
  ], data);
}

/**
 * A format-1 file: a tempo track (120 bpm), then one track per entry, each with a program
 * change only where `program` is given.
 */
export function rawMidi(tracks: RawTrack[], ppq = 480): Uint8Array {
  const tempo = [0, 0xff, 0x51, 3, 0x07, 0xa1, 0x20, 0, 0xff, 0x2f, 0];
  const body = tracks.map(({ channel, program, notes }) => {
    const events: Array<[number, number[]]> = [];
    if (program !== undefined) events.push([0, [0xc0 | channel, program]]);
    for (const [pitch, on, length] of notes) {
      events.push([on, [0x90 | channel, pitch, 100]]);
      events.push([on + length, [0x80 | channel, pitch, 0]]);
    }
    // Stable by time: program first, and a note-off before a note-on at the same tick.
    events.sort((a, b) =>
      a[0] - b[0] || (a[1][0] >> 4 === 0x8 ? -1 : 0) - (b[1][0] >> 4 === 0x8 ? -1 : 0)
    );
    let tick = 0;
    const data: number[] = [];
    for (const [t, bytes] of events) {
      data.push(...vlq(t - tick), ...bytes);
      tick = t;
    }
    data.push(0, 0xff, 0x2f, 0);
    return chunk("MTrk", data);
  });
  const count = tracks.length + 1;
  const header = chunk("MThd", [0, 1, count >> 8, count & 255, ppq >> 8, ppq & 255]);
  return new Uint8Array([...header, ...chunk("MTrk", tempo), ...body.flat()]);
}
