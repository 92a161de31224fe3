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

/** Runs of at least 1 ms where a recorded tone is silent (|x| < 1e-3: a sine of amplitude 0.1 or more at 440 Hz stays under it for one sample per zero crossing). */
export function silentRuns(x: Float32Array, rateHz: number): { startFrame: number; frames: number }[] {
  const minFrames = rateHz / 1000;
  const runs: { startFrame: number; frames: number }[] = [];
  let start = -1;
  // Skip the silence before the tone first arrives.
  let i = x.findIndex((v) => Math.abs(v) >= 1e-3);
  if (i < 0) return runs;
  for (; i <= x.length; i++) {
    const quiet = i < x.length && Math.abs(x[i]) < 1e-3;
    if (quiet && start < 0) start = i;
    else if (!quiet && start >= 0) {
      // A run that reaches the end of the recording is the end of the run, not a gap.
      if (i - start >= minFrames && i < x.length) runs.push({ startFrame: start, frames: i - start });
      start = -1;
    }
  }
  return runs;
}

/** The first block of `blockFrames` in [from, to) whose peak is under `threshold` (a concealed or missing chunk of a steady tone); -1 when none. */
export function firstQuietBlock(x: Float32Array, blockFrames: number, threshold: number, from = 0, to = x.length): number {
  for (let b = Math.ceil(from / blockFrames); (b + 1) * blockFrames <= Math.min(to, x.length); b++) {
    let peak = 0;
    for (let i = b * blockFrames; i < (b + 1) * blockFrames; i++) peak = Math.max(peak, Math.abs(x[i]));
    if (peak < threshold) return b;
  }
  return -1;
}
