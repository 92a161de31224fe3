/**
 * Returns clean + noise scaled so the mixture has `snrDb` (clean energy over
 * scaled-noise energy); the noise repeats from its start when shorter.
 */
export function mixAtSnr(clean: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  if (noise.length === 0) throw new RangeError('mixAtSnr needs a non-empty noise');
  let cleanEnergy = 0;
  let noiseEnergy = 0;
  for (let i = 0; i < clean.length; i++) {
    const n = noise[i % noise.length];
    cleanEnergy += clean[i] * clean[i];
    noiseEnergy += n * n;
  }
  const scale = Math.sqrt(cleanEnergy / (noiseEnergy * 10 ** (snrDb / 10)));
  const mix = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) mix[i] = clean[i] + scale * noise[i % noise.length];
  return mix;
}
