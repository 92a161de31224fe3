import FFT from 'fft.js';

/**
 * Real FFT of a fixed power-of-two size over preallocated buffers (fft.js,
 * radix-4). `spectrum` holds bins 0..size/2 as interleaved re/im pairs.
 * For sizes that are not a power of two (DeepFilterNet3's 960) see
 * MixedRadixRealFft.
 */
export class RealFft {
  readonly size: number;
  readonly binCount: number;
  /** Interleaved re/im of the full complex spectrum (2 * size values). */
  readonly spectrum: Float64Array;
  readonly #fft: FFT;
  readonly #timeIn: Float64Array;
  readonly #complexOut: Float64Array;

  constructor(size: number) {
    this.size = size;
    this.binCount = size / 2 + 1;
    this.#fft = new FFT(size);
    this.spectrum = new Float64Array(2 * size);
    this.#timeIn = new Float64Array(size);
    this.#complexOut = new Float64Array(2 * size);
  }

  /** Forward transform of `frame` (length `size`) into `spectrum` bins 0..size/2. */
  forward(frame: ArrayLike<number>): void {
    const t = this.#timeIn;
    for (let i = 0; i < this.size; i++) t[i] = frame[i];
    this.#fft.realTransform(this.spectrum, t);
  }

  /**
   * Inverse transform of the half spectrum in `spectrum` (bins 0..size/2,
   * mirrored here) into `out` (length `size`), scaled by 1/size.
   */
  inverse(out: Float64Array | Float32Array): void {
    const s = this.spectrum;
    const n2 = 2 * this.size;
    // Hermitian mirror, so the complex inverse is real.
    for (let i = 2; i < this.size; i += 2) {
      s[n2 - i] = s[i];
      s[n2 - i + 1] = -s[i + 1];
    }
    const c = this.#complexOut;
    this.#fft.inverseTransform(c, s);
    for (let i = 0; i < this.size; i++) out[i] = c[2 * i];
  }
}
