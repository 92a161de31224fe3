function freqToErb(freqHz: number): number {
  return 9.265 * Math.log1p(freqHz / (24.7 * 9.265));
}

function erbToFreq(erb: number): number {
  return 24.7 * 9.265 * (Math.exp(erb / 9.265) - 1);
}

/**
 * libDF's ERB filterbank: the number of consecutive FFT bins in each band,
 * bands equally spaced on the ERB scale, each at least `minBinsPerBand` wide;
 * the widths add up to fftSize / 2 + 1.
 */
export function erbBandWidths(
  sampleRateHz: number,
  fftSize: number,
  bandCount: number,
  minBinsPerBand: number,
): Int32Array {
  const binWidthHz = sampleRateHz / fftSize;
  const erbLow = freqToErb(0);
  const erbHigh = freqToErb(sampleRateHz / 2);
  const step = (erbHigh - erbLow) / bandCount;
  const widths = new Int32Array(bandCount);
  let prevBin = 0;
  // Bins already handed to earlier bands to meet the minimum width.
  let overshoot = 0;
  for (let i = 1; i <= bandCount; i++) {
    // libDF computes the edges in f32; round the same value it rounds.
    const edgeHz = Math.fround(erbToFreq(Math.fround(erbLow + i * step)));
    const bin = Math.round(Math.fround(edgeHz / binWidthHz));
    let width = bin - prevBin - overshoot;
    if (width < minBinsPerBand) {
      overshoot = minBinsPerBand - width;
      width = minBinsPerBand;
    } else {
      overshoot = 0;
    }
    widths[i - 1] = width;
    prevBin = bin;
  }
  widths[bandCount - 1] += 1;
  let total = 0;
  for (const w of widths) total += w;
  const binCount = fftSize / 2 + 1;
  if (total > binCount) widths[bandCount - 1] -= total - binCount;
  total = 0;
  for (const w of widths) total += w;
  if (total !== binCount) throw new Error(`erbBandWidths: widths add up to ${total}, not ${binCount}`);
  return widths;
}
