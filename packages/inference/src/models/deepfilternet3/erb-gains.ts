/**
 * Applies one gain per ERB band to every bin of that band of the spectrum
 * `re`/`im`, in place (libDF `apply_interp_band_gain`).
 */
export function applyErbGains(re: Float32Array, im: Float32Array, gains: ArrayLike<number>, widths: Int32Array): void {
  let bin = 0;
  for (let b = 0; b < widths.length; b++) {
    const gain = gains[b];
    for (let end = bin + widths[b]; bin < end; bin++) {
      re[bin] *= gain;
      im[bin] *= gain;
    }
  }
}
