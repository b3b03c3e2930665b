/**
 * Private helper: where the note writers (`notesToMidi`, `toNoteSequence`) put each note.
 *
 * @module
 */

/** What a writer reads of a note: pitch and duration, and a `start` or a `step` (seconds). */
export interface NoteTiming {
  pitch: number;
  duration: number;
  start?: number;
  step?: number;
}

/** A note as a writer places it, made by {@linkcode placeNotes}. */
export interface PlacedNote {
  /** The onset as read: `start` when present, otherwise the previous onset plus `step`. */
  onsetSec: number;
  /** The onset written: `onsetSec`, 0 at the least. */
  timeSec: number;
  /** The length written: `duration`, 0 at the least. */
  durationSec: number;
  /** The MIDI pitch written: `pitch` rounded and clamped to 0..127. */
  pitch: number;
}

/**
 * Each note's onset, time, length and pitch as the writers put them: onsets come from
 * `start` when present, otherwise from accumulating `step` (0 before the first note and for
 * a note without one); negative times and lengths become 0. Not-finite numbers pass through
 * for the caller to reject.
 */
export function placeNotes(notes: ReadonlyArray<NoteTiming>): PlacedNote[] {
  let prevStart = 0;
  return notes.map((n) => {
    const onsetSec = n.start ?? prevStart + (n.step ?? 0);
    prevStart = onsetSec;
    return {
      onsetSec,
      timeSec: Math.max(0, onsetSec),
      durationSec: Math.max(0, n.duration),
      pitch: Math.min(127, Math.max(0, Math.round(n.pitch))),
    };
  });
}
