/**
 * Private helpers: write and read 16-bit PCM WAV bytes.
 *
 * @module
 */

/** Size of the canonical WAV header written by {@linkcode encodeWav}, in bytes. */
export const WAV_HEADER_BYTES = 44;

/**
 * Encodes mono samples in [-1, 1] as a 16-bit PCM mono WAV file. Samples outside the range
 * are clamped; the input is not changed.
 */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(WAV_HEADER_BYTES + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const v = Math.round((s > 1 ? 1 : s < -1 ? -1 : s) * 32767);
    pcm[i] = v;
  }
  // Int16Array is platform-endian; WAV is little-endian, as are all Deno targets, but be exact.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
    out.set(new Uint8Array(pcm.buffer), WAV_HEADER_BYTES);
  } else {
    for (let i = 0; i < pcm.length; i++) view.setInt16(WAV_HEADER_BYTES + 2 * i, pcm[i], true);
  }
  return out;
}

/** A decoded 16-bit PCM WAV file. */
export interface DecodedWav {
  sampleRate: number;
  /** One array of samples in [-1, 1) per channel. */
  channels: Float32Array[];
}

/**
 * Decodes a 16-bit PCM WAV file (any channel count), walking its chunks.
 *
 * @param name used in error messages
 * @throws {Error} naming `name` when the bytes are not 16-bit PCM WAV
 */
export function decodeWav(bytes: Uint8Array, name = "<wav>"): DecodedWav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") {
    throw new Error(`${name}: expected a RIFF/WAVE file, got ${JSON.stringify(tag(0))}`);
  }
  let offset = 12;
  let format = -1;
  let channelCount = 0;
  let sampleRate = 0;
  let bits = 0;
  let data: { start: number; length: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      format = view.getUint16(body, true);
      channelCount = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
    } else if (id === "data") {
      data = { start: body, length: Math.min(size, bytes.length - body) };
      break;
    }
    offset = body + size + (size % 2);
  }
  if (format !== 1 || bits !== 16 || channelCount < 1) {
    throw new Error(
      `${name}: expected 16-bit PCM WAV, got format ${format}, ${bits} bits, ${channelCount} channels`,
    );
  }
  if (!data) throw new Error(`${name}: expected a "data" chunk, found none`);
  const frames = Math.floor(data.length / (2 * channelCount));
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  let p = data.start;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channelCount; c++, p += 2) channels[c][i] = view.getInt16(p, true) / 32768;
  }
  return { sampleRate, channels };
}
