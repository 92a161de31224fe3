import { FieldTypes, mapOf, type FieldType, type MapSchema } from './field-types.js';
import { FRAME_FLAGS_MASK, PROTOCOL_VERSION } from './frame-header.js';
import type { RejectReason } from './reject-reason.js';

const handoverSchema: MapSchema = {
  from: { type: FieldTypes.nodeId },
  to: { type: FieldTypes.nodeId },
  atSeq: { type: FieldTypes.u32 },
  fadeChunks: { type: FieldTypes.fadeChunks },
};

const version: FieldType = { name: `${PROTOCOL_VERSION}`, check: (x) => x === PROTOCOL_VERSION };
const flags: FieldType = { name: 'u32 flags', check: (x) => FieldTypes.u32.check(x) && ((x as number) & ~FRAME_FLAGS_MASK) === 0 };

/**
 * The data frame header's fields in the order a receiver checks them, and the
 * reject reason of each: the single source of truth for decodeFrame and for
 * docs/PROTOCOL.md's header table (a test compares the two).
 */
export const FRAME_HEADER_SCHEMA = {
  v: { type: version, reject: 'version' },
  stream: { type: FieldTypes.u32, reject: 'field' },
  seq: { type: FieldTypes.u32, reject: 'field' },
  ts: { type: FieldTypes.u32, reject: 'field' },
  flags: { type: flags, reject: 'field' },
  delayFrames: { type: FieldTypes.u32, reject: 'field' },
  captureTimeUs: { type: FieldTypes.nonNegative, reject: 'field' },
  sampleRateHz: { type: FieldTypes.sampleRate, reject: 'sample-rate' },
  channelCount: { type: FieldTypes.channelCount, reject: 'channel-count' },
  frameCount: { type: FieldTypes.frameCount, reject: 'frame-count' },
  node: { type: FieldTypes.nodeId, reject: 'field', optional: true },
  handover: { type: mapOf('handover map', handoverSchema), reject: 'field', optional: true },
} as const satisfies Record<string, { type: FieldType; reject: RejectReason; optional?: boolean }>;

/** The hand-over map's fields (docs/PROTOCOL.md). */
export const HANDOVER_SCHEMA = handoverSchema;

export type FrameHeaderField = keyof typeof FRAME_HEADER_SCHEMA;
