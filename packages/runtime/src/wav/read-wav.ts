import { readFile } from 'node:fs/promises';
import { QuellError } from '../errors.js';
import { decodeSamples, scanWavHeader, WavFormatError } from './wav-format.js';

export { WavFormatError };

/** Decoded PCM audio: interleaved float32 samples in [-1, 1]. */
export interface PcmAudio {
  sampleRateHz: number;
  channelCount: number;
  /** Interleaved samples; length = frameCount * channelCount. */
  samples: Float32Array;
  frameCount: number;
}

/** Decodes WAV bytes (8/16/24/32-bit integer PCM or 32/64-bit float, any channel count). */
export function decodeWav(bytes: Uint8Array, label = 'input'): PcmAudio {
  const scan = scanWavHeader(bytes, bytes.length, label);
  // With the whole file in hand, a request for more bytes means the header runs past the end.
  if (!('format' in scan)) throw new WavFormatError(`${label} is not a valid WAV file (truncated header); convert it with e.g. 'sox in out.wav'`);
  const { format } = scan;
  const samples = new Float32Array(format.frameCount * format.channelCount);
  decodeSamples(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), format.dataOffset, format.encoding, samples.length, samples, 0);
  return { sampleRateHz: format.sampleRateHz, channelCount: format.channelCount, samples, frameCount: format.frameCount };
}

/** Reads a whole WAV file into memory (offline use); see {@link decodeWav}. A missing or unreadable file rejects with QuellError ERR_NO_INPUT. */
export async function readWav(path: string): Promise<PcmAudio> {
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new QuellError('ERR_NO_INPUT', `cannot read '${path}' (${err.code ?? err.message}): check the path`, { cause: err });
  });
  return decodeWav(bytes, path);
}
