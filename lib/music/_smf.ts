/**
 * Standard MIDI File structure, checked before @tonejs/midi sees the bytes.
 *
 * @tonejs/midi (through `midi-file`) trusts every length it reads: a corrupt file gives it
 * `undefined` pitches, silently shifted events, or thrown strings instead of Errors. Its
 * note-on / note-off pairing is also quadratic in the notes of a track (`shift`, `findIndex`
 * and `splice` on large arrays: 100,000 notes take half a minute), so a large or hostile
 * file can stall a folder. {@linkcode prepareSmf} therefore walks every chunk and event
 * once, rejects what is malformed with a reason, pairs the notes itself in linear time with
 * exactly @tonejs/midi's rules, and writes a clean copy of the file in which every note
 * event is replaced by a polyphonic-aftertouch event on the same channel (which @tonejs/midi
 * ignores). The caller builds the `Midi` from that copy and adds the paired notes.
 *
 * @tonejs/midi's rules mirrored here:
 * - tracks are split so that each holds one (program, channel) pair: events without a
 *   channel stay with the first pair of their file track;
 * - note-ons are taken in file order and each is paired with the earliest unused note-off
 *   (or note-on with velocity 0) of the same pitch at or after it; a note-on without one is
 *   dropped, so overlapping notes of one pitch pair first in, first out, and zero-length
 *   notes are kept. (One difference: @tonejs/midi pairs within a split track, here within a
 *   file track and channel, so a note held across a program change is kept.)
 * - a track's channel is the channel of its note-ons.
 *
 * It also records, per split track, the program of its first program-change event (or
 * none), which @tonejs/midi does not keep apart from "program 0".
 *
 * @module
 */

/** Files larger than this are refused; a MIDI file of real music is well under 2 MiB. */
export const MAX_MIDI_BYTES = 16 * 1024 * 1024;

/** One paired note, in ticks, as @tonejs/midi's `Track.addNote` takes it. */
export interface SmfNote {
  /** MIDI pitch, 0..127. */
  midi: number;
  ticks: number;
  durationTicks: number;
  /** Note-on velocity / 127. */
  velocity: number;
  /** Note-off velocity / 127. */
  noteOffVelocity: number;
}

/** What {@linkcode prepareSmf} found. */
export interface PreparedSmf {
  /** A clean copy of the file with the note events replaced; format 0 so no track is dropped. */
  bytes: Uint8Array;
  /** The format the file declared (0, 1 or 2). */
  format: number;
  /** Per track as @tonejs/midi splits them: the notes, in note-on order. */
  notes: SmfNote[][];
  /** Per split track: the channel of its note-ons, or -1 when it has none. */
  channels: number[];
  /** Per split track: the program of its first program change, or -1 when it has none. */
  programs: number[];
}

/** Fixed lengths of the meta events `midi-file` checks (it throws on any other length). */
const META_LENGTHS: Record<number, number[]> = {
  0x00: [2],
  0x20: [1],
  0x21: [1],
  0x2f: [0],
  0x51: [3],
  0x54: [5],
  0x58: [2, 4],
  0x59: [2],
};

/** Text meta events longer than this are dropped (`midi-file` decodes them via apply()). */
const MAX_TEXT_BYTES = 65_536;

/** A note-on or note-off seen while scanning. */
interface NoteEvent {
  on: boolean;
  channel: number;
  pitch: number;
  tick: number;
  velocity: number;
  /** Split track the event belongs to. */
  split: number;
}

/** Growable byte buffer for the rewritten file. */
class Writer {
  buf = new Uint8Array(1024);
  length = 0;
  private ensure(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number) {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array) {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u32At(pos: number, v: number) {
    new DataView(this.buf.buffer).setUint32(pos, v);
  }
  /** Variable-length quantity; at most 0x0FFFFFFF (four bytes). */
  vlq(v: number) {
    const out = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      out.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    for (const b of out) this.byte(b);
  }
}

const MAX_VLQ = 0x0fffffff;

/**
 * Checks the structure of Standard MIDI File bytes (already known to start with "MThd"),
 * pairs the notes and writes the copy @tonejs/midi reads.
 *
 * @param bytes the file (not changed)
 * @throws {Error} saying what is malformed and where (track number and byte offset)
 */
export function prepareSmf(bytes: Uint8Array): PreparedSmf {
  if (bytes.length > MAX_MIDI_BYTES) {
    throw new Error(
      `file too large: ${bytes.length} bytes, the limit is ${MAX_MIDI_BYTES} (16 MiB)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4);
  if (headerLength < 6) {
    throw new Error(`header chunk is ${headerLength} bytes, expected at least 6`);
  }
  if (8 + headerLength > bytes.length) {
    throw new Error(
      `truncated: header chunk declares ${headerLength} bytes but ${bytes.length - 8} remain`,
    );
  }
  const format = view.getUint16(8);
  const declared = view.getUint16(10);
  const division = view.getUint16(12);
  if (format > 2) throw new Error(`unknown format ${format}, expected 0, 1 or 2`);
  if (declared === 0) throw new Error("header declares 0 tracks");
  if (division & 0x8000) {
    throw new Error(
      "SMPTE time division (frames per second) is not supported, only ticks per beat",
    );
  }
  if (division === 0) throw new Error("time division is 0 ticks per beat");

  // Chunks: the first `declared` MTrk chunks; other chunk types are skipped as the standard
  // asks, and anything after the last declared track is ignored. A header that declares more
  // tracks than a cleanly ending file holds is taken as a miscount.
  const tracks: Array<[number, number]> = [];
  let pos = 8 + headerLength;
  while (tracks.length < declared) {
    // Fewer tracks than declared, but the file ends cleanly after the last one: keep them.
    if (pos === bytes.length && tracks.length > 0) break;
    if (pos + 8 > bytes.length) {
      throw new Error(
        `truncated: header declares ${declared} tracks, found ${tracks.length} ` +
          `(the file ends at byte ${bytes.length})`,
      );
    }
    const length = view.getUint32(pos + 4);
    if (pos + 8 + length > bytes.length) {
      const id = JSON.stringify(String.fromCharCode(...bytes.subarray(pos, pos + 4)));
      throw new Error(
        `truncated: chunk ${id} at byte ${pos} declares ${length} bytes but ` +
          `${bytes.length - pos - 8} remain`,
      );
    }
    if (view.getUint32(pos) === 0x4d54726b) tracks.push([pos + 8, pos + 8 + length]);
    pos += 8 + length;
  }

  const out = new Writer();
  out.bytes(new Uint8Array([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0]));
  out.byte(tracks.length >> 8);
  out.byte(tracks.length & 0xff);
  out.byte(division >> 8);
  out.byte(division & 0xff);

  const split: SplitState = { count: 0, notes: [], channels: [], programs: [] };
  let events = 0;
  tracks.forEach(([start, end], t) => {
    events += scanTrack(bytes, start, end, t + 1, out, split);
  });
  if (events === 0) throw new Error("no events: every track chunk is empty");

  return {
    bytes: out.buf.slice(0, out.length),
    format,
    notes: split.notes,
    channels: split.channels,
    programs: split.programs,
  };
}

/** Split-track bookkeeping shared across the file's tracks (mirrors @tonejs/midi's splitTracks). */
interface SplitState {
  count: number;
  notes: SmfNote[][];
  channels: number[];
  programs: number[];
}

/**
 * Walks one track chunk, checking every event, and appends its clean copy to `out`.
 * @returns the number of events kept
 */
function scanTrack(
  bytes: Uint8Array,
  start: number,
  end: number,
  trackNo: number,
  out: Writer,
  split: SplitState,
): number {
  const where = (p: number) => `track ${trackNo}, byte ${p}`;
  const readVlq = (p: number, what: string): [number, number] => {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (p >= end) throw new Error(`${where(p)}: ${what} runs past the end of the track`);
      const b = bytes[p++];
      value = value * 128 + (b & 0x7f);
      if (!(b & 0x80)) return [value, p];
    }
    throw new Error(`${where(p - 4)}: ${what} is longer than 4 bytes`);
  };

  const chunkStart = out.length;
  out.bytes(new Uint8Array([0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 0]));
  const defaultTrack = split.count;
  const trackMap = new Map<string, number>();
  const program: number[] = new Array(16).fill(0);
  // @tonejs/midi keys split tracks by `${currentProgram[channel]} ${channel}`; a
  // channel-prefix meta event's channel byte (0..255) gives an undefined program above 15.
  const target = (channel: number): number => {
    const key = `${channel < 16 ? program[channel] : undefined} ${channel}`;
    let index = trackMap.get(key);
    if (index === undefined) {
      index = defaultTrack + trackMap.size;
      trackMap.set(key, index);
    }
    return index;
  };
  const use = (index: number) => {
    if (index === split.count) {
      split.count++;
      split.notes.push([]);
      split.channels.push(-1);
      split.programs.push(-1);
    } else if (index > split.count) {
      throw new Error(`${where(0)}: internal error splitting tracks`);
    }
  };

  let pos = start;
  let tick = 0;
  let running = -1;
  let carry = 0; // delta of dropped events, added to the next kept one
  let kept = 0;
  const noteEvents: NoteEvent[] = [];
  const emitDelta = (delta: number) => {
    let total = carry + delta;
    while (total > MAX_VLQ) {
      // An empty sequencer-specific meta event holds the excess time.
      out.vlq(MAX_VLQ);
      out.bytes(new Uint8Array([0xff, 0x7f, 0]));
      total -= MAX_VLQ;
    }
    out.vlq(total);
    carry = 0;
  };
  while (pos < end) {
    const eventStart = pos;
    const [delta, afterDelta] = readVlq(pos, "delta time");
    pos = afterDelta;
    tick += delta;
    if (pos >= end) throw new Error(`${where(eventStart)}: event cut off after its delta time`);
    const status = bytes[pos];
    if (status === 0xff) {
      if (pos + 1 >= end) throw new Error(`${where(eventStart)}: meta event cut off`);
      const type = bytes[pos + 1];
      const [length, dataStart] = readVlq(pos + 2, "meta event length");
      if (dataStart + length > end) {
        throw new Error(
          `${where(eventStart)}: meta event 0x${hex(type)} of ${length} bytes runs past the ` +
            "end of the track",
        );
      }
      pos = dataStart + length;
      const allowed = META_LENGTHS[type];
      const malformed = allowed !== undefined && !allowed.includes(length);
      if (type === 0x51) {
        if (malformed) {
          throw new Error(`${where(eventStart)}: tempo event of ${length} bytes, expected 3`);
        }
        const usPerBeat = (bytes[dataStart] << 16) | (bytes[dataStart + 1] << 8) |
          bytes[dataStart + 2];
        if (usPerBeat === 0) throw new Error(`${where(eventStart)}: tempo of 0 µs per beat`);
      }
      const hugeText = type >= 0x01 && type <= 0x07 && length > MAX_TEXT_BYTES;
      if (malformed || hugeText) {
        carry += delta;
        continue;
      }
      // A channel-prefix meta event carries a channel, so @tonejs/midi routes it like one;
      // events without a channel go to the file track's first split track.
      use(type === 0x20 ? target(bytes[dataStart]) : defaultTrack);
      emitDelta(delta);
      out.bytes(bytes.subarray(afterDelta, pos));
      kept++;
      continue;
    }
    if (status === 0xf0 || status === 0xf7) {
      const [length, dataStart] = readVlq(pos + 1, "system-exclusive length");
      if (dataStart + length > end) {
        throw new Error(
          `${where(eventStart)}: system-exclusive event of ${length} bytes runs past the end ` +
            "of the track",
        );
      }
      pos = dataStart + length;
      use(defaultTrack);
      emitDelta(delta);
      out.bytes(bytes.subarray(afterDelta, pos));
      kept++;
      continue;
    }
    if (status > 0xf0) {
      throw new Error(`${where(eventStart)}: unknown status byte 0x${hex(status)}`);
    }
    let effective = status;
    let dataPos = pos + 1;
    if (!(status & 0x80)) {
      if (running < 0) {
        throw new Error(`${where(eventStart)}: running status before any status byte`);
      }
      effective = running;
      dataPos = pos;
    } else running = status;
    const kind = effective >> 4;
    const dataLength = kind === 0xc || kind === 0xd ? 1 : 2;
    if (dataPos + dataLength > end) {
      throw new Error(`${where(eventStart)}: channel event cut off at the end of the track`);
    }
    for (let i = 0; i < dataLength; i++) {
      const b = bytes[dataPos + i];
      if (b & 0x80) {
        throw new Error(
          `${where(dataPos + i)}: expected a data byte (0..127), got 0x${hex(b)}`,
        );
      }
    }
    pos = dataPos + dataLength;
    const channel = effective & 0x0f;
    if (kind === 0xc) program[channel] = bytes[dataPos];
    const index = target(channel);
    use(index);
    if (kind === 0xc && split.programs[index] < 0) split.programs[index] = bytes[dataPos];
    emitDelta(delta);
    const p1 = bytes[dataPos];
    const p2 = dataLength === 2 ? bytes[dataPos + 1] : -1;
    if (kind === 0x8 || kind === 0x9) {
      const on = kind === 0x9 && p2 > 0;
      noteEvents.push({ on, channel, pitch: p1, tick, velocity: p2, split: index });
      if (on) split.channels[index] = channel;
      // Polyphonic aftertouch on the same channel keeps the track split and is ignored.
      out.bytes(new Uint8Array([0xa0 | channel, p1, p2]));
    } else {
      out.byte(effective);
      out.byte(p1);
      if (p2 >= 0) out.byte(p2);
    }
    kept++;
  }
  out.u32At(chunkStart + 4, out.length - chunkStart - 8);
  for (const { split: index, note } of pairNotes(noteEvents)) split.notes[index].push(note);
  return kept;
}

/**
 * Pairs one file track's note-ons with note-offs in linear time. Per channel and pitch, each
 * note-on (in file order) takes the earliest unused note-off at or after it; a note-on with
 * none is dropped. @tonejs/midi pairs the same way but within a split track, so a program
 * change while a note sounds would lose that note; here the note stays, filed under the
 * split track of its note-on (as pretty_midi keeps it).
 */
function pairNotes(events: NoteEvent[]): Array<{ split: number; note: SmfNote }> {
  const offsByKey = new Map<number, NoteEvent[]>();
  for (const e of events) {
    if (e.on) continue;
    const key = e.channel * 128 + e.pitch;
    let list = offsByKey.get(key);
    if (!list) offsByKey.set(key, list = []);
    list.push(e);
  }
  const next = new Map<number, number>();
  const notes: Array<{ split: number; note: SmfNote }> = [];
  for (const e of events) {
    if (!e.on) continue;
    const key = e.channel * 128 + e.pitch;
    const offs = offsByKey.get(key);
    if (!offs) continue;
    let i = next.get(key) ?? 0;
    // Note-offs before this note-on can never be used: later note-ons start later still.
    while (i < offs.length && offs[i].tick < e.tick) i++;
    if (i < offs.length) {
      const off = offs[i++];
      notes.push({
        split: e.split,
        note: {
          midi: e.pitch,
          ticks: e.tick,
          durationTicks: off.tick - e.tick,
          velocity: e.velocity / 127,
          noteOffVelocity: off.velocity / 127,
        },
      });
    }
    next.set(key, i);
  }
  return notes;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
