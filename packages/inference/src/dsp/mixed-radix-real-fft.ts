import FFT from 'fft.js';

/**
 * Unnormalised real FFT of any size 2^a * q with a small odd q (960 = 64 * 15).
 *
 * fft.js only does powers of two, so this is one Cooley-Tukey step: q FFTs of
 * size 2^a (fft.js), twiddles, then direct DFTs of size q. Everything runs in
 * float64 on buffers allocated once, so a call allocates nothing.
 */
export class MixedRadixRealFft {
  readonly size: number;
  /** Number of bins of the half spectrum, size / 2 + 1. */
  readonly binCount: number;
  readonly #p: number;
  readonly #q: number;
  readonly #fft: FFT;
  /** W_N^(n2*k1), interleaved re/im, indexed [n2 * p + k1]. */
  readonly #twiddle: Float64Array;
  /** W_q^m for m in 0..q-1, interleaved re/im. */
  readonly #rootQ: Float64Array;
  readonly #gather: Float64Array;
  readonly #sub: Float64Array;
  /** Twiddled sub-FFT outputs, [n2][k1] interleaved re/im. */
  readonly #z: Float64Array;
  /** Full conjugated spectrum for the inverse, interleaved re/im. */
  readonly #full: Float64Array;

  constructor(size: number) {
    let p = 1;
    while (size % (p * 2) === 0) p *= 2;
    const q = size / p;
    if (!Number.isInteger(size) || size < 4 || p < 2 || q > 63) {
      throw new TypeError(`MixedRadixRealFft: size ${size} must be 2^a * q with a >= 1 and odd q <= 63`);
    }
    this.size = size;
    this.binCount = size / 2 + 1;
    this.#p = p;
    this.#q = q;
    this.#fft = new FFT(p);
    this.#twiddle = new Float64Array(2 * size);
    for (let n2 = 0; n2 < q; n2++) {
      for (let k1 = 0; k1 < p; k1++) {
        // Reduce the exponent first so the angle keeps full precision.
        const angle = (-2 * Math.PI * ((n2 * k1) % size)) / size;
        this.#twiddle[2 * (n2 * p + k1)] = Math.cos(angle);
        this.#twiddle[2 * (n2 * p + k1) + 1] = Math.sin(angle);
      }
    }
    this.#rootQ = new Float64Array(2 * q);
    for (let m = 0; m < q; m++) {
      this.#rootQ[2 * m] = Math.cos((-2 * Math.PI * m) / q);
      this.#rootQ[2 * m + 1] = Math.sin((-2 * Math.PI * m) / q);
    }
    this.#gather = new Float64Array(2 * p);
    this.#sub = new Float64Array(2 * p);
    this.#z = new Float64Array(2 * size);
    this.#full = new Float64Array(2 * size);
  }

  /**
   * Forward transform of `input` (`size` real samples) into `re`/`im`
   * (`binCount` bins each): X[k] = sum x[n] e^(-2 pi i n k / N), no scaling.
   */
  forward(input: ArrayLike<number>, re: Float32Array | Float64Array, im: Float32Array | Float64Array): void {
    this.#subTransforms(input, null);
    this.#combine(this.binCount, re, im);
  }

  /**
   * Inverse transform of the half spectrum `re`/`im` into `output` (`size`
   * samples): x[n] = sum over the full Hermitian spectrum of X[k] e^(+2 pi i n k / N),
   * no 1/N scaling. Imaginary parts of the DC and Nyquist bins are ignored.
   */
  inverse(re: ArrayLike<number>, im: ArrayLike<number>, output: Float32Array | Float64Array): void {
    const n = this.size;
    const full = this.#full;
    // The conjugate of the full spectrum: x = conj(FFT(conj(X))), and x is real.
    for (let k = 0; k < this.binCount; k++) {
      full[2 * k] = re[k];
      full[2 * k + 1] = -im[k];
    }
    for (let k = this.binCount; k < n; k++) {
      full[2 * k] = re[n - k];
      full[2 * k + 1] = im[n - k];
    }
    this.#subTransforms(full, full);
    this.#combine(n, output, null);
  }

  /** Runs the q size-p FFTs over the decimated input and applies the twiddles into #z. */
  #subTransforms(realInput: ArrayLike<number>, complexInput: Float64Array | null): void {
    const p = this.#p;
    const q = this.#q;
    const gather = this.#gather;
    const sub = this.#sub;
    const z = this.#z;
    const tw = this.#twiddle;
    for (let n2 = 0; n2 < q; n2++) {
      if (complexInput) {
        for (let n1 = 0; n1 < p; n1++) {
          const src = 2 * (q * n1 + n2);
          gather[2 * n1] = complexInput[src];
          gather[2 * n1 + 1] = complexInput[src + 1];
        }
      } else {
        for (let n1 = 0; n1 < p; n1++) {
          gather[2 * n1] = realInput[q * n1 + n2];
          gather[2 * n1 + 1] = 0;
        }
      }
      this.#fft.transform(sub, gather);
      const base = 2 * n2 * p;
      for (let k1 = 0; k1 < p; k1++) {
        const a = sub[2 * k1];
        const b = sub[2 * k1 + 1];
        const c = tw[base + 2 * k1];
        const d = tw[base + 2 * k1 + 1];
        z[base + 2 * k1] = a * c - b * d;
        z[base + 2 * k1 + 1] = a * d + b * c;
      }
    }
  }

  /** The size-q DFTs: X[k1 + p*k2] = sum over n2 of Z[n2][k1] W_q^(n2*k2), for k < count. */
  #combine(count: number, re: Float32Array | Float64Array, im: Float32Array | Float64Array | null): void {
    const p = this.#p;
    const q = this.#q;
    const z = this.#z;
    const root = this.#rootQ;
    for (let k = 0; k < count; k++) {
      const k1 = k % p;
      const k2 = (k - k1) / p;
      let sr = 0;
      let si = 0;
      let m = 0;
      for (let n2 = 0; n2 < q; n2++) {
        const zi = 2 * (n2 * p + k1);
        const wr = root[2 * m];
        const wi = root[2 * m + 1];
        sr += z[zi] * wr - z[zi + 1] * wi;
        si += z[zi] * wi + z[zi + 1] * wr;
        m += k2;
        if (m >= q) m -= q;
      }
      re[k] = sr;
      if (im) im[k] = si;
    }
  }
}
