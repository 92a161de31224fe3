/** Zeroth-order modified Bessel function of the first kind (power series; converges fast for beta < 20). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 60; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * The Kaiser window at relative position `r` in [-1, 1] (0 = centre) for
 * shape `beta`, normalised to 1 at the centre. Shared by every windowed-sinc
 * filter in Quell (inference's fixed-ratio resampler, playback's drift resampler).
 */
export function kaiserWindow(r: number, beta: number): number {
  return besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / besselI0(beta);
}

/** Kaiser's beta for a stopband attenuation in dB. */
export function kaiserBeta(attenuationDb: number): number {
  const a = attenuationDb;
  return a > 50 ? 0.1102 * (a - 8.7) : a >= 21 ? 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21) : 0;
}
