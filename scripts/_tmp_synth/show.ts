import { midiToNotes, parseMidi } from "../../lib/midi.ts";
const names = ["C","C#","D","Eb","E","F","F#","G","Ab","A","Bb","B"];
const f = Deno.args[0];
const notes = midiToNotes(parseMidi(Deno.readFileSync(f), f));
const mel = notes.filter((n) => n.pitch >= 59 && n.velocity >= 80);
console.log(mel.map((n) => names[n.pitch % 12] + (Math.floor(n.pitch / 12) - 1)).join(" "));
const lh = notes.filter((n) => !(n.pitch >= 59 && n.velocity >= 80)).slice(0, 24);
console.log("LH:", lh.map((n) => names[n.pitch % 12] + (Math.floor(n.pitch / 12) - 1) + "@" + n.start.toFixed(2)).join(" "));
