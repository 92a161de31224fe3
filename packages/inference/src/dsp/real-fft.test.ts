import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RealFft } from './real-fft.js';
import { seededNoise } from '../dsp/seeded-noise.js';

/** Bin k of the DFT of x in float64, straight from the definition. */
function dftBin(x: Float32Array, k: number): [number, number] {
  const n = x.length;
  let re = 0;
  let im = 0;
  for (let t = 0; t < n; t++) {
    const angle = (-2 * Math.PI * ((t * k) % n)) / n;
    re += x[t] * Math.cos(angle);
    im += x[t] * Math.sin(angle);
  }
  return [re, im];
}

describe('RealFft', () => {
  for (const size of [512, 960]) {
    it(`size ${size}: every bin matches a direct DFT and the inverse returns size * x`, () => {
      const fft = RealFft.ofSize(size);
      const x = seededNoise(size, size);
      const spectrum = new Float32Array(size + 2).fill(Number.NaN);
      fft.forward(x, spectrum);
      // White noise of unit range has bins of about sqrt(size / 3); float32 keeps ~1e-6 of that.
      let worst = 0;
      for (let k = 0; k <= size / 2; k++) {
        const [re, im] = dftBin(x, k);
        worst = Math.max(worst, Math.abs(re - spectrum[2 * k]), Math.abs(im - spectrum[2 * k + 1]));
      }
      assert.ok(worst < 2e-4, `largest bin error ${worst}`);
      assert.equal(spectrum[1], 0);
      assert.equal(spectrum[size + 1], 0);
      const back = new Float64Array(size);
      fft.inverse(spectrum, back, 1 / size);
      for (let t = 0; t < size; t++) assert.ok(Math.abs(back[t] - x[t]) < 1e-5, `sample ${t}: ${back[t]} vs ${x[t]}`);
    });
  }

  it('a pure tone lands in its bin, and ofSize() shares one transform per size', () => {
    const fft = RealFft.ofSize(512);
    assert.equal(RealFft.ofSize(512), fft);
    assert.equal(fft.binCount, 257);
    const x = new Float32Array(512).map((_, t) => Math.cos((2 * Math.PI * 10 * t) / 512));
    const spectrum = new Float32Array(514);
    fft.forward(x, spectrum);
    assert.ok(Math.abs(spectrum[20] - 256) < 1e-3);
    for (let k = 0; k <= 256; k++) if (k !== 10) assert.ok(Math.hypot(spectrum[2 * k], spectrum[2 * k + 1]) < 1e-3, `bin ${k}`);
  });

  it('sizes PFFFT cannot do throw a TypeError naming the rule', () => {
    for (const size of [0, 16, 500, 513, 7 * 64]) assert.throws(() => RealFft.ofSize(size), (e: unknown) => e instanceof TypeError && /2\^a \* 3\^b \* 5\^c/.test(e.message));
  });
});
