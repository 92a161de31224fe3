import { WireLimits } from './frame-header.js';

/**
 * A field's wire type: the name docs/PROTOCOL.md gives it and the check a
 * receiver applies. Numbers are checked by value, never by MessagePack
 * encoding: a u32 may arrive as a positive fixint, uint8…uint64, int8…int64
 * or a float64 with an integral value.
 */
export interface FieldType {
  /** Name in docs/PROTOCOL.md's field tables. */
  readonly name: string;
  readonly check: (x: unknown) => boolean;
}

const isInteger = (x: unknown, min: number, max: number): boolean => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

export const FieldTypes = {
  u32: { name: 'u32', check: (x) => isInteger(x, 0, WireLimits.maxU32) },
  /** Microseconds since the Unix epoch or another non-negative quantity that may exceed u32 (≤ 2^53). */
  u53: { name: 'u53', check: (x) => isInteger(x, 0, Number.MAX_SAFE_INTEGER) },
  nonNegative: { name: 'number ≥ 0', check: (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER },
  sampleRate: { name: `u32 ${WireLimits.minSampleRateHz}…${WireLimits.maxSampleRateHz}`, check: (x) => isInteger(x, WireLimits.minSampleRateHz, WireLimits.maxSampleRateHz) },
  channelCount: { name: `u32 1…${WireLimits.maxChannelCount}`, check: (x) => isInteger(x, 1, WireLimits.maxChannelCount) },
  frameCount: { name: `u32 0…${WireLimits.maxFrameCount}`, check: (x) => isInteger(x, 0, WireLimits.maxFrameCount) },
  fadeChunks: { name: `u32 1…${WireLimits.maxFadeChunks}`, check: (x) => isInteger(x, 1, WireLimits.maxFadeChunks) },
  nodeId: { name: 'node id', check: (x) => typeof x === 'string' && x.length > 0 && x.length <= WireLimits.maxNodeIdLength },
  text: { name: 'string', check: (x) => typeof x === 'string' && x.length <= 1024 },
  curveKey: { name: 'Z85 key', check: (x) => typeof x === 'string' && Z85_KEY.test(x) },
  role: { name: 'role', check: (x) => x === 'active' || x === 'candidate' || x === 'draining' },
  swapOutcome: { name: 'swap outcome', check: (x) => x === 'completed' || x === 'rolled-back' },
} as const satisfies Record<string, FieldType>;

/** One field of a message: its type and whether a sender may leave it out. */
export interface FieldSpec {
  readonly type: FieldType;
  readonly optional?: boolean;
}

/** A map's fields, in the order a receiver checks them. */
export type MapSchema = Readonly<Record<string, FieldSpec>>;

/** True for a MessagePack map (msgpackr decodes extensions and 0xc1 to class instances). */
export function isPlainMap(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype;
}

/** The first field of `map` that `schema` refuses (missing, or of the wrong type or range), or null. */
export function firstBadField(map: Record<string, unknown>, schema: MapSchema): string | null {
  for (const field in schema) {
    const spec = schema[field];
    const value = map[field];
    if (value === undefined ? !spec.optional : !spec.type.check(value)) return field;
  }
  return null;
}

/** A field type for a nested map of `schema`. */
export function mapOf(name: string, schema: MapSchema): FieldType {
  return { name, check: (x) => isPlainMap(x) && firstBadField(x, schema) === null };
}

/** A field type for an array of at most `max` items of `item`. */
export function arrayOf(name: string, item: FieldType, max = 4096): FieldType {
  return { name, check: (x) => Array.isArray(x) && x.length <= max && x.every(item.check) };
}
