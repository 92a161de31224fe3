import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { decodeFrame, encodeFrame, encodeHeader, samplesPart } from './frame-codec.js';
import { FrameFlags, PROTOCOL_VERSION, type FrameHeader } from './frame-header.js';

function header(overrides: Partial<FrameHeader> = {}): FrameHeader {
  return { v: PROTOCOL_VERSION, stream: 7, seq: 3, ts: 1440, captureTimeUs: 1_700_000_000_000_000, sampleRateHz: 48_000, channelCount: 2, frameCount: 4, flags: 0, delayFrames: 0, ...overrides };
}

function samples(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);
}

describe('decodeFrame', () => {
  it('round-trips a valid frame with the samples viewed, not copied', () => {
    const s = samples(8);
    const parts = encodeFrame(header(), s);
    const decoded = decodeFrame(parts);
    assert.equal(decoded.ok, true);
    if (!decoded.ok) return;
    assert.deepEqual(decoded.header, header());
    assert.deepEqual([...decoded.samples], [...s]);
    assert.equal(decoded.samples.buffer, parts[1].buffer);
  });

  it('copies samples that arrive misaligned instead of failing', () => {
    const s = samples(8);
    const backing = Buffer.alloc(s.byteLength + 1);
    Buffer.from(s.buffer).copy(backing, 1);
    const decoded = decodeFrame([encodeHeader(header()), backing.subarray(1)]);
    assert.equal(decoded.ok, true);
    if (decoded.ok) assert.deepEqual([...decoded.samples], [...s]);
  });

  const cases: [string, string | null, () => Buffer[]][] = [
    ['part-count', null, () => [encodeHeader(header())]],
    ['part-count', null, () => [...encodeFrame(header(), samples(8)), Buffer.from('x')]],
    ['header-size', null, () => [Buffer.alloc(0), Buffer.alloc(32)]],
    ['header-size', null, () => [Buffer.alloc(4096), Buffer.alloc(32)]],
    ['header-decode', null, () => [Buffer.from([0xc1, 0xff, 0x00]), Buffer.alloc(32)]],
    ['header-decode', null, () => [new Packr({ useRecords: false }).pack([1, 2, 3]), Buffer.alloc(32)]],
    ['header-decode', null, () => [Buffer.from([0xc1]), Buffer.alloc(32)]],
    ['version', 'v', () => encodeFrame(header({ v: 2 }), samples(8))],
    ['field', 'seq', () => encodeFrame(header({ seq: -1 }), samples(8))],
    ['field', 'stream', () => encodeFrame(header({ stream: 2 ** 40 }), samples(8))],
    ['field', 'captureTimeUs', () => encodeFrame(header({ captureTimeUs: Number.NaN }), samples(8))],
    ['field', 'captureTimeUs', () => encodeFrame(header({ captureTimeUs: 2 ** 60 }), samples(8))],
    ['field', 'flags', () => encodeFrame(header({ flags: 0x80 }), samples(8))],
    ['field', 'delayFrames', () => encodeFrame(header({ delayFrames: undefined as never }), samples(8))],
    ['sample-rate', 'sampleRateHz', () => encodeFrame(header({ sampleRateHz: 1000 }), samples(8))],
    ['sample-rate', 'sampleRateHz', () => encodeFrame(header({ sampleRateHz: 44_100.5 }), samples(8))],
    ['channel-count', 'channelCount', () => encodeFrame(header({ channelCount: 0 }), samples(8))],
    ['channel-count', 'channelCount', () => encodeFrame(header({ channelCount: 64 }), samples(8))],
    ['frame-count', 'frameCount', () => encodeFrame(header({ frameCount: 10_000_000 }), samples(8))],
    ['length-mismatch', null, () => encodeFrame(header({ frameCount: 5 }), samples(8))],
    ['length-mismatch', null, () => [encodeHeader(header()), Buffer.alloc(31)]],
    ['non-finite', null, () => encodeFrame(header(), Float32Array.of(0, 1, Number.NaN, 0, 0, 0, 0, 0))],
    ['non-finite', null, () => encodeFrame(header(), Float32Array.of(0, 1, 0, 0, 0, Number.POSITIVE_INFINITY, 0, 0))],
  ];
  for (const [reason, field, make] of cases) {
    it(`rejects with '${reason}'${field ? ` naming '${field}'` : ''}: ${make.toString().slice(6, 70)}`, () => {
      const decoded = decodeFrame(make());
      assert.deepEqual(decoded, { ok: false, reason, field });
    });
  }

  it('accepts every MessagePack encoding of a number (uint64, int64, uint8…32, float64) for numeric fields', () => {
    // msgpackr writes BigInts as uint64/int64, what Python's msgpack and most encoders write for a large int.
    const wide = (x: number): bigint => BigInt(x);
    const h = header();
    const asU64 = { ...h, stream: wide(h.stream), seq: wide(h.seq), ts: wide(h.ts), captureTimeUs: wide(h.captureTimeUs), sampleRateHz: wide(h.sampleRateHz), channelCount: wide(h.channelCount), frameCount: wide(h.frameCount), flags: wide(h.flags), delayFrames: wide(h.delayFrames), v: wide(1) };
    const bytes = new Packr({ useRecords: false }).pack(asU64);
    assert.ok(bytes.includes(0xcf) || bytes.includes(0xd3), 'the header carries 64-bit integers');
    const s = samples(8);
    const decoded = decodeFrame([bytes, samplesPart(s)]);
    assert.equal(decoded.ok, true, JSON.stringify(decoded));
    if (decoded.ok) assert.deepEqual(decoded.header, h);
    const asFloat = decodeFrame([new Packr({ useRecords: false, useFloat32: 0 }).pack({ ...h, seq: 3.0, captureTimeUs: 1.7e15 + 0.5 }), samplesPart(s)]);
    assert.equal(asFloat.ok, true);
  });

  it('never throws on random bytes', () => {
    let state = 12345;
    const rand = (): number => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state;
    };
    for (let i = 0; i < 5000; i++) {
      const a = Buffer.alloc(rand() % 64);
      for (let k = 0; k < a.length; k++) a[k] = rand() & 0xff;
      const b = Buffer.alloc(rand() % 64);
      const result = decodeFrame([a, b]);
      assert.equal(result.ok, false);
    }
  });

  it('accepts an end-of-stream chunk with zero frames', () => {
    const decoded = decodeFrame(encodeFrame(header({ frameCount: 0, flags: FrameFlags.END_OF_STREAM }), new Float32Array(0)));
    assert.equal(decoded.ok, true);
  });

  it('decodeFrame() accepts the DRY flag (the dry path) and keeps it', () => {
    const r = decodeFrame(encodeFrame(header({ flags: FrameFlags.DRY }), samples(8)));
    assert.equal(r.ok && r.header.flags, FrameFlags.DRY);
  });

  it('decodeFrame() accepts WARM_UP, a node id and a well-formed hand-over, and rejects malformed ones as field', () => {
    const ok = decodeFrame(encodeFrame(header({ flags: FrameFlags.WARM_UP, node: 'n1', handover: { from: 'a', to: 'b', atSeq: 5, fadeChunks: 5 } }), samples(8)));
    assert.equal(ok.ok, true);
    assert.deepEqual(ok.ok && ok.header.handover, { from: 'a', to: 'b', atSeq: 5, fadeChunks: 5 });
    for (const bad of [
      { node: '' },
      { node: 7 },
      { handover: { from: 'a', to: 'b', atSeq: -1, fadeChunks: 5 } },
      { handover: { from: 'a', to: 'b', atSeq: 1, fadeChunks: 0 } },
      { handover: { from: 'a', atSeq: 1, fadeChunks: 1 } },
      { handover: 'x' },
      { flags: 8 },
    ]) {
      const r = decodeFrame(encodeFrame(header(bad as never), samples(8)));
      assert.deepEqual(r, { ok: false, reason: 'field', field: Object.keys(bad)[0] }, JSON.stringify(bad));
    }
  });
});
