/**
 * Music without TensorFlow: MIDI files to note tables and back, notes as a Magenta
 * `NoteSequence`, notes and chords as tokens, the vocabulary.
 *
 * @module
 */
export * from "./midi.ts";
export * from "./note_sequence.ts";
export * from "./tokens.ts";
export * from "./vocabulary.ts";
