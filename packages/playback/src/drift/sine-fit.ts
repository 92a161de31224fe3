/**
 * THD+N of a window that should hold one sine: a four-parameter least-squares fit (amplitude, phase, offset and
 * frequency, refined by Gauss-Newton from `frequencyGuessHz`; IEEE 1057), then residual energy over sine energy.
 * For tests and benchmarks of the resampling path, not for the hot path.
 * @returns THD+N in dB (negative; -90 is a very clean sine)
 */
export function sineThdNDb(x: Float32Array | Float64Array, sampleRateHz: number, frequencyGuessHz: number): number {
  const n = x.length;
  let omega = (2 * Math.PI * frequencyGuessHz) / sampleRateHz;
  const m = new Float64Array(16);
  const v = new Float64Array(4);
  let a = 0;
  let b = 0;
  let c = 0;
  for (let iter = 0; iter < 8; iter++) {
    m.fill(0);
    v.fill(0);
    const fourParams = iter > 0;
    const k = fourParams ? 4 : 3;
    for (let i = 0; i < n; i++) {
      const co = Math.cos(omega * i);
      const si = Math.sin(omega * i);
      const d = i * (-a * si + b * co);
      const row0 = co;
      const row1 = si;
      const row3 = d;
      const cols = [row0, row1, 1, row3];
      for (let r = 0; r < k; r++) {
        v[r] += cols[r] * x[i];
        for (let q = 0; q < k; q++) m[r * 4 + q] += cols[r] * cols[q];
      }
    }
    const sol = solve(m, v, k);
    a = sol[0];
    b = sol[1];
    c = sol[2];
    if (fourParams) omega += sol[3];
  }
  let residual = 0;
  let signal = 0;
  for (let i = 0; i < n; i++) {
    const fit = a * Math.cos(omega * i) + b * Math.sin(omega * i);
    const e = x[i] - fit - c;
    residual += e * e;
    signal += fit * fit;
  }
  return 10 * Math.log10(residual / signal);
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
    let s = a[r][k];
    for (let q = r + 1; q < k; q++) s -= a[r][q] * out[q];
    out[r] = s / a[r][r];
  }
  return out;
}
