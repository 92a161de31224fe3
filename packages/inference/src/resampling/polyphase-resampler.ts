import { kaiserLength, kaiserLowpass } from './kaiser-lowpass.js';
import { SimdDots } from './simd-dots.js';

/** Rates every resampler accepts, in Hz. */
export const SUPPORTED_RATES_HZ: readonly number[] = [8000, 16000, 22050, 32000, 44100, 48000, 96000];

export interface ResamplerOptions {
  /** Stopband attenuation in dB (default 100). */
  attenuationDb?: number;
  /** Flat passband as a fraction of the lower rate's Nyquist frequency (default 0.875: 7 kHz at 16 kHz). */
  passbandFraction?: number;
  /**
   * Advance of the first output, in 1/L input frames (L = the upsampling
   * factor `upFactor`), default 0; lets a caller cancel a fractional delay.
   */
  phaseOffset?: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Input frames resampled per kernel call; longer input is cut into blocks of this size. */
const BLOCK_FRAMES = 1024;
/** The kernel reads taps in steps of 8 (two 4-lane vectors). */
const TAP_STEP = 8;

/**
 * Streaming rational resampler (upsample by L, Kaiser lowpass, decimate by M)
 * in polyphase form. It keeps the last taps of input, so output is the same
 * whatever way input is cut into chunks, and it never allocates after
 * construction. Output k is the input lowpassed at input position
 * (k * M + phaseOffset - centerUnits) / L, so the delay is
 * (centerUnits - phaseOffset) / L input frames.
 *
 * The dot products run in WebAssembly SIMD (SimdDots) over float32 taps and
 * input: JavaScript only places each output's filter phase and input window.
 */
export class PolyphaseResampler {
  readonly inRateHz: number;
  readonly outRateHz: number;
  /** Upsampling factor L. */
  readonly upFactor: number;
  /** Decimation factor M. */
  readonly downFactor: number;
  /** Taps per phase (input frames of history each output reads). */
  readonly tapsPerPhase: number;
  /** Filter centre in 1/L input frames. */
  readonly centerUnits: number;
  readonly phaseOffset: number;
  readonly #kernel: SimdDots;
  // Taps per phase rounded up to TAP_STEP; each phase row starts with the zeros this adds.
  readonly #rowTaps: number;
  // The last rowTaps - 1 inputs, then the block being resampled (kernel memory).
  readonly #window: Float32Array;
  readonly #windowByteOffset: number;
  // Per output of a block: byte addresses of its filter row and of its window's first frame.
  readonly #pairs: Int32Array;
  readonly #pairsByteOffset: number;
  readonly #out: Float32Array;
  readonly #outByteOffset: number;
  #inputCount = 0;
  // Input index and phase of the next output.
  #needIndex: number;
  #phase: number;

  constructor(inRateHz: number, outRateHz: number, options: ResamplerOptions = {}) {
    for (const r of [inRateHz, outRateHz]) {
      if (!SUPPORTED_RATES_HZ.includes(r)) throw new TypeError(`unsupported sample rate ${r} Hz: use one of ${SUPPORTED_RATES_HZ.join(', ')}`);
    }
    this.inRateHz = inRateHz;
    this.outRateHz = outRateHz;
    const g = gcd(inRateHz, outRateHz);
    const L = outRateHz / g;
    const M = inRateHz / g;
    this.upFactor = L;
    this.downFactor = M;
    const nyquistHz = Math.min(inRateHz, outRateHz) / 2;
    const design = {
      rateHz: inRateHz * L,
      passbandHz: (options.passbandFraction ?? 0.875) * nyquistHz,
      stopbandHz: nyquistHz,
      attenuationDb: options.attenuationDb ?? 100,
    };
    const T = Math.ceil(kaiserLength(design) / L);
    this.tapsPerPhase = T;
    // An odd prototype length puts the centre on a whole 1/L step.
    const n = (T * L) % 2 === 1 ? T * L : T * L - 1;
    this.centerUnits = (n - 1) / 2;
    const h = kaiserLowpass(design, n, L);
    const rowTaps = Math.ceil(T / TAP_STEP) * TAP_STEP;
    this.#rowTaps = rowTaps;
    const maxBlockOutputs = this.maxOutputFrames(BLOCK_FRAMES);
    const tableBytes = L * rowTaps * 4;
    this.#windowByteOffset = tableBytes;
    const windowFrames = rowTaps - 1 + BLOCK_FRAMES;
    this.#pairsByteOffset = this.#windowByteOffset + windowFrames * 4;
    this.#outByteOffset = this.#pairsByteOffset + maxBlockOutputs * 8;
    this.#kernel = new SimdDots(this.#outByteOffset + maxBlockOutputs * 4);
    const buffer = this.#kernel.memory.buffer;
    const table = new Float32Array(buffer, 0, L * rowTaps);
    // Per phase, taps reversed so each output is a forward dot product with its window (oldest frame first).
    for (let r = 0; r < L; r++) {
      for (let j = 0; j < T; j++) {
        const idx = r + j * L;
        table[r * rowTaps + (rowTaps - 1 - j)] = idx < n ? h[idx] : 0;
      }
    }
    this.#window = new Float32Array(buffer, this.#windowByteOffset, windowFrames);
    this.#pairs = new Int32Array(buffer, this.#pairsByteOffset, maxBlockOutputs * 2);
    this.#out = new Float32Array(buffer, this.#outByteOffset, maxBlockOutputs);
    this.phaseOffset = options.phaseOffset ?? 0;
    this.#needIndex = Math.floor(this.phaseOffset / L);
    this.#phase = this.phaseOffset % L;
  }

  /** Largest output count `process()` can return for `inputFrames` input. */
  maxOutputFrames(inputFrames: number): number {
    return Math.ceil((inputFrames * this.upFactor) / this.downFactor) + 1;
  }

  /** Total outputs produced once `inputCount` inputs (from the start) have been pushed. */
  outputCountAfter(inputCount: number): number {
    const num = inputCount * this.upFactor - 1 - this.phaseOffset;
    return num < 0 ? 0 : Math.floor(num / this.downFactor) + 1;
  }

  /**
   * Resamples `input` into the start of `output` and returns how many frames
   * were written. When `sources` is given, `sources[j]` receives the index in
   * `input` of the frame whose arrival produced output j.
   */
  process(input: Float32Array | Float64Array, output: Float32Array | Float64Array, sources?: Int32Array): number {
    let written = 0;
    for (let start = 0; start < input.length; start += BLOCK_FRAMES) {
      written += this.#processBlock(input, start, Math.min(start + BLOCK_FRAMES, input.length), output, written, sources);
    }
    return written;
  }

  #processBlock(input: Float32Array | Float64Array, start: number, end: number, output: Float32Array | Float64Array, written: number, sources: Int32Array | undefined): number {
    const L = this.upFactor;
    const M = this.downFactor;
    const keep = this.#rowTaps - 1;
    const window = this.#window;
    const frames = end - start;
    for (let i = 0; i < frames; i++) window[keep + i] = input[start + i];
    const firstIndex = this.#inputCount;
    this.#inputCount += frames;
    const pairs = this.#pairs;
    const rowBytes = this.#rowTaps * 4;
    let count = 0;
    // The output due at input i reads the rowTaps frames ending with it: window[i .. i + keep].
    while (this.#needIndex < this.#inputCount) {
      const i = this.#needIndex - firstIndex;
      pairs[2 * count] = this.#phase * rowBytes;
      pairs[2 * count + 1] = this.#windowByteOffset + i * 4;
      if (sources !== undefined) sources[written + count] = start + i;
      count++;
      const next = this.#phase + M;
      this.#needIndex += Math.floor(next / L);
      this.#phase = next % L;
    }
    if (count > 0) {
      this.#kernel.dots(count, this.#rowTaps, this.#pairsByteOffset, this.#outByteOffset);
      const out = this.#out;
      for (let k = 0; k < count; k++) output[written + k] = out[k];
    }
    window.copyWithin(0, frames, frames + keep);
    return count;
  }
}
