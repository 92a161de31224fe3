/** libDF's first unit-normalisation state: 1e-3 in the lowest bin down to 1e-4 in the highest. */
const UNIT_NORM_INIT: readonly [number, number] = [0.001, 0.0001];

/**
 * The complex features of the lowest `binCount` bins with libDF's unit
 * normalisation: s = a s + (1 - a) |X|, feature = X / sqrt(s). Keeps `s`
 * between calls.
 */
export class ComplexFeatures {
  readonly binCount: number;
  readonly #alpha: number;
  readonly #state: Float32Array;

  constructor(binCount: number, alpha: number) {
    this.binCount = binCount;
    this.#alpha = alpha;
    this.#state = new Float32Array(binCount);
    const step = (UNIT_NORM_INIT[1] - UNIT_NORM_INIT[0]) / (binCount - 1);
    for (let k = 0; k < binCount; k++) this.#state[k] = UNIT_NORM_INIT[0] + k * step;
  }

  /**
   * Writes the features into `out` (2 * binCount): the real parts first, then
   * the imaginary parts, the [2, nbDf] layout of the encoder input.
   */
  compute(re: Float32Array, im: Float32Array, out: Float32Array): void {
    const n = this.binCount;
    const alpha = this.#alpha;
    const state = this.#state;
    for (let k = 0; k < this.binCount; k++) {
      const magnitude = Math.sqrt(re[k] * re[k] + im[k] * im[k]);
      state[k] = magnitude * (1 - alpha) + state[k] * alpha;
      const scale = 1 / Math.sqrt(state[k]);
      out[k] = re[k] * scale;
      out[n + k] = im[k] * scale;
    }
  }
}
