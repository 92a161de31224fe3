import { Packr } from 'msgpackr';
import { FRAME_FLAGS_MASK, PROTOCOL_VERSION, WireLimits, type FrameHeader } from './frame-header.js';
import type { RejectReason } from './reject-reason.js';

// Plain MessagePack maps (no msgpackr record extension), so any MessagePack
// implementation can speak the protocol.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** A decoded frame: the samples view shares memory with the received buffer. */
export interface DecodedFrame {
  ok: true;
  header: FrameHeader;
  samples: Float32Array;
}

export interface RejectedFrame {
  ok: false;
  reason: RejectReason;
}

export type DecodeResult = DecodedFrame | RejectedFrame;

/**
 * Encodes a header as MessagePack. The result is small (< 128 bytes), which
 * zeromq.js copies on send, so reuse of msgpackr's buffer is safe.
 */
export function encodeHeader(header: FrameHeader): Buffer {
  return packr.pack(header);
}

/**
 * Wraps samples as the second message part without copying. The caller must
 * not write into `samples` after handing the parts to a socket.
 */
export function samplesPart(samples: Float32Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** Builds the two message parts of a data frame. */
export function encodeFrame(header: FrameHeader, samples: Float32Array): [Buffer, Buffer] {
  return [encodeHeader(header), samplesPart(samples)];
}

function isU32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= WireLimits.maxU32;
}

const REJECT: Record<RejectReason, RejectedFrame> = Object.freeze({
  'part-count': { ok: false, reason: 'part-count' },
  'header-size': { ok: false, reason: 'header-size' },
  'header-decode': { ok: false, reason: 'header-decode' },
  version: { ok: false, reason: 'version' },
  field: { ok: false, reason: 'field' },
  'sample-rate': { ok: false, reason: 'sample-rate' },
  'channel-count': { ok: false, reason: 'channel-count' },
  'frame-count': { ok: false, reason: 'frame-count' },
  'length-mismatch': { ok: false, reason: 'length-mismatch' },
  'non-finite': { ok: false, reason: 'non-finite' },
}) as Record<RejectReason, RejectedFrame>;

/** Checks the header fields' types and ranges; returns the reject reason or null. */
function checkHeader(h: Record<string, unknown>): RejectReason | null {
  if (h.v !== PROTOCOL_VERSION) return 'version';
  if (!isU32(h.stream) || !isU32(h.seq) || !isU32(h.ts) || !isU32(h.flags) || !isU32(h.delayFrames)) return 'field';
  const t = h.captureTimeUs;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) return 'field';
  const rate = h.sampleRateHz;
  if (!Number.isInteger(rate) || (rate as number) < WireLimits.minSampleRateHz || (rate as number) > WireLimits.maxSampleRateHz) return 'sample-rate';
  const ch = h.channelCount;
  if (!Number.isInteger(ch) || (ch as number) < 1 || (ch as number) > WireLimits.maxChannelCount) return 'channel-count';
  const n = h.frameCount;
  if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > WireLimits.maxFrameCount) return 'frame-count';
  if (h.node !== undefined && !isNodeId(h.node)) return 'field';
  if (h.handover !== undefined && !isHandover(h.handover)) return 'field';
  return null;
}

/** A node id: a non-empty string of at most {@link WireLimits.maxNodeIdLength} characters. */
export function isNodeId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= WireLimits.maxNodeIdLength;
}

function isHandover(x: unknown): boolean {
  if (x === null || typeof x !== 'object' || Object.getPrototypeOf(x) !== Object.prototype) return false;
  const h = x as Record<string, unknown>;
  const fade = h.fadeChunks;
  return isNodeId(h.from) && isNodeId(h.to) && isU32(h.atSeq) && Number.isInteger(fade) && (fade as number) >= 1 && (fade as number) <= WireLimits.maxFadeChunks;
}

/** True when every sample is finite (x - x is NaN exactly for NaN and ±Inf). */
function allFinite(samples: Float32Array): boolean {
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    if (x - x !== 0) return false;
  }
  return true;
}

/**
 * Validates and decodes a received multipart message. Never throws: malformed
 * input yields `{ ok: false, reason }`. Samples are viewed in place when the
 * buffer is 4-byte aligned, else copied once into a fresh array.
 */
export function decodeFrame(parts: readonly Buffer[]): DecodeResult {
  if (parts.length !== 2) return REJECT['part-count'];
  const [headerBytes, body] = parts;
  if (headerBytes.length === 0 || headerBytes.length > WireLimits.maxHeaderBytes) return REJECT['header-size'];
  let raw: unknown;
  try {
    raw = packr.unpack(headerBytes);
  } catch {
    return REJECT['header-decode'];
  }
  // Only a MessagePack map decodes to a plain object (msgpackr maps 0xc1 and
  // extensions to class instances).
  if (raw === null || typeof raw !== 'object' || Object.getPrototypeOf(raw) !== Object.prototype) return REJECT['header-decode'];
  const reason = checkHeader(raw as Record<string, unknown>);
  if (reason) return REJECT[reason];
  const header = raw as FrameHeader;
  if (header.flags & ~FRAME_FLAGS_MASK) return REJECT.field;
  const expectedBytes = header.frameCount * header.channelCount * 4;
  if (body.length !== expectedBytes) return REJECT['length-mismatch'];
  const samples =
    body.byteOffset % 4 === 0
      ? new Float32Array(body.buffer, body.byteOffset, expectedBytes / 4)
      : new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + expectedBytes));
  if (!allFinite(samples)) return REJECT['non-finite'];
  return { ok: true, header, samples };
}
