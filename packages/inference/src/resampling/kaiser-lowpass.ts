import { kaiserBeta, kaiserWindow } from '@quell/runtime';

export interface LowpassDesign {
  /** Sample rate the filter runs at, in Hz. */
  rateHz: number;
  /** Edge of the flat passband, in Hz. */
  passbandHz: number;
  /** Start of the stopband, in Hz. */
  stopbandHz: number;
  /** Stopband attenuation, in dB. */
  attenuationDb: number;
}

/** Kaiser's estimate of the filter length for a design, in taps at `rateHz`. */
export function kaiserLength(design: LowpassDesign): number {
  const dw = (2 * Math.PI * (design.stopbandHz - design.passbandHz)) / design.rateHz;
  return Math.ceil((design.attenuationDb - 7.95) / (2.285 * dw)) + 1;
}

/**
 * Windowed-sinc lowpass of odd length `tapCount` (so its delay is a whole
 * number of taps, (tapCount - 1) / 2), cutoff halfway through the transition
 * band, DC gain `gain`.
 */
export function kaiserLowpass(design: LowpassDesign, tapCount: number, gain: number): Float64Array {
  if (tapCount % 2 !== 1) throw new Error('kaiserLowpass needs an odd tap count');
  const beta = kaiserBeta(design.attenuationDb);
  const fc = (design.passbandHz + design.stopbandHz) / 2 / design.rateHz;
  const center = (tapCount - 1) / 2;
  const h = new Float64Array(tapCount);
  for (let i = 0; i < tapCount; i++) {
    const t = i - center;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const r = t / center;
    h[i] = gain * sinc * kaiserWindow(r, beta);
  }
  return h;
}
