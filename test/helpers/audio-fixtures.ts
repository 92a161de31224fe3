import { join } from 'node:path';
import { PolyphaseResampler } from '@quell/inference';
import { resolveTestAudio } from '@quell/inference/testing';
import { readWav, writeWav, type PcmAudio } from '@quell/runtime';

/** A shared test recording (sha256-checked), decoded. */
export async function testAudio(name: string): Promise<PcmAudio> {
  return readWav(await resolveTestAudio(name));
}

/** Resamples a whole mono signal with Quell's streaming resampler (same delay for every signal, so pairs stay aligned). */
export function resampleWhole(samples: Float32Array, fromHz: number, toHz: number): Float32Array {
  const resampler = new PolyphaseResampler(fromHz, toHz);
  const out = new Float32Array(resampler.maxOutputFrames(samples.length));
  const n = resampler.process(samples, out);
  return out.slice(0, n);
}

/** Writes mono samples to dir/name and returns the path. */
export async function writeMono(dir: string, name: string, samples: Float32Array, rateHz: number): Promise<string> {
  const path = join(dir, name);
  await writeWav(path, samples, rateHz, 1);
  return path;
}
