/** Mono test signals and their comparison, for device round-trip tests. */

/** Sum of sines (each at `amplitude`), mono, with a 5 ms fade-in and fade-out so the edges do not click. */
export function makeTones(frequenciesHz: readonly number[], durationMs: number, sampleRateHz: number, amplitude = 0.25): Float32Array {
  const frames = Math.round((durationMs * sampleRateHz) / 1000);
  const fadeFrames = Math.round(0.005 * sampleRateHz);
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let v = 0;
    for (const f of frequenciesHz) v += amplitude * Math.sin((2 * Math.PI * f * i) / sampleRateHz);
    const edge = Math.min(1, i / fadeFrames, (frames - 1 - i) / fadeFrames);
    out[i] = v * edge;
  }
  return out;
}

/** First index whose magnitude reaches `fraction` of the peak; -1 for silence. */
function onsetIndex(x: Float32Array, fraction = 0.2): number {
  let peak = 0;
  for (let i = 0; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i]));
  if (peak === 0) return -1;
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) >= fraction * peak) return i;
  return -1;
}

/** Normalised cross-correlation of `reference` against `recorded` shifted by `lag` (recorded[i + lag] ~ reference[i]). */
export function nccAt(reference: Float32Array, recorded: Float32Array, lag: number): number {
  let dot = 0;
  let refEnergy = 0;
  let recEnergy = 0;
  for (let i = 0; i < reference.length; i++) {
    const j = i + lag;
    const r = j >= 0 && j < recorded.length ? recorded[j] : 0;
    dot += reference[i] * r;
    refEnergy += reference[i] * reference[i];
    recEnergy += r * r;
  }
  return refEnergy > 0 && recEnergy > 0 ? dot / Math.sqrt(refEnergy * recEnergy) : 0;
}

/**
 * Aligns `recorded` to `reference` (coarsely by onset, then by the best NCC within ±searchFrames)
 * and returns that NCC over the whole reference (missing recorded samples count as zeros) and the lag.
 */
export function alignedNcc(reference: Float32Array, recorded: Float32Array, searchFrames = 480): { ncc: number; lagFrames: number } {
  const refOnset = onsetIndex(reference);
  const recOnset = onsetIndex(recorded);
  if (refOnset < 0 || recOnset < 0) return { ncc: 0, lagFrames: 0 };
  const coarse = recOnset - refOnset;
  let best = { ncc: -1, lagFrames: coarse };
  for (let lag = coarse - searchFrames; lag <= coarse + searchFrames; lag++) {
    const ncc = nccAt(reference, recorded, lag);
    if (ncc > best.ncc) best = { ncc, lagFrames: lag };
  }
  return best;
}

/** p-quantile (0..1) of `values`, nearest rank; NaN when empty. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
}
