import { Packr } from 'msgpackr';
import { arrayOf, FieldTypes, firstBadField, isPlainMap, mapOf, type FieldType, type MapSchema } from '../wire/field-types.js';

/**
 * Control messages between capture (a ROUTER, the router of the data path),
 * inference nodes (a DEALER each) and clients such as `quell swap` (a DEALER).
 * Each is one ZeroMQ part: a MessagePack map with a `type`. The sequence of
 * registration, warm-up, switch-at-seq, drain, rollback and crash recovery is
 * in docs/SWAP.md.
 */

/** A node's role at capture: `active` serves the streams, `candidate` is warming up to take them over, `draining` is giving them up. */
export type NodeRole = 'active' | 'candidate' | 'draining';

/** One inference node as capture sees it (in `status`). */
export interface NodeStatus {
  node: string;
  model: string;
  role: NodeRole;
  nativeRateHz: number;
  pid: number;
  metricsPort: number;
  /** Where the node sends its output (playback's endpoint), so a successor can be pointed at the same place. */
  outputEndpoint: string;
  /** Milliseconds since its last heartbeat. */
  silentMs: number;
  /** Its last reported load (CPU seconds of processing per second); absent before it reports one. */
  load?: number;
}

/** Which node and model serve one stream. */
export interface StreamRoute {
  stream: number;
  node: string;
  model: string;
  /** Next seq capture sends. */
  seq: number;
}

/** How a swap ended: `completed` (the candidate serves every stream) or `rolled-back` (the old node kept them). */
export type SwapOutcome = 'completed' | 'rolled-back';

export type ControlMessage =
  // inference node → capture
  /**
   * `dataKey`: the public CURVE key (Z85) the node proves on its data input;
   * capture's data socket for the node admits that key alone. Required when
   * capture's links use CURVE (the default), absent with plaintext links.
   */
  | { type: 'hello'; node: string; model: string; nativeRateHz: number; pid: number; metricsPort: number; outputEndpoint: string; dataKey?: string }
  /** `load`: seconds spent processing per second of wall time since the previous heartbeat (a node pool places streams by it). */
  | { type: 'heartbeat'; node: string; streams: [stream: number, lastSeq: number][]; load?: number }
  | { type: 'warmed'; node: string; stream: number; seq: number }
  | { type: 'progress'; node: string; stream: number; seq: number }
  | { type: 'drained'; node: string }
  | { type: 'bye'; node: string }
  /** The node was told to stop (pm2 reload or stop): hand its streams to another node first. */
  | { type: 'leaving'; node: string }
  // capture → inference node
  | { type: 'welcome'; inputEndpoint: string; role: NodeRole }
  | { type: 'warm-up'; stream: number; lastSeq: number }
  | { type: 'promote' }
  | { type: 'abort'; reason: string }
  | { type: 'drain' }
  /** Answer to `leaving` when no other node can take the streams: the node stops as it would without asking. */
  | { type: 'no-successor' }
  /** Answer to a heartbeat from a node capture does not know (capture restarted): say hello again. */
  | { type: 'unknown-node' }
  // client ↔ capture
  | { type: 'status-request' }
  | { type: 'status'; nodes: NodeStatus[]; streams: StreamRoute[] }
  | { type: 'watch' }
  | { type: 'swap'; outcome: SwapOutcome; from: string; to: string; reason: string; durationS: number };

export type ControlType = ControlMessage['type'];
export type ControlOf<T extends ControlType> = Extract<ControlMessage, { type: T }>;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Longest control message accepted, bytes (a status with many nodes and streams stays far below). */
export const MAX_CONTROL_BYTES = 64 * 1024;

const { u32, nodeId, text, nonNegative, curveKey, role, swapOutcome } = FieldTypes;
const streamSeqPair: FieldType = { name: '[u32 stream, u32 lastSeq]', check: (p) => Array.isArray(p) && p.length === 2 && u32.check(p[0]) && u32.check(p[1]) };

const NODE_STATUS: MapSchema = {
  node: { type: nodeId },
  model: { type: text },
  role: { type: role },
  nativeRateHz: { type: u32 },
  pid: { type: u32 },
  metricsPort: { type: u32 },
  outputEndpoint: { type: text },
  silentMs: { type: nonNegative },
  load: { type: nonNegative, optional: true },
};
const STREAM_ROUTE: MapSchema = { stream: { type: u32 }, node: { type: nodeId }, model: { type: text }, seq: { type: u32 } };

/**
 * Every control message's fields besides `type`, in the order a receiver
 * checks them: the single source of truth for decodeControl and for
 * docs/PROTOCOL.md's tables (a test compares the two).
 */
export const CONTROL_SCHEMA: { readonly [T in ControlType]: MapSchema } = {
  hello: {
    node: { type: nodeId },
    model: { type: text },
    nativeRateHz: { type: u32 },
    pid: { type: u32 },
    metricsPort: { type: u32 },
    outputEndpoint: { type: text },
    dataKey: { type: curveKey, optional: true },
  },
  heartbeat: { node: { type: nodeId }, streams: { type: arrayOf('array of [u32 stream, u32 lastSeq]', streamSeqPair) }, load: { type: nonNegative, optional: true } },
  warmed: { node: { type: nodeId }, stream: { type: u32 }, seq: { type: u32 } },
  progress: { node: { type: nodeId }, stream: { type: u32 }, seq: { type: u32 } },
  drained: { node: { type: nodeId } },
  bye: { node: { type: nodeId } },
  leaving: { node: { type: nodeId } },
  welcome: { inputEndpoint: { type: text }, role: { type: role } },
  'warm-up': { stream: { type: u32 }, lastSeq: { type: u32 } },
  promote: {},
  abort: { reason: { type: text } },
  drain: {},
  'no-successor': {},
  'unknown-node': {},
  'status-request': {},
  status: { nodes: { type: arrayOf('array of node status maps', mapOf('node status', NODE_STATUS)) }, streams: { type: arrayOf('array of stream route maps', mapOf('stream route', STREAM_ROUTE)) } },
  watch: {},
  swap: { outcome: { type: swapOutcome }, from: { type: text }, to: { type: text }, reason: { type: text }, durationS: { type: nonNegative } },
};

/** The nested maps of `status` (docs/PROTOCOL.md). */
export const STATUS_SCHEMAS = { nodeStatus: NODE_STATUS, streamRoute: STREAM_ROUTE } as const;

/** Why a control part was refused: too big or empty, not MessagePack, not a map with a known `type`, or a bad field. */
export type ControlRejectReason = 'size' | 'decode' | 'type' | 'field';

export type ControlDecodeResult =
  | { ok: true; message: ControlMessage }
  | { ok: false; reason: ControlRejectReason; type?: ControlType; field?: string };

/** One MessagePack part for a control message. */
export function encodeControl(message: ControlMessage): Buffer {
  return packr.pack(message);
}

/**
 * Decodes and validates one control part. Never throws: anything that is not
 * a known `type` with well-formed fields is refused with the reason and, for
 * a bad field, its name (the receiver counts and ignores it). Unknown extra
 * fields are allowed, for compatible additions.
 */
export function readControl(part: Buffer | undefined): ControlDecodeResult {
  if (!part || part.length === 0 || part.length > MAX_CONTROL_BYTES) return { ok: false, reason: 'size' };
  let raw: unknown;
  try {
    raw = packr.unpack(part);
  } catch {
    return { ok: false, reason: 'decode' };
  }
  if (!isPlainMap(raw)) return { ok: false, reason: 'decode' };
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(CONTROL_SCHEMA, type)) return { ok: false, reason: 'type' };
  const field = firstBadField(raw, CONTROL_SCHEMA[type as ControlType]);
  if (field !== null) return { ok: false, reason: 'field', type: type as ControlType, field };
  return { ok: true, message: raw as unknown as ControlMessage };
}

/** {@link readControl}'s message, or null when it was refused. */
export function decodeControl(part: Buffer | undefined): ControlMessage | null {
  const result = readControl(part);
  return result.ok ? result.message : null;
}

/** One line naming what was wrong with a refused control part, for a log (never per message: once per kind). */
export function describeControlReject(result: Extract<ControlDecodeResult, { ok: false }>): string {
  if (result.reason === 'field' && result.type && result.field) {
    return `'${result.type}' with field '${result.field}' missing or not ${CONTROL_SCHEMA[result.type][result.field].type.name}`;
  }
  return { size: 'empty or larger than 64 KiB', decode: 'not a MessagePack map', type: "no known 'type'", field: 'a bad field' }[result.reason];
}
