import { RealFft } from '../../dsp/real-fft.js';
import { vorbisWindow } from './vorbis-window.js';

/**
 * libDF's streaming STFT analysis: each hop of new frames is windowed together
 * with the previous `fftSize - hop` frames, transformed, and scaled by
 * 2 * hop / fftSize^2 (libDF normalises in the analysis only).
 */
export class StftAnalysis {
  readonly fftSize: number;
  readonly hopSize: number;
  readonly binCount: number;
  readonly #fft: RealFft;
  readonly #window: Float32Array;
  readonly #norm: number;
  /** The last `fftSize - hopSize` input frames. */
  readonly #memory: Float32Array;
  readonly #frame: Float32Array;
  readonly #spectrum: Float32Array;

  constructor(fftSize: number, hopSize: number) {
    this.fftSize = fftSize;
    this.hopSize = hopSize;
    this.binCount = fftSize / 2 + 1;
    this.#fft = RealFft.ofSize(fftSize);
    this.#window = vorbisWindow(fftSize);
    if (hopSize > fftSize - hopSize) throw new TypeError('StftAnalysis: hop must be at most half the FFT size');
    this.#norm = (2 * hopSize) / (fftSize * fftSize);
    this.#memory = new Float32Array(fftSize - hopSize);
    this.#frame = new Float32Array(fftSize);
    this.#spectrum = new Float32Array(fftSize + 2);
  }

  /** Consumes `hop` (hopSize frames) and writes the spectrum into `re`/`im` (binCount each). */
  analyse(hop: Float32Array, re: Float32Array, im: Float32Array): void {
    const memLength = this.#memory.length;
    const frame = this.#frame;
    const window = this.#window;
    for (let i = 0; i < memLength; i++) frame[i] = this.#memory[i] * window[i];
    for (let i = 0; i < this.hopSize; i++) frame[memLength + i] = hop[i] * window[memLength + i];
    // Keep the newest fftSize - hop frames for the next call.
    this.#memory.copyWithin(0, this.hopSize);
    this.#memory.set(hop, memLength - this.hopSize);
    const spectrum = this.#spectrum;
    this.#fft.forward(frame, spectrum);
    const norm = this.#norm;
    for (let k = 0; k < this.binCount; k++) {
      re[k] = spectrum[2 * k] * norm;
      im[k] = spectrum[2 * k + 1] * norm;
    }
  }
}
