/** What {@link fitSine} found in a window that should hold one sine. */
export interface SineFit {
  /** Amplitude of the fitted sine. */
  amplitude: number;
  /** Phase in radians: the sine is amplitude · sin(2π · frequencyHz · (n + startIndex) / sampleRateHz + phaseRad). */
  phaseRad: number;
  /** Frequency of the fitted sine, Hz: the one given, or the refined one with `refineFrequency`. */
  frequencyHz: number;
  /** THD+N: energy left after removing the sine and the offset, over the sine's energy, in dB (−90 is a very clean sine). */
  residualDb: number;
}

export interface SineFitOptions {
  /** Stream index of `signal[0]`, so phases compare across windows (default 0). */
  startIndex?: number;
  /**
   * Fit the frequency too: a four-parameter fit (IEEE 1057) refined by
   * Gauss-Newton from `frequencyHz`, for a sine whose exact frequency is not
   * known (a resampled one). Default false: the three-parameter fit
   * (amplitude, phase, offset) at exactly `frequencyHz`.
   */
  refineFrequency?: boolean;
}

/**
 * Least-squares fit of an offset plus one sine to `signal`, then the energy of
 * what is left over the sine's (THD+N). For tests and benchmarks of the
 * resampling paths, not for the hot path (it allocates).
 */
export function fitSine(signal: Float32Array | Float64Array, sampleRateHz: number, frequencyHz: number, options: SineFitOptions = {}): SineFit {
  const start = options.startIndex ?? 0;
  const iterations = options.refineFrequency === true ? 8 : 1;
  let omega = (2 * Math.PI * frequencyHz) / sampleRateHz;
  // Normal equations for the basis [sin, cos, 1] and, once refining, d/dω of the sine.
  const m = new Float64Array(16);
  const v = new Float64Array(4);
  const basis = new Float64Array(4);
  let s = 0;
  let c = 0;
  let offset = 0;
  for (let iter = 0; iter < iterations; iter++) {
    const k = iter > 0 ? 4 : 3;
    m.fill(0);
    v.fill(0);
    for (let i = 0; i < signal.length; i++) {
      const t = i + start;
      const sin = Math.sin(omega * t);
      const cos = Math.cos(omega * t);
      basis[0] = sin;
      basis[1] = cos;
      basis[2] = 1;
      basis[3] = t * (s * cos - c * sin);
      for (let r = 0; r < k; r++) {
        v[r] += basis[r] * signal[i];
        for (let q = 0; q < k; q++) m[r * 4 + q] += basis[r] * basis[q];
      }
    }
    const solution = solve(m, v, k);
    s = solution[0];
    c = solution[1];
    offset = solution[2];
    if (k === 4) omega += solution[3];
  }
  let sine = 0;
  let rest = 0;
  for (let i = 0; i < signal.length; i++) {
    const t = i + start;
    const y = s * Math.sin(omega * t) + c * Math.cos(omega * t);
    sine += y * y;
    rest += (signal[i] - y - offset) ** 2;
  }
  return {
    amplitude: Math.hypot(s, c),
    phaseRad: Math.atan2(c, s),
    frequencyHz: (omega * sampleRateHz) / (2 * Math.PI),
    residualDb: 10 * Math.log10(rest / sine),
  };
}

/** Solves the k × k system in the top-left of the 4 × 4 row-major `m` (Gaussian elimination, partial pivoting). */
function solve(m: Float64Array, v: Float64Array, k: number): number[] {
  const a = Array.from({ length: k }, (_, r) => [...Array.from({ length: k }, (_, q) => m[r * 4 + q]), v[r]]);
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = col + 1; r < k; r++) {
      const f = a[r][col] / a[col][col];
      for (let q = col; q <= k; q++) a[r][q] -= f * a[col][q];
    }
  }
  const out = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    let sum = a[r][k];
    for (let q = r + 1; q < k; q++) sum -= a[r][q] * out[q];
    out[r] = sum / a[r][r];
  }
  return out;
}
