import { Packr } from 'msgpackr';
import { WireLimits } from '../wire/frame-header.js';

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
  | { type: 'heartbeat'; node: string; streams: [stream: number, lastSeq: number][] }
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

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Longest control message accepted, bytes (a status with many nodes and streams stays far below). */
export const MAX_CONTROL_BYTES = 64 * 1024;

type Check = (x: unknown) => boolean;
const u32: Check = (x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= WireLimits.maxU32;
const nodeId: Check = (x) => typeof x === 'string' && x.length > 0 && x.length <= WireLimits.maxNodeIdLength;
const text: Check = (x) => typeof x === 'string' && x.length <= 1024;
const finite: Check = (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;
const optionalKey: Check = (x) => x === undefined || (typeof x === 'string' && Z85_KEY.test(x));
const role: Check = (x) => x === 'active' || x === 'candidate' || x === 'draining';
const arrayOf = (item: Check, max = 4096): Check => (x) => Array.isArray(x) && x.length <= max && x.every(item);
const record = (fields: Record<string, Check>): Check => (x) =>
  x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype && Object.entries(fields).every(([k, c]) => c((x as Record<string, unknown>)[k]));

const FIELDS: { [T in ControlType]: Record<string, Check> } = {
  hello: { node: nodeId, model: text, nativeRateHz: u32, pid: u32, metricsPort: u32, outputEndpoint: text, dataKey: optionalKey },
  heartbeat: { node: nodeId, streams: arrayOf((p) => Array.isArray(p) && p.length === 2 && u32(p[0]) && u32(p[1])) },
  warmed: { node: nodeId, stream: u32, seq: u32 },
  progress: { node: nodeId, stream: u32, seq: u32 },
  drained: { node: nodeId },
  bye: { node: nodeId },
  leaving: { node: nodeId },
  welcome: { inputEndpoint: text, role },
  'warm-up': { stream: u32, lastSeq: u32 },
  promote: {},
  abort: { reason: text },
  drain: {},
  'no-successor': {},
  'unknown-node': {},
  'status-request': {},
  status: {
    nodes: arrayOf(record({ node: nodeId, model: text, role, nativeRateHz: u32, pid: u32, metricsPort: u32, outputEndpoint: text, silentMs: finite })),
    streams: arrayOf(record({ stream: u32, node: nodeId, model: text, seq: u32 })),
  },
  watch: {},
  swap: { outcome: (x) => x === 'completed' || x === 'rolled-back', from: text, to: text, reason: text, durationS: finite },
};

/** One MessagePack part for a control message. */
export function encodeControl(message: ControlMessage): Buffer {
  return packr.pack(message);
}

/**
 * Decodes and validates one control part. Never throws: anything that is not
 * a known `type` with well-formed fields is null (the receiver counts and
 * ignores it). Unknown extra fields are allowed, for compatible additions.
 */
export function decodeControl(part: Buffer | undefined): ControlMessage | null {
  if (!part || part.length === 0 || part.length > MAX_CONTROL_BYTES) return null;
  let raw: unknown;
  try {
    raw = packr.unpack(part);
  } catch {
    return null;
  }
  if (raw === null || typeof raw !== 'object' || Object.getPrototypeOf(raw) !== Object.prototype) return null;
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type)) return null;
  return record(FIELDS[type as ControlType])(raw) ? (raw as ControlMessage) : null;
}
