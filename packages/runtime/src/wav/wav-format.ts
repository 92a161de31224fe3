import { QuellError } from '../errors.js';

/** Thrown for a file that is not a readable PCM/float WAV. `code` is stable. */
export class WavFormatError extends QuellError {
  constructor(message: string) {
    super('ERR_WAV_FORMAT', message);
  }
}

/** How one sample is stored in the data chunk. */
export type WavEncoding = 'uint8' | 'int16' | 'int24' | 'int32' | 'float32' | 'float64';

/** What a WAV header says about its audio, and where the samples are. */
export interface WavFormat {
  sampleRateHz: number;
  channelCount: number;
  encoding: WavEncoding;
  bytesPerFrame: number;
  /** Whole frames in the data chunk. */
  frameCount: number;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

function encodingOf(formatTag: number, bits: number): WavEncoding | undefined {
  if (formatTag === FORMAT_FLOAT) return bits === 32 ? 'float32' : bits === 64 ? 'float64' : undefined;
  if (formatTag !== FORMAT_PCM) return undefined;
  return ({ 8: 'uint8', 16: 'int16', 24: 'int24', 32: 'int32' } as const)[bits as 8 | 16 | 24 | 32];
}

/** A u32 RIFF size of all ones: "unknown" (a streaming writer), or "see ds64" in RF64. */
const U32_UNKNOWN = 0xffff_ffff;
/** Largest file a plain RIFF header can describe: its u32 size plus the 8 bytes before it. */
const RIFF_MAX_BYTES = U32_UNKNOWN + 8;

/** Result of looking at the start of a file: the format, or how many leading bytes are needed to find it. */
export type WavHeaderScan = { format: WavFormat } | { needBytes: number };

/**
 * Walks the RIFF chunks at the start of a WAV file up to the data chunk.
 * `head` is the file's first bytes and `fileBytes` its size; when the data
 * chunk starts beyond `head` the scan asks for more. Integer PCM of 8 to 32
 * bits and 32/64-bit float are read, plain or WAVE_FORMAT_EXTENSIBLE, in RIFF
 * or RF64/BW64 (64-bit sizes in a ds64 chunk, for files over 4 GiB); a data
 * size of 0, 0xFFFFFFFF without ds64, or past the end (a writer that was
 * killed, a stream) means "to the end of the file". A plain RIFF file over
 * 4 GiB with any other data size is refused (its size has wrapped). Throws
 * WavFormatError naming what is wrong.
 */
export function scanWavHeader(head: Uint8Array, fileBytes: number, label: string): WavHeaderScan {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const text = (at: number): string => String.fromCharCode(head[at], head[at + 1], head[at + 2], head[at + 3]);
  const convert = "; convert it with e.g. 'sox in out.wav' or 'ffmpeg -i in out.wav'";
  // More of the head, which must lie inside the file: a truncated header never asks for bytes that are not there.
  const need = (bytes: number): WavHeaderScan => {
    if (bytes > fileBytes) throw new WavFormatError(`${label} is truncated: ${fileBytes} bytes, its header needs ${bytes}${convert}`);
    return { needBytes: bytes };
  };
  if (head.length < 12) {
    if (fileBytes > head.length) return need(12);
    throw new WavFormatError(`${label} is not a valid WAV file (too short)${convert}`);
  }
  const riff = text(0);
  if ((riff !== 'RIFF' && riff !== 'RF64' && riff !== 'BW64') || text(8) !== 'WAVE') throw new WavFormatError(`${label} is not a valid WAV file (no RIFF/WAVE header)${convert}`);
  let fmt: Omit<WavFormat, 'frameCount' | 'dataOffset'> | undefined;
  /** RF64/BW64: the data size from the ds64 chunk (the data chunk's own u32 size is then 0xFFFFFFFF). */
  let dataBytes64: number | undefined;
  let at = 12;
  for (;;) {
    if (at + 8 > head.length) {
      if (at + 8 <= fileBytes) return need(at + 8);
      throw new WavFormatError(`${label} has no data chunk${convert}`);
    }
    const id = text(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + 16 > head.length) return need(body + Math.max(size, 16));
      let formatTag = view.getUint16(body, true);
      const channelCount = view.getUint16(body + 2, true);
      const sampleRateHz = view.getUint32(body + 4, true);
      const bits = view.getUint16(body + 14, true);
      if (formatTag === FORMAT_EXTENSIBLE) {
        if (body + 26 > head.length) return need(body + 26);
        formatTag = view.getUint16(body + 24, true);
      }
      const encoding = encodingOf(formatTag, bits);
      if (!encoding) throw new WavFormatError(`${label} has unsupported WAV sample format (tag ${formatTag}, ${bits} bits): use PCM 8/16/24/32-bit or float 32/64-bit${convert}`);
      if (channelCount === 0 || sampleRateHz === 0) throw new WavFormatError(`${label} has no sample rate or channel count in its fmt chunk`);
      fmt = { sampleRateHz, channelCount, encoding, bytesPerFrame: channelCount * (bits / 8) };
    } else if (id === 'ds64' && riff !== 'RIFF') {
      if (body + 16 > head.length) return need(body + 16);
      dataBytes64 = view.getUint32(body + 8, true) + view.getUint32(body + 12, true) * 2 ** 32;
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError(`${label} has its data chunk before the fmt chunk${convert}`);
      const available = fileBytes - body;
      let declared = size === U32_UNKNOWN && dataBytes64 !== undefined ? dataBytes64 : size;
      if (riff === 'RIFF' && size !== 0 && size !== U32_UNKNOWN && fileBytes > RIFF_MAX_BYTES) {
        // A plain RIFF size cannot describe more than 4 GiB: this one has wrapped, or the file has grown past what it says.
        throw new WavFormatError(
          `${label} is ${(fileBytes / 2 ** 30).toFixed(2)} GiB, more than a RIFF WAV's 32-bit sizes can describe (its data chunk says ${size} bytes): write it as RF64 (e.g. 'ffmpeg -i in.wav -rf64 auto out.wav') or split it`,
        );
      }
      if (size === U32_UNKNOWN && dataBytes64 === undefined) declared = available;
      const dataBytes = declared === 0 || declared > available ? available : declared;
      return { format: { ...fmt, frameCount: Math.floor(dataBytes / fmt.bytesPerFrame), dataOffset: body } };
    }
    // Chunks are padded to an even length.
    at = body + size + (size & 1);
  }
}

/** Bytes of one sample of `encoding`. */
export function bytesPerSample(encoding: WavEncoding): number {
  return { uint8: 1, int16: 2, int24: 3, int32: 4, float32: 4, float64: 8 }[encoding];
}

/**
 * Converts `count` samples starting at byte `from` of `view` into `out` from
 * `outAt`, as float32 in [-1, 1] (integers scaled by 2^-(bits-1); 8-bit is unsigned).
 */
export function decodeSamples(view: DataView, from: number, encoding: WavEncoding, count: number, out: Float32Array, outAt: number): void {
  switch (encoding) {
    case 'uint8':
      for (let i = 0; i < count; i++) out[outAt + i] = (view.getUint8(from + i) - 128) / 128;
      break;
    case 'int16':
      for (let i = 0; i < count; i++) out[outAt + i] = view.getInt16(from + 2 * i, true) / 32768;
      break;
    case 'int24':
      for (let i = 0, b = from; i < count; i++, b += 3) out[outAt + i] = (((view.getUint16(b, true) | (view.getUint8(b + 2) << 16)) << 8) >> 8) / 8388608;
      break;
    case 'int32':
      for (let i = 0; i < count; i++) out[outAt + i] = view.getInt32(from + 4 * i, true) / 2147483648;
      break;
    case 'float32':
      for (let i = 0; i < count; i++) out[outAt + i] = view.getFloat32(from + 4 * i, true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[outAt + i] = view.getFloat64(from + 8 * i, true);
      break;
  }
}
