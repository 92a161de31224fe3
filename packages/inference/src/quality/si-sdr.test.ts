import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mixAtSnr } from './mix-at-snr.js';
import { siSdrDb } from './si-sdr.js';

function noise(frames: number, seed: number): Float32Array {
  const x = new Float32Array(frames);
  let s = seed;
  for (let i = 0; i < frames; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
  return x;
}

describe('siSdrDb', () => {
  it('ignores scale and is about the SNR for independent noise', () => {
    const clean = noise(48000, 1);
    const n = noise(1000, 2);
    const mix = mixAtSnr(clean, n, 5);
    assert.ok(Math.abs(siSdrDb(mix, clean) - 5) < 0.2, `${siSdrDb(mix, clean)}`);
    const scaled = mix.map((v) => 3 * v);
    assert.ok(Math.abs(siSdrDb(scaled, clean) - siSdrDb(mix, clean)) < 1e-4);
    assert.ok(siSdrDb(clean, clean) > 100);
  });
});
