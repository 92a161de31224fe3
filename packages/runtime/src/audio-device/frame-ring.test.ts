import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameRing } from './frame-ring.js';

describe('FrameRing', () => {
  it('readInto() returns frames in order across the wrap', () => {
    const ring = new FrameRing(4, 2);
    assert.ok(ring.write(Float32Array.of(1, 1, 2, 2, 3, 3)));
    const out = new Float32Array(4);
    assert.equal(ring.readInto(out, 2), 2);
    assert.deepEqual([...out], [1, 1, 2, 2]);
    assert.ok(ring.write(Float32Array.of(4, 4, 5, 5, 6, 6)));
    assert.equal(ring.frameCount, 4);
    const all = new Float32Array(8);
    assert.equal(ring.readInto(all, 10), 4);
    assert.deepEqual([...all], [3, 3, 4, 4, 5, 5, 6, 6]);
  });

  it('write() refuses, unchanged, what does not fit', () => {
    const ring = new FrameRing(2, 1);
    assert.ok(ring.write(Float32Array.of(1)));
    assert.equal(ring.write(Float32Array.of(2, 3)), false);
    assert.equal(ring.frameCount, 1);
  });

  it('readInto() returns 0 when empty', () => {
    assert.equal(new FrameRing(2, 1).readInto(new Float32Array(2), 2), 0);
  });
});
