import { renderMidiToWav } from "../../lib/synth.ts";
for (const f of ["data/tunes/pd-greensleeves.mid", "data/tunes/study-03-f-major.mid"]) {
  const b = Deno.readFileSync(f);
  for (const use of [true, false]) {
    const t = performance.now();
    const r = await renderMidiToWav(b, { useFluidsynth: use });
    console.log(f, r.renderer, r.durationSec.toFixed(1), (performance.now() - t).toFixed(0), "ms", r.fallbackReason ?? "");
    Deno.writeFileSync(`/tmp/${r.renderer}-${f.split("/").pop()}.wav`, r.wav);
  }
}
