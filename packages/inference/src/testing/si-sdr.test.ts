import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mixAtSnr } from './mix-at-snr.js';
import { siSdrDb } from './si-sdr.js';
import { seededNoise } from '../dsp/seeded-noise.js';

describe('siSdrDb', () => {
  it('ignores scale and is about the SNR for independent noise', () => {
    const clean = seededNoise(48000, 1, 0.5);
    const n = seededNoise(1000, 2, 0.5);
    const mix = mixAtSnr(clean, n, 5);
    assert.ok(Math.abs(siSdrDb(mix, clean) - 5) < 0.2, `${siSdrDb(mix, clean)}`);
    const scaled = mix.map((v) => 3 * v);
    assert.ok(Math.abs(siSdrDb(scaled, clean) - siSdrDb(mix, clean)) < 1e-4);
    assert.ok(siSdrDb(clean, clean) > 100);
  });
});
