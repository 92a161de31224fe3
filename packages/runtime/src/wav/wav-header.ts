/** Sample encodings the writer supports. */
export type WavSampleFormat = 'float32' | 'int16';

const HEADER_BYTES = 44;

/**
 * Builds a canonical 44-byte WAV header. For float32 it uses format tag 3
 * (IEEE float) with a 16-byte fmt chunk, which sox, ffmpeg and wavefile accept.
 */
export function buildWavHeader(sampleRateHz: number, channelCount: number, format: WavSampleFormat, dataBytes: number): Buffer {
  const bytesPerSample = format === 'float32' ? 4 : 2;
  const header = Buffer.alloc(HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(format === 'float32' ? 3 : 1, 20);
  header.writeUInt16LE(channelCount, 22);
  header.writeUInt32LE(sampleRateHz, 24);
  header.writeUInt32LE(sampleRateHz * channelCount * bytesPerSample, 28);
  header.writeUInt16LE(channelCount * bytesPerSample, 32);
  header.writeUInt16LE(bytesPerSample * 8, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

export const WAV_HEADER_BYTES = HEADER_BYTES;
