import { notesToMidi } from "../../lib/midi.ts";
const notes = [];
for (let i = 0; i < 120; i++) notes.push({ pitch: 48 + (i * 7) % 36, start: i * 1.5, duration: 1.2, velocity: 90 });
Deno.writeFileSync("/tmp/t.mid", notesToMidi(notes));
