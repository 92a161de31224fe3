/**
 * The Vorbis window libDF uses: w[n] = sin(pi/2 * sin^2(pi (n + 0.5) / N)).
 * It is power complementary at 50 % overlap (w[n]^2 + w[n + N/2]^2 = 1), so
 * windowing both in analysis and synthesis reconstructs the input exactly.
 */
export function vorbisWindow(size: number): Float32Array {
  const window = new Float32Array(size);
  const half = size / 2;
  for (let n = 0; n < size; n++) {
    const s = Math.sin((0.5 * Math.PI * (n + 0.5)) / half);
    window[n] = Math.sin(0.5 * Math.PI * s * s);
  }
  return window;
}
