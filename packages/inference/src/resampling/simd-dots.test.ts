import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededNoise } from '../dsp/seeded-noise.js';
import { SimdDots } from './simd-dots.js';

describe('SimdDots', () => {
  it('computes each (row, window) dot product at any byte alignment of the window, to float32 precision', () => {
    const taps = 40;
    const rows = 3;
    const frames = 500;
    const count = 64;
    const rowBytes = rows * taps * 4;
    const pairsAt = rowBytes + frames * 4;
    const outAt = pairsAt + count * 8;
    // Over one 64 KiB page, so the kernel's memory has to grow.
    const kernel = new SimdDots(70_000);
    assert.ok(kernel.memory.buffer.byteLength >= 70_000);
    const table = new Float32Array(kernel.memory.buffer, 0, rows * taps);
    table.set(seededNoise(rows * taps, 1, 0.5));
    const input = new Float32Array(kernel.memory.buffer, rowBytes, frames);
    input.set(seededNoise(frames, 2, 0.5));
    const pairs = new Int32Array(kernel.memory.buffer, pairsAt, count * 2);
    for (let k = 0; k < count; k++) {
      pairs[2 * k] = (k % rows) * taps * 4;
      pairs[2 * k + 1] = rowBytes + ((k * 7) % (frames - taps)) * 4;
    }
    kernel.dots(count, taps, pairsAt, outAt);
    const out = new Float32Array(kernel.memory.buffer, outAt, count);
    for (let k = 0; k < count; k++) {
      const row = k % rows;
      const start = (k * 7) % (frames - taps);
      let expected = 0;
      for (let j = 0; j < taps; j++) expected += table[row * taps + j] * input[start + j];
      assert.ok(Math.abs(out[k] - expected) < 1e-5, `product ${k}: ${out[k]} against ${expected}`);
    }
  });

  it('writes nothing for a count of 0', () => {
    const kernel = new SimdDots(1024);
    const out = new Float32Array(kernel.memory.buffer, 512, 4).fill(7);
    kernel.dots(0, 8, 256, 512);
    assert.deepEqual([...out], [7, 7, 7, 7]);
  });
});
