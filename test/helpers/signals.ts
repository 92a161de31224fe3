import { writeWav } from '@quell/runtime';

/** Largest |x[i] - x[i-1]| over [from, to) of one channel (interleaved with `channels`). */
export function maxStep(x: Float32Array, from = 1, to = x.length, channels = 1, channel = 0): number {
  let worst = 0;
  const start = Math.max(channels + channel, from - (from % channels) + channel);
  for (let i = start; i < to; i += channels) worst = Math.max(worst, Math.abs(x[i] - x[i - channels]));
  return worst;
}

/**
 * A deterministic test programme: three tones with a slow tremolo, plus
 * quiet noise, so every chunk differs and sample identity is meaningful.
 */
export function testSignal(sampleRateHz: number, seconds: number, channels = 1): Float32Array {
  const frames = Math.round(sampleRateHz * seconds);
  const out = new Float32Array(frames * channels);
  let seed = 1;
  for (let f = 0; f < frames; f++) {
    const t = f / sampleRateHz;
    seed = (seed * 1664525 + 1013904223) >>> 0;
    const noise = (seed / 0xffff_ffff - 0.5) * 0.02;
    const tremolo = 0.75 + 0.25 * Math.sin(2 * Math.PI * 0.5 * t);
    const v = tremolo * (0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.2 * Math.sin(2 * Math.PI * 440 * t) + 0.1 * Math.sin(2 * Math.PI * 1000 * t)) + noise;
    for (let c = 0; c < channels; c++) out[f * channels + c] = c === 0 ? v : -v;
  }
  return out;
}

export async function writeTestSignal(path: string, sampleRateHz: number, seconds: number, channels = 1): Promise<Float32Array> {
  const samples = testSignal(sampleRateHz, seconds, channels);
  await writeWav(path, samples, sampleRateHz, channels, 'float32');
  return samples;
}
