import { midiToNotes, parseMidi } from "../../lib/midi.ts";
const names = ["C","C#","D","Eb","E","F","F#","G","Ab","A","Bb","B"];
const f = Deno.args[0]; const bpm = Number(Deno.args[1]); const bpb = Number(Deno.args[2] ?? 4);
const notes = midiToNotes(parseMidi(Deno.readFileSync(f), f));
const beat = (t: number) => Math.round(t * bpm / 60 * 8) / 8;
const bars = new Map<number, string[]>();
for (const n of notes) {
  const b = beat(n.start); const bar = Math.floor(b / bpb + 1e-6);
  const s = names[n.pitch % 12] + (Math.floor(n.pitch / 12) - 1);
  const mel = n.velocity >= 80;
  if (!bars.has(bar)) bars.set(bar, ["", ""]);
  const row = bars.get(bar)!;
  if (mel) row[0] += ` ${s}@${(b - bar * bpb).toFixed(1)}`; else if (!row[1].includes(s)) row[1] += " " + s;
}
for (const [bar, [m, l]] of bars) console.log(String(bar + 1).padStart(2), "|", m.padEnd(60), "|", l);
