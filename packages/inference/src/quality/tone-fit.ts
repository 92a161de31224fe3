export interface ToneFit {
  /** Fitted amplitude of the tone. */
  amplitude: number;
  /** Fitted phase in radians: the tone is amplitude * sin(2 pi f n / rate + phase). */
  phaseRad: number;
  /** Energy of what is left after removing the tone and DC, relative to the tone's energy, in dB (THD+N). */
  residualDb: number;
}

/**
 * Least-squares fit of DC + a sine of known frequency to `signal` (index 0 is
 * sample `startIndex` of the stream, so phases compare across segments).
 */
export function fitTone(signal: Float32Array | Float64Array, frequencyHz: number, rateHz: number, startIndex = 0): ToneFit {
  const w = (2 * Math.PI * frequencyHz) / rateHz;
  // Normal equations for the basis [sin, cos, 1].
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const v = [0, 0, 0];
  for (let i = 0; i < signal.length; i++) {
    const t = w * (i + startIndex);
    const b = [Math.sin(t), Math.cos(t), 1];
    for (let r = 0; r < 3; r++) {
      v[r] += b[r] * signal[i];
      for (let c = 0; c < 3; c++) m[r * 3 + c] += b[r] * b[c];
    }
  }
  const [s, c, dc] = solve3(m, v);
  let tone = 0;
  let rest = 0;
  for (let i = 0; i < signal.length; i++) {
    const t = w * (i + startIndex);
    const y = s * Math.sin(t) + c * Math.cos(t);
    tone += y * y;
    rest += (signal[i] - y - dc) ** 2;
  }
  return { amplitude: Math.hypot(s, c), phaseRad: Math.atan2(c, s), residualDb: 10 * Math.log10(rest / tone) };
}

function solve3(m: number[], v: number[]): [number, number, number] {
  const det = (a: number[]) =>
    a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
  const d = det(m);
  const out: number[] = [];
  for (let col = 0; col < 3; col++) {
    const a = m.slice();
    for (let r = 0; r < 3; r++) a[r * 3 + col] = v[r];
    out.push(det(a) / d);
  }
  return [out[0], out[1], out[2]];
}
