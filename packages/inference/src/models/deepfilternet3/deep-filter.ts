/**
 * The deep filter on the lowest `binCount` bins: out[f] = sum over taps i of
 * frame_i[f] * c[f][i] (complex), where frame_0 is the oldest of `order`
 * consecutive noisy spectra. `coefs` is laid out [bin][tap][re, im], as
 * df_dec emits it. Overwrites bins 0..binCount-1 of `outRe`/`outIm`.
 */
export function applyDeepFilter(
  framesRe: readonly Float32Array[],
  framesIm: readonly Float32Array[],
  coefs: ArrayLike<number>,
  binCount: number,
  outRe: Float32Array,
  outIm: Float32Array,
): void {
  const order = framesRe.length;
  for (let f = 0; f < binCount; f++) {
    let sr = 0;
    let si = 0;
    const base = 2 * order * f;
    for (let i = 0; i < order; i++) {
      const xr = framesRe[i][f];
      const xi = framesIm[i][f];
      const cr = coefs[base + 2 * i];
      const ci = coefs[base + 2 * i + 1];
      sr += xr * cr - xi * ci;
      si += xr * ci + xi * cr;
    }
    outRe[f] = sr;
    outIm[f] = si;
  }
}
