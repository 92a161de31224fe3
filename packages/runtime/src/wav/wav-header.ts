/** Sample encodings the writer supports. */
export type WavSampleFormat = 'float32' | 'int16';

/** RIFF(12) + JUNK or ds64 (8 + 28) + fmt (8 + 16) + data chunk head (8). */
const HEADER_BYTES = 80;
const DS64_BODY_BYTES = 28;
/** The largest RIFF size a u32 holds; a file past it is written as RF64. */
const RIFF_MAX_SIZE = 0xffff_ffff;

/**
 * Builds the 80-byte header the writers use. Up to 4 GiB it is a plain RIFF
 * WAV with a 28-byte JUNK chunk after "WAVE" (readers skip it); past that,
 * the same bytes become RF64 (EBU Tech 3306): the JUNK chunk turns into the
 * ds64 chunk with the 64-bit sizes, and the u32 sizes read 0xFFFFFFFF. So a
 * streaming writer, which learns the length only at the end, can always
 * patch the header in place. For float32 the fmt chunk has format tag 3 (IEEE
 * float) and 16 bytes, which sox, ffmpeg and wavefile accept.
 */
export function buildWavHeader(sampleRateHz: number, channelCount: number, format: WavSampleFormat, dataBytes: number): Buffer {
  const bytesPerSample = format === 'float32' ? 4 : 2;
  const header = Buffer.alloc(HEADER_BYTES);
  const riffBytes = HEADER_BYTES - 8 + dataBytes;
  const rf64 = riffBytes > RIFF_MAX_SIZE;
  header.write(rf64 ? 'RF64' : 'RIFF', 0, 'ascii');
  header.writeUInt32LE(rf64 ? RIFF_MAX_SIZE : riffBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write(rf64 ? 'ds64' : 'JUNK', 12, 'ascii');
  header.writeUInt32LE(DS64_BODY_BYTES, 16);
  if (rf64) {
    writeU64(header, 20, riffBytes);
    writeU64(header, 28, dataBytes);
    writeU64(header, 36, dataBytes / (channelCount * bytesPerSample));
    // 44: no table of other chunk sizes.
  }
  header.write('fmt ', 48, 'ascii');
  header.writeUInt32LE(16, 52);
  header.writeUInt16LE(format === 'float32' ? 3 : 1, 56);
  header.writeUInt16LE(channelCount, 58);
  header.writeUInt32LE(sampleRateHz, 60);
  header.writeUInt32LE(sampleRateHz * channelCount * bytesPerSample, 64);
  header.writeUInt16LE(channelCount * bytesPerSample, 68);
  header.writeUInt16LE(bytesPerSample * 8, 70);
  header.write('data', 72, 'ascii');
  header.writeUInt32LE(rf64 ? RIFF_MAX_SIZE : dataBytes, 76);
  return header;
}

function writeU64(buffer: Buffer, at: number, value: number): void {
  buffer.writeUInt32LE(value % 2 ** 32, at);
  buffer.writeUInt32LE(Math.floor(value / 2 ** 32), at + 4);
}

export const WAV_HEADER_BYTES = HEADER_BYTES;
