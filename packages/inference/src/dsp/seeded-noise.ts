/**
 * Deterministic white noise in [-amplitude, amplitude): a 32-bit linear
 * congruential generator (Numerical Recipes' constants), so a seed gives the
 * same signal on every machine. For tests, benches and the stage's warm-up.
 */
export function seededNoise(length: number, seed: number, amplitude = 1): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 31 - 1) * amplitude;
  }
  return out;
}
