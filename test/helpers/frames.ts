import { encodeFrame, encodeHeader, FrameFlags, PROTOCOL_VERSION, type FrameHeader } from '@quell/protocol';

/** A valid header for chunk `seq` of `stream` (480 frames, 48 kHz mono unless overridden). */
export function chunkHeader(stream: number, seq: number, overrides: Partial<FrameHeader> = {}): FrameHeader {
  const frameCount = overrides.frameCount ?? 480;
  return {
    v: PROTOCOL_VERSION,
    stream,
    seq,
    ts: seq * frameCount,
    captureTimeUs: Math.round((performance.timeOrigin + performance.now()) * 1000),
    sampleRateHz: 48_000,
    channelCount: 1,
    frameCount,
    flags: 0,
    delayFrames: 0,
    ...overrides,
  };
}

/** A valid chunk whose samples encode (stream, seq) so the output can be checked. */
export function validChunk(stream: number, seq: number, last = false): Buffer[] {
  const samples = new Float32Array(480);
  for (let i = 0; i < samples.length; i++) samples[i] = ((seq * 480 + i) % 1000) / 2000 + stream / 100;
  return encodeFrame(chunkHeader(stream, seq, { flags: last ? FrameFlags.END_OF_STREAM : 0 }), samples);
}

/** Deterministic pseudo-random bytes. */
export function randomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Malformed messages whose reject reason is known, by reason. */
export function malformedMessages(stream: number, seed: number): { reason: string; parts: Buffer[] }[] {
  const nan = new Float32Array(480);
  nan[17] = Number.NaN;
  return [
    { reason: 'part-count', parts: [randomBytes(100, seed)] },
    { reason: 'part-count', parts: [...validChunk(stream, 0), Buffer.from('extra')] },
    { reason: 'header-decode', parts: [Buffer.from([0xc1]), Buffer.alloc(1920)] },
    { reason: 'header-size', parts: [randomBytes(5000, seed + 1), Buffer.alloc(1920)] },
    { reason: 'version', parts: encodeFrame(chunkHeader(stream, 0, { v: 99 }), new Float32Array(480)) },
    { reason: 'length-mismatch', parts: [encodeHeader(chunkHeader(stream, 0)), Buffer.alloc(1000)] },
    { reason: 'length-mismatch', parts: [encodeHeader(chunkHeader(stream, 0, { frameCount: 960 })), Buffer.alloc(1920)] },
    { reason: 'non-finite', parts: encodeFrame(chunkHeader(stream, 0), nan) },
    { reason: 'sample-rate', parts: encodeFrame(chunkHeader(stream, 0, { sampleRateHz: 7 }), new Float32Array(480)) },
    { reason: 'channel-count', parts: encodeFrame(chunkHeader(stream, 0, { channelCount: 99, frameCount: 4 }), new Float32Array(396)) },
  ];
}
