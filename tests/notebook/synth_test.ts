import assert from "node:assert/strict";
import {
  findSoundFont,
  renderMidiToWav,
  renderWav,
  type SynthNote,
} from "../../lib/notebook/synth.ts";
import { notesToMidi } from "../../lib/music/midi.ts";

/** Reads the canonical 44-byte header and the samples of a 16-bit mono WAV. */
function readWav(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  const dataBytes = view.getUint32(40, true);
  const samples = new Int16Array(dataBytes / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(44 + 2 * i, true);
  return {
    riff: tag(0),
    riffSize: view.getUint32(4, true),
    wave: tag(8),
    fmt: tag(12),
    fmtSize: view.getUint32(16, true),
    format: view.getUint16(20, true),
    channels: view.getUint16(22, true),
    sampleRate: view.getUint32(24, true),
    byteRate: view.getUint32(28, true),
    blockAlign: view.getUint16(32, true),
    bits: view.getUint16(34, true),
    data: tag(36),
    dataBytes,
    samples,
  };
}

function peak(samples: Int16Array, from = 0, to = samples.length): number {
  let p = 0;
  for (let i = from; i < to; i++) p = Math.max(p, Math.abs(samples[i]));
  return p;
}

const melody: SynthNote[] = [
  { pitch: 60, start: 0, duration: 0.5, velocity: 100 },
  { pitch: 64, start: 0.5, duration: 0.5, velocity: 100 },
];

Deno.test("renderWav() writes a 16-bit PCM mono RIFF/WAVE header with matching byte counts", () => {
  const bytes = renderWav(melody, { sampleRate: 8000 });
  const wav = readWav(bytes);
  assert.equal(wav.riff, "RIFF");
  assert.equal(wav.wave, "WAVE");
  assert.equal(wav.fmt, "fmt ");
  assert.equal(wav.fmtSize, 16);
  assert.equal(wav.format, 1);
  assert.equal(wav.channels, 1);
  assert.equal(wav.sampleRate, 8000);
  assert.equal(wav.byteRate, 16000);
  assert.equal(wav.blockAlign, 2);
  assert.equal(wav.bits, 16);
  assert.equal(wav.data, "data");
  assert.equal(wav.dataBytes, bytes.length - 44);
  assert.equal(wav.riffSize, bytes.length - 8);
});

Deno.test("renderWav() uses 22050 Hz when no sample rate is given", () => {
  assert.equal(readWav(renderWav(melody)).sampleRate, 22050);
});

Deno.test("renderWav() lasts until the last note's end plus releaseSec", () => {
  const wav = readWav(renderWav(melody, { sampleRate: 8000, releaseSec: 0.25 }));
  assert.equal(wav.samples.length, 10000); // (1.0 s + 0.25 s) * 8000
  const noRelease = readWav(renderWav(melody, { sampleRate: 8000, releaseSec: 0 }));
  assert.equal(noRelease.samples.length, 8000);
});

Deno.test("renderWav() is silent where no note sounds and audible where one does", () => {
  const notes = [
    { pitch: 60, start: 0, duration: 0.5 },
    { pitch: 67, start: 2, duration: 0.5 },
  ];
  const { samples } = readWav(renderWav(notes, { sampleRate: 8000, releaseSec: 0.25 }));
  assert.equal(samples.length, 22000);
  assert.equal(peak(samples, 6001, 16000), 0, "gap between 0.75 s and 2.0 s");
  assert.ok(peak(samples, 0, 4000) > 1000, "first note");
  assert.ok(peak(samples, 16000, 20000) > 1000, "second note");
});

Deno.test("renderWav() keeps a dense loud chord below the ceiling without clipping", () => {
  const chord = Array.from({ length: 16 }, (_, i) => ({
    pitch: 36 + 3 * i,
    start: 0,
    duration: 1,
    velocity: 127,
  }));
  const { samples } = readWav(renderWav(chord, { sampleRate: 8000, ceiling: 0.8 }));
  const p = peak(samples);
  assert.ok(p <= Math.round(0.8 * 32767), `peak ${p} above the ceiling`);
  assert.ok(p > 0.5 * 32767, `peak ${p}: the chord should still be loud`);
});

Deno.test("renderWav() plays higher velocities louder", () => {
  const soft = readWav(renderWav([{ pitch: 60, start: 0, duration: 0.5, velocity: 30 }]));
  const loud = readWav(renderWav([{ pitch: 60, start: 0, duration: 0.5, velocity: 120 }]));
  assert.ok(peak(loud.samples) > 2 * peak(soft.samples));
});

Deno.test("renderWav() starts each note from zero (no click at the onset)", () => {
  const { samples } = readWav(renderWav([{ pitch: 72, start: 0, duration: 0.5, velocity: 127 }]));
  assert.equal(samples[0], 0);
  assert.ok(Math.abs(samples[1]) < 500, `second sample ${samples[1]}`);
});

Deno.test("renderWav() places notes by accumulating step when start is missing", () => {
  const bySteps = renderWav([
    { pitch: 60, step: 0, duration: 0.5 },
    { pitch: 64, step: 0.5, duration: 0.5 },
  ]);
  const byStarts = renderWav([
    { pitch: 60, start: 0, duration: 0.5 },
    { pitch: 64, start: 0.5, duration: 0.5 },
  ]);
  assert.deepEqual(bySteps, byStarts);
});

Deno.test("renderWav() gives a valid empty WAV for no notes", () => {
  const wav = readWav(renderWav([]));
  assert.equal(wav.riff, "RIFF");
  assert.equal(wav.dataBytes, 0);
});

Deno.test("renderWav() throws naming the note when its pitch is not a number", () => {
  assert.throws(
    () => renderWav([melody[0], { pitch: NaN, start: 1, duration: 0.5 }]),
    /notes\[1\].*pitch NaN/,
  );
});

Deno.test("renderWav() throws naming sampleRate when it is out of range", () => {
  assert.throws(() => renderWav(melody, { sampleRate: 10 }), /sampleRate: expected/);
  assert.throws(() => renderWav(melody, { sampleRate: 8000.5 }), /sampleRate: expected a whole/);
});

Deno.test("renderMidiToWav() falls back to the built-in synth when fluidsynth is missing", async () => {
  const result = await renderMidiToWav(melody, {
    fluidsynthPath: "/no/such/dir/fluidsynth",
    soundFont: findSoundFont(),
  });
  assert.equal(result.renderer, "builtin");
  assert.match(result.fallbackReason ?? "", /not found|SoundFont|no SoundFont/);
  assert.deepEqual(result.wav, renderWav(melody));
  assert.equal(result.sampleRate, 22050);
  assert.ok(Math.abs(result.durationSec - 1.25) < 1e-3);
});

Deno.test("renderMidiToWav() uses the built-in synth when useFluidsynth is false", async () => {
  const result = await renderMidiToWav(melody, { useFluidsynth: false, sampleRate: 8000 });
  assert.equal(result.renderer, "builtin");
  assert.equal(result.fallbackReason, "useFluidsynth is false");
  assert.deepEqual(result.wav, renderWav(melody, { sampleRate: 8000 }));
});

Deno.test("renderMidiToWav() falls back naming the file when the SoundFont is not one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fake = `${dir}/fake.sf2`;
    await Deno.writeTextFile(fake, "not a soundfont");
    const result = await renderMidiToWav(melody, { soundFont: fake });
    assert.equal(result.renderer, "builtin");
    assert.match(result.fallbackReason ?? "", /fake\.sf2.*expected a RIFF/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderMidiToWav() plays MIDI bytes with the built-in synth", async () => {
  const bytes = notesToMidi(melody);
  const result = await renderMidiToWav(bytes, { useFluidsynth: false, sampleRate: 8000 });
  const wav = readWav(result.wav);
  assert.equal(wav.samples.length, 10000);
  assert.ok(peak(wav.samples) > 1000);
});

Deno.test("renderMidiToWav() throws when the MIDI bytes are not MIDI", async () => {
  await assert.rejects(() => renderMidiToWav(new Uint8Array(20)), /not a MIDI file/);
});

function fluidsynthInstalled(): boolean {
  try {
    return new Deno.Command("fluidsynth", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "renderMidiToWav() uses fluidsynth when it and a SoundFont are installed",
  ignore: !fluidsynthInstalled() || findSoundFont() === undefined,
  fn: async () => {
    const result = await renderMidiToWav(melody, { sampleRate: 22050 });
    assert.equal(result.renderer, "fluidsynth", result.fallbackReason);
    assert.ok(result.soundFont);
    const wav = readWav(result.wav);
    assert.equal(wav.channels, 1);
    assert.equal(wav.sampleRate, 22050);
    assert.ok(wav.samples.length >= 22050, `only ${wav.samples.length} samples`);
    assert.ok(peak(wav.samples) <= Math.round(0.89 * 32767) + 1);
  },
});
