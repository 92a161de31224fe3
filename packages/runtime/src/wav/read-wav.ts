import { readFile } from 'node:fs/promises';
import wavefile from 'wavefile';
import { QuellError } from '../errors.js';

/** Decoded PCM audio: interleaved float32 samples in [-1, 1]. */
export interface PcmAudio {
  sampleRateHz: number;
  channelCount: number;
  /** Interleaved samples; length = frameCount * channelCount. */
  samples: Float32Array;
  frameCount: number;
}

/** Thrown for a file that is not a readable PCM/float WAV. `code` is stable. */
export class WavFormatError extends QuellError {
  constructor(message: string) {
    super('ERR_WAV_FORMAT', message);
  }
}

/** Decodes WAV bytes (8/16/24/32-bit integer PCM or 32/64-bit float, any channel count). */
export function decodeWav(bytes: Uint8Array, label = 'input'): PcmAudio {
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw new WavFormatError(`${label} is not a valid WAV file (${(err as Error).message}); convert it with e.g. 'sox in out.wav'`);
  }
  const fmt = wav.fmt as { sampleRate: number; numChannels: number };
  const bitDepth = wav.bitDepth;
  if (!fmt.sampleRate || !fmt.numChannels) {
    throw new WavFormatError(`${label} has no sample rate or channel count in its fmt chunk`);
  }
  // wavefile returns integer formats unscaled; floats are already in [-1, 1].
  const raw = wav.getSamples(true, Float64Array) as unknown as Float64Array;
  const samples = new Float32Array(raw.length);
  const isFloat = bitDepth === '32f' || bitDepth === '64';
  if (isFloat) {
    for (let i = 0; i < raw.length; i++) samples[i] = raw[i];
  } else {
    const bits = Number.parseInt(bitDepth, 10);
    if (!Number.isFinite(bits)) throw new WavFormatError(`${label} has unsupported WAV sample format '${bitDepth}'`);
    // 8-bit WAV is unsigned; wavefile already recentres it around 0.
    const scale = 1 / 2 ** (bits - 1);
    for (let i = 0; i < raw.length; i++) samples[i] = raw[i] * scale;
  }
  return {
    sampleRateHz: fmt.sampleRate,
    channelCount: fmt.numChannels,
    samples,
    frameCount: samples.length / fmt.numChannels,
  };
}

/** Reads a whole WAV file; see {@link decodeWav}. A missing or unreadable file rejects with QuellError ERR_NO_INPUT. */
export async function readWav(path: string): Promise<PcmAudio> {
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new QuellError('ERR_NO_INPUT', `cannot read '${path}' (${err.code ?? err.message}): check the path`, { cause: err });
  });
  return decodeWav(bytes, path);
}
