import { Packr } from 'msgpackr';
import { FieldTypes, isPlainMap } from './field-types.js';
import { WireLimits, type FrameHeader } from './frame-header.js';
import { FRAME_HEADER_SCHEMA, type FrameHeaderField } from './frame-schema.js';
import { REJECT_REASONS, type RejectReason } from './reject-reason.js';

// Plain MessagePack maps (no msgpackr record extension), so any MessagePack
// implementation can speak the protocol; 64-bit integers (what most encoders
// write for a large int) decode to numbers, checked by value like any other.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** A decoded frame: the samples view shares memory with the received buffer. */
export interface DecodedFrame {
  ok: true;
  header: FrameHeader;
  samples: Float32Array;
}

export interface RejectedFrame {
  ok: false;
  reason: RejectReason;
  /** The header field at fault, when one is (`reason` is then `version`, `field`, `sample-rate`, `channel-count` or `frame-count`). */
  field: FrameHeaderField | null;
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

// One frozen result per reason and per header field, so a flood of bad frames allocates nothing.
const REJECT = Object.fromEntries(REJECT_REASONS.map((reason) => [reason, Object.freeze({ ok: false, reason, field: null })])) as Record<RejectReason, RejectedFrame>;
const REJECT_FIELD = Object.fromEntries(
  Object.entries(FRAME_HEADER_SCHEMA).map(([field, spec]) => [field, Object.freeze({ ok: false, reason: spec.reject, field })]),
) as Record<FrameHeaderField, RejectedFrame>;

// The schema as an array, built once: decodeFrame runs per chunk and walks it by index (no for-in per frame).
const HEADER_CHECKS = Object.entries(FRAME_HEADER_SCHEMA).map(([field, spec]) => ({
  field,
  check: spec.type.check,
  optional: 'optional' in spec,
  reject: REJECT_FIELD[field as FrameHeaderField],
}));

/** The first header field out of type or range, checked in {@link FRAME_HEADER_SCHEMA}'s order, or null. */
function checkHeader(h: Record<string, unknown>): RejectedFrame | null {
  for (let i = 0; i < HEADER_CHECKS.length; i++) {
    const c = HEADER_CHECKS[i];
    const value = h[c.field];
    if (value === undefined ? !c.optional : !c.check(value)) return c.reject;
  }
  return null;
}

/** A node id: a non-empty string of at most {@link WireLimits.maxNodeIdLength} characters. */
export function isNodeId(x: unknown): x is string {
  return FieldTypes.nodeId.check(x);
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
  if (!isPlainMap(raw)) return REJECT['header-decode'];
  const rejected = checkHeader(raw);
  if (rejected) return rejected;
  const header = raw as unknown as FrameHeader;
  const expectedBytes = header.frameCount * header.channelCount * 4;
  if (body.length !== expectedBytes) return REJECT['length-mismatch'];
  const samples =
    body.byteOffset % 4 === 0
      ? new Float32Array(body.buffer, body.byteOffset, expectedBytes / 4)
      : new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + expectedBytes));
  if (!allFinite(samples)) return REJECT['non-finite'];
  return { ok: true, header, samples };
}
