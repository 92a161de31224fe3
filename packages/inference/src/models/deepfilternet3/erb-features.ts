/** libDF's first mean-normalisation state: -60 dB in the lowest band down to -90 dB in the highest. */
const MEAN_NORM_INIT_DB: readonly [number, number] = [-60, -90];

/**
 * ERB-band energies in dB with libDF's exponential running-mean
 * normalisation: e = 10 log10(mean |X|^2 over the band + 1e-10),
 * s = a s + (1 - a) e, feature = (e - s) / 40. Keeps `s` between calls.
 */
export class ErbFeatures {
  readonly #widths: Int32Array;
  readonly #alpha: number;
  readonly #state: Float32Array;

  constructor(widths: Int32Array, alpha: number) {
    this.#widths = widths;
    this.#alpha = alpha;
    const bands = widths.length;
    this.#state = new Float32Array(bands);
    const step = (MEAN_NORM_INIT_DB[1] - MEAN_NORM_INIT_DB[0]) / (bands - 1);
    for (let b = 0; b < bands; b++) this.#state[b] = MEAN_NORM_INIT_DB[0] + b * step;
  }

  /** Writes one feature per band into `out` from the spectrum `re`/`im`. */
  compute(re: Float32Array, im: Float32Array, out: Float32Array): void {
    const alpha = this.#alpha;
    const state = this.#state;
    let bin = 0;
    for (let b = 0; b < this.#widths.length; b++) {
      const width = this.#widths[b];
      let energy = 0;
      for (let j = 0; j < width; j++, bin++) energy += re[bin] * re[bin] + im[bin] * im[bin];
      const db = 10 * Math.log10(energy / width + 1e-10);
      state[b] = db * (1 - alpha) + state[b] * alpha;
      out[b] = (db - state[b]) / 40;
    }
  }
}
