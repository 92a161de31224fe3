/**
 * Scale-invariant signal-to-distortion ratio in dB (Le Roux et al., 2019):
 * both signals are made zero-mean, the estimate is projected onto the
 * reference, and the ratio of the projection's energy to the residual's is
 * returned. Uses the first min(length) samples; both must already be aligned.
 */
export function siSdrDb(estimate: Float32Array | Float64Array, reference: Float32Array | Float64Array): number {
  const n = Math.min(estimate.length, reference.length);
  if (n === 0) throw new RangeError('siSdrDb needs non-empty signals');
  let meanE = 0;
  let meanR = 0;
  for (let i = 0; i < n; i++) {
    meanE += estimate[i];
    meanR += reference[i];
  }
  meanE /= n;
  meanR /= n;
  let dot = 0;
  let refEnergy = 0;
  for (let i = 0; i < n; i++) {
    const r = reference[i] - meanR;
    dot += (estimate[i] - meanE) * r;
    refEnergy += r * r;
  }
  const alpha = dot / refEnergy;
  let target = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    const t = alpha * (reference[i] - meanR);
    const e = estimate[i] - meanE - t;
    target += t * t;
    noise += e * e;
  }
  return 10 * Math.log10(target / noise);
}
