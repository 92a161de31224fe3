import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { decodeFrame, encodeFrame, encodeHeader } from './frame-codec.js';
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

  const cases: [string, () => Buffer[]][] = [
    ['part-count', () => [encodeHeader(header())]],
    ['part-count', () => [...encodeFrame(header(), samples(8)), Buffer.from('x')]],
    ['header-size', () => [Buffer.alloc(0), Buffer.alloc(32)]],
    ['header-size', () => [Buffer.alloc(4096), Buffer.alloc(32)]],
    ['header-decode', () => [Buffer.from([0xc1, 0xff, 0x00]), Buffer.alloc(32)]],
    ['header-decode', () => [new Packr({ useRecords: false }).pack([1, 2, 3]), Buffer.alloc(32)]],
    ['header-decode', () => [Buffer.from([0xc1]), Buffer.alloc(32)]],
    ['version', () => encodeFrame(header({ v: 2 }), samples(8))],
    ['field', () => encodeFrame(header({ seq: -1 }), samples(8))],
    ['field', () => encodeFrame(header({ stream: 2 ** 40 }), samples(8))],
    ['field', () => encodeFrame(header({ captureTimeUs: Number.NaN }), samples(8))],
    ['field', () => encodeFrame(header({ flags: 0x80 }), samples(8))],
    ['sample-rate', () => encodeFrame(header({ sampleRateHz: 1000 }), samples(8))],
    ['sample-rate', () => encodeFrame(header({ sampleRateHz: 44_100.5 }), samples(8))],
    ['channel-count', () => encodeFrame(header({ channelCount: 0 }), samples(8))],
    ['channel-count', () => encodeFrame(header({ channelCount: 64 }), samples(8))],
    ['frame-count', () => encodeFrame(header({ frameCount: 10_000_000 }), samples(8))],
    ['length-mismatch', () => encodeFrame(header({ frameCount: 5 }), samples(8))],
    ['length-mismatch', () => [encodeHeader(header()), Buffer.alloc(31)]],
    ['non-finite', () => encodeFrame(header(), Float32Array.of(0, 1, Number.NaN, 0, 0, 0, 0, 0))],
    ['non-finite', () => encodeFrame(header(), Float32Array.of(0, 1, 0, 0, 0, Number.POSITIVE_INFINITY, 0, 0))],
  ];
  for (const [reason, make] of cases) {
    it(`rejects with '${reason}': ${make.toString().slice(6, 70)}`, () => {
      const decoded = decodeFrame(make());
      assert.deepEqual(decoded, { ok: false, reason });
    });
  }

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
      assert.deepEqual(r, { ok: false, reason: 'field' }, JSON.stringify(bad));
    }
  });
});
