import { open, readFile } from 'node:fs/promises';
import { QuellError } from '../errors.js';
import { decodeSamples, scanWavHeader, WavFormatError, type WavFormat } from './wav-format.js';

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

/**
 * Reads only a WAV file's header: its format and frame count, whatever the
 * file's size (RF64 included). Rejects with QuellError ERR_NO_INPUT for a
 * missing or unreadable file and WavFormatError for one that is not a usable WAV.
 */
export async function readWavFormat(path: string): Promise<WavFormat> {
  const file = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new QuellError('ERR_NO_INPUT', `cannot read '${path}' (${err.code ?? err.message}): check the path`, { cause: err });
  });
  try {
    const fileBytes = (await file.stat()).size;
    let headBytes = Math.min(4096, fileBytes);
    for (;;) {
      const head = Buffer.alloc(headBytes);
      const { bytesRead } = await file.read(head, 0, headBytes, 0);
      const scan = scanWavHeader(head.subarray(0, bytesRead), fileBytes, path);
      if ('format' in scan) return scan.format;
      headBytes = Math.min(fileBytes, Math.max(scan.needBytes, 2 * headBytes));
    }
  } finally {
    await file.close();
  }
}
