/**
 * The numbers a model is fed and may give back (issue 15). Float audio's full
 * scale is ±1; a sample beyond it (a float WAV pushed past 0 dBFS, a 1e30 from
 * a broken file) is clipped there before the model, because the models
 * amplify what they have never seen into seconds of output at +56 to +77 dBFS.
 */
export const INPUT_LIMIT = 1;

/** Largest |output| sample a model may give for input within ±INPUT_LIMIT unless it says otherwise: +12 dBFS. */
export const DEFAULT_OUTPUT_LIMIT = 4;

/** Clips `samples` to ±INPUT_LIMIT in place; returns how many were clipped. Allocates nothing. */
export function limitInput(samples: Float32Array): number {
  let clipped = 0;
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    if (x > INPUT_LIMIT) {
      samples[i] = INPUT_LIMIT;
      clipped++;
    } else if (x < -INPUT_LIMIT) {
      samples[i] = -INPUT_LIMIT;
      clipped++;
    }
  }
  return clipped;
}

/** False when any sample is non-finite or beyond ±limit (NaN fails both comparisons). */
export function plausibleOutput(output: Float32Array, limit: number): boolean {
  for (let i = 0; i < output.length; i++) {
    const x = output[i];
    if (!(x <= limit && x >= -limit)) return false;
  }
  return true;
}
