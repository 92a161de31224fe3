import { writeFile } from 'node:fs/promises';
import { buildWavHeader, type WavSampleFormat } from './wav-header.js';

/** Encodes interleaved float samples as a complete WAV file in memory. */
export function encodeWav(samples: Float32Array, sampleRateHz: number, channelCount: number, format: WavSampleFormat = 'float32'): Buffer {
  const bytesPerSample = format === 'float32' ? 4 : 2;
  const body = Buffer.alloc(samples.length * bytesPerSample);
  if (format === 'float32') {
    for (let i = 0; i < samples.length; i++) body.writeFloatLE(samples[i], i * 4);
  } else {
    for (let i = 0; i < samples.length; i++) {
      const clamped = Math.max(-1, Math.min(1, samples[i]));
      body.writeInt16LE(Math.round(clamped * 32767), i * 2);
    }
  }
  return Buffer.concat([buildWavHeader(sampleRateHz, channelCount, format, body.length), body]);
}

/** Writes a whole WAV file (tests, fixtures, offline tools). Streams use WavFileWriter. */
export async function writeWav(path: string, samples: Float32Array, sampleRateHz: number, channelCount: number, format: WavSampleFormat = 'float32'): Promise<void> {
  await writeFile(path, encodeWav(samples, sampleRateHz, channelCount, format));
}
