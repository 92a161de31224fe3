/**
 * FFT benchmark: Quell's RealFft (PFFFT, WebAssembly SIMD, float32) against
 * fft.js (plain JavaScript, float64), the library it replaced, measured side
 * by side in one run. One row per size and library: a forward transform of a
 * real frame plus the inverse back to real samples, the round trip each model
 * hop makes (DTLN and GTCRN at 512, DeepFilterNet3 at 960; fft.js does powers
 * of two only). Fields: us_per_round_trip (mean over 20 000 after 2 000 warm-up
 * round trips), ratio_to_pffft.
 */
import FFT from 'fft.js';
import { RealFft } from '@quell/inference/testing';
import { monotonicNs } from '@quell/protocol';
import { printTable, writeResult } from '../lib/results.js';

const ROUND_TRIPS = 20_000;

function meanUs(run: () => void): number {
  for (let i = 0; i < 2_000; i++) run();
  const started = monotonicNs();
  for (let i = 0; i < ROUND_TRIPS; i++) run();
  return (monotonicNs() - started) / ROUND_TRIPS / 1000;
}

function pffftRoundTrip(size: number, frame: Float32Array): () => void {
  const fft = RealFft.ofSize(size);
  const spectrum = new Float32Array(size + 2);
  const out = new Float32Array(size);
  return () => {
    fft.forward(frame, spectrum);
    fft.inverse(spectrum, out, 1 / size);
  };
}

/** How Quell used fft.js: real forward, Hermitian mirror, complex inverse, real part out. */
function fftJsRoundTrip(size: number, frame: Float32Array): () => void {
  const fft = new FFT(size);
  const input = new Float64Array(size);
  const spectrum = new Float64Array(2 * size);
  const complex = new Float64Array(2 * size);
  const out = new Float32Array(size);
  return () => {
    for (let i = 0; i < size; i++) input[i] = frame[i];
    fft.realTransform(spectrum, input);
    for (let i = 2; i < size; i += 2) {
      spectrum[2 * size - i] = spectrum[i];
      spectrum[2 * size - i + 1] = -spectrum[i + 1];
    }
    fft.inverseTransform(complex, spectrum);
    for (let i = 0; i < size; i++) out[i] = complex[2 * i];
  };
}

const rows: Record<string, string | number>[] = [];
for (const size of [512, 960, 1024]) {
  const frame = new Float32Array(size).map((_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.3));
  const pffftUs = meanUs(pffftRoundTrip(size, frame));
  rows.push({ size, library: 'pffft (RealFft)', us_per_round_trip: pffftUs, ratio_to_pffft: 1 });
  if ((size & (size - 1)) === 0) {
    const fftJsUs = meanUs(fftJsRoundTrip(size, frame));
    rows.push({ size, library: 'fft.js', us_per_round_trip: fftJsUs, ratio_to_pffft: fftJsUs / pffftUs });
  }
}
printTable('fft: forward + inverse round trip, PFFFT (WebAssembly SIMD) vs fft.js', rows);
console.log(`\nwrote ${writeResult('fft', { roundTrips: ROUND_TRIPS }, { rows })}`);
