/**
 * A MessagePack writer that takes the encoding of every number from the
 * caller, so the recorded suites can hold the forms other encoders produce
 * (uint64 from Python's msgpack, float64 integers from JSON bridges).
 */
export type Encoded = { kind: 'fix' | 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64'; value: number } | string | boolean | null | Encoded[] | { map: [string, Encoded][] };

export const num = (kind: Extract<Encoded, { kind: string }>['kind'], value: number): Encoded => ({ kind, value });

function encodeNumber(e: Extract<Encoded, { kind: string }>): Buffer {
  const b = Buffer.alloc(9);
  switch (e.kind) {
    case 'fix':
      return Buffer.from([e.value < 0 ? 0xe0 | (e.value + 32) : e.value]);
    case 'u8':
      return Buffer.from([0xcc, e.value]);
    case 'u16':
      b[0] = 0xcd;
      b.writeUInt16BE(e.value, 1);
      return b.subarray(0, 3);
    case 'u32':
      b[0] = 0xce;
      b.writeUInt32BE(e.value, 1);
      return b.subarray(0, 5);
    case 'u64':
      b[0] = 0xcf;
      b.writeBigUInt64BE(BigInt(e.value), 1);
      return b;
    case 'i8':
      b[0] = 0xd0;
      b.writeInt8(e.value, 1);
      return b.subarray(0, 2);
    case 'i16':
      b[0] = 0xd1;
      b.writeInt16BE(e.value, 1);
      return b.subarray(0, 3);
    case 'i32':
      b[0] = 0xd2;
      b.writeInt32BE(e.value, 1);
      return b.subarray(0, 5);
    case 'i64':
      b[0] = 0xd3;
      b.writeBigInt64BE(BigInt(e.value), 1);
      return b;
    case 'f32':
      b[0] = 0xca;
      b.writeFloatBE(e.value, 1);
      return b.subarray(0, 5);
    case 'f64':
      b[0] = 0xcb;
      b.writeDoubleBE(e.value, 1);
      return b;
  }
}

export function writeMsgpack(e: Encoded): Buffer {
  if (e === null) return Buffer.from([0xc0]);
  if (typeof e === 'boolean') return Buffer.from([e ? 0xc3 : 0xc2]);
  if (typeof e === 'string') {
    const bytes = Buffer.from(e, 'utf8');
    const head = bytes.length < 32 ? Buffer.from([0xa0 | bytes.length]) : Buffer.from([0xd9, bytes.length]);
    return Buffer.concat([head, bytes]);
  }
  if (Array.isArray(e)) return Buffer.concat([Buffer.from([0x90 | e.length]), ...e.map(writeMsgpack)]);
  if ('map' in e) return Buffer.concat([Buffer.from([0x80 | e.map.length]), ...e.map.flatMap(([k, v]) => [writeMsgpack(k), writeMsgpack(v)])]);
  return encodeNumber(e);
}
