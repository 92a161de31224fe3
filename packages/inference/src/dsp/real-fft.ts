import PFFFT from '@echogarden/pffft-wasm/simd';

// The WebAssembly module loads once per process, when this file is imported.
const pffft = await PFFFT();
const FORWARD = 0;
const BACKWARD = 1;

function pffftCanDo(size: number): boolean {
  if (!Number.isInteger(size) || size <= 0 || size % 32 !== 0) return false;
  let rest = size;
  for (const factor of [2, 3, 5]) while (rest % factor === 0) rest /= factor;
  return rest === 1;
}

/**
 * Real FFT of one size on PFFFT (WebAssembly SIMD, float32), the library
 * WebRTC's echo canceller uses. Sizes are 2^a * 3^b * 5^c with a >= 5 (512 for
 * DTLN and GTCRN, 960 for DeepFilterNet3). bench/scenarios/fft.bench.ts
 * compares it with fft.js (float64, powers of two only), which it replaced.
 *
 * A spectrum is the half spectrum as interleaved re/im pairs of bins
 * 0..size/2 (size + 2 values; the imaginary parts of DC and Nyquist are 0 and
 * ignored by `inverse`): the layout GTCRN's tensors use. Transforms are
 * unscaled: inverse(forward(x)) = size * x.
 *
 * One instance per size serves the whole process (`RealFft.ofSize`): it holds
 * PFFFT's read-only setup and one buffer in WebAssembly memory, and each call
 * copies in, transforms in place and copies out before returning.
 */
export class RealFft {
  static readonly #bySize = new Map<number, RealFft>();

  readonly size: number;
  readonly binCount: number;
  readonly #setup: number;
  readonly #pointer: number;
  #buffer: Float32Array;

  /** The shared transform of `size`; throws TypeError for a size PFFFT cannot do. */
  static ofSize(size: number): RealFft {
    let fft = RealFft.#bySize.get(size);
    if (!fft) {
      fft = new RealFft(size);
      RealFft.#bySize.set(size, fft);
    }
    return fft;
  }

  private constructor(size: number) {
    // Checked here: PFFFT aborts the whole WebAssembly module on a size that is not a multiple of 32.
    const setup = pffftCanDo(size) ? pffft._pffft_new_setup(size, 0) : 0;
    if (setup === 0) throw new TypeError(`RealFft: size ${size} must be 2^a * 3^b * 5^c with a >= 5`);
    this.size = size;
    this.binCount = size / 2 + 1;
    this.#setup = setup;
    this.#pointer = pffft._pffft_aligned_malloc(size * 4);
    this.#buffer = new Float32Array(pffft.HEAPF32.buffer, this.#pointer, size);
  }

  /** Forward transform of `frame` (exactly size values) into `spectrum` (size + 2 values). */
  forward(frame: Float32Array | Float64Array, spectrum: Float32Array): void {
    const n = this.size;
    const buffer = this.#view();
    buffer.set(frame);
    pffft._pffft_transform_ordered(this.#setup, this.#pointer, this.#pointer, 0, FORWARD);
    // PFFFT's order: re(0), re(size/2), then re/im of bins 1..size/2-1.
    spectrum[0] = buffer[0];
    spectrum[1] = 0;
    for (let i = 2; i < n; i++) spectrum[i] = buffer[i];
    spectrum[n] = buffer[1];
    spectrum[n + 1] = 0;
  }

  /** Inverse transform of `spectrum` into `out` (size values), each multiplied by `scale` (1/size undoes forward). */
  inverse(spectrum: Float32Array, out: Float32Array | Float64Array, scale: number): void {
    const n = this.size;
    const buffer = this.#view();
    buffer[0] = spectrum[0];
    buffer[1] = spectrum[n];
    for (let i = 2; i < n; i++) buffer[i] = spectrum[i];
    pffft._pffft_transform_ordered(this.#setup, this.#pointer, this.#pointer, 0, BACKWARD);
    for (let i = 0; i < n; i++) out[i] = buffer[i] * scale;
  }

  /** The buffer's view, remade if WebAssembly memory grew (growth detaches the old one). */
  #view(): Float32Array {
    if (this.#buffer.buffer !== pffft.HEAPF32.buffer) this.#buffer = new Float32Array(pffft.HEAPF32.buffer, this.#pointer, this.size);
    return this.#buffer;
  }
}
