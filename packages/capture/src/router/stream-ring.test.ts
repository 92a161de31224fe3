import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION, type FrameHeader } from '@quell/protocol';
import { StreamRing } from './stream-ring.js';

function header(seq: number): FrameHeader {
  return { v: PROTOCOL_VERSION, stream: 3, seq, ts: seq * 480, captureTimeUs: seq, sampleRateHz: 48_000, channelCount: 1, frameCount: 480, flags: 0, delayFrames: 0 };
}

describe('StreamRing', () => {
  it('chunks() yields the last capacityChunks chunks oldest first, with copies of their headers', () => {
    const ring = new StreamRing(3, 4);
    const h = header(0);
    for (let seq = 0; seq < 10; seq++) {
      h.seq = seq;
      ring.push(h, Buffer.from([seq]));
    }
    h.seq = 999;
    assert.deepEqual([...ring.chunks()].map((c) => [c.header.seq, c.samples[0]]), [[6, 6], [7, 7], [8, 8], [9, 9]]);
    assert.equal(ring.nextSeq, 10);
    assert.equal(ring.size, 4);
  });

  it('nextSeq wraps with the u32 seq', () => {
    const ring = new StreamRing(1, 2);
    ring.push(header(0xffff_ffff), Buffer.alloc(0));
    assert.equal(ring.nextSeq, 0);
  });

  it('constructor throws TypeError for a capacity below 1', () => {
    assert.throws(() => new StreamRing(1, 0), TypeError);
  });
});
