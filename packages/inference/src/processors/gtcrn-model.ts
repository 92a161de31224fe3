import { RealFft } from '../dsp/real-fft.js';
import { createFloatTensor, tensorData, type OrtSession } from '../onnx/session-factory.js';
import type { HopModelState } from './hop-model.js';

/** GTCRN at 16 kHz: STFT 512, hop 256, sqrt periodic Hann (see shared/models/README.md). */
export const GTCRN_FFT_FRAMES = 512;
export const GTCRN_HOP_FRAMES = 256;
const BIN_COUNT = 257;
const CONV_CACHE_DIMS = [2, 1, 16, 16, 33];
const TRA_CACHE_DIMS = [2, 3, 1, 1, 16];
const INTER_CACHE_DIMS = [2, 1, 33, 16];

/** sqrt of the periodic Hann window; with hop N/2 its square sums to 1, so overlap-add needs no scaling. */
function sqrtHann(size: number): Float64Array {
  const w = new Float64Array(size);
  for (let i = 0; i < size; i++) w[i] = Math.sqrt(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
  return w;
}

/** One stream's GTCRN state: analysis and synthesis buffers plus the three caches, allocated once. */
export class GtcrnModelState implements HopModelState {
  readonly hopFrames = GTCRN_HOP_FRAMES;
  readonly modelDelayFrames = GTCRN_FFT_FRAMES - GTCRN_HOP_FRAMES;
  readonly #session: OrtSession;
  readonly #fft = new RealFft(GTCRN_FFT_FRAMES);
  readonly #window = sqrtHann(GTCRN_FFT_FRAMES);
  readonly #inBlock = new Float32Array(GTCRN_FFT_FRAMES);
  readonly #frame = new Float64Array(GTCRN_FFT_FRAMES);
  readonly #outBlock = new Float64Array(GTCRN_FFT_FRAMES);
  readonly #mix = createFloatTensor([1, BIN_COUNT, 1, 2]);
  readonly #enh = createFloatTensor([1, BIN_COUNT, 1, 2]);
  // Caches are double-buffered: a run reads one set and writes the other.
  #conv = createFloatTensor(CONV_CACHE_DIMS);
  #convNext = createFloatTensor(CONV_CACHE_DIMS);
  #tra = createFloatTensor(TRA_CACHE_DIMS);
  #traNext = createFloatTensor(TRA_CACHE_DIMS);
  #inter = createFloatTensor(INTER_CACHE_DIMS);
  #interNext = createFloatTensor(INTER_CACHE_DIMS);

  constructor(session: OrtSession) {
    this.#session = session;
  }

  runHop(input: Float32Array, output: Float32Array): void {
    const n = GTCRN_FFT_FRAMES;
    const hop = GTCRN_HOP_FRAMES;
    const win = this.#window;
    const block = this.#inBlock;
    block.copyWithin(0, hop);
    block.set(input, n - hop);
    const frame = this.#frame;
    for (let i = 0; i < n; i++) frame[i] = block[i] * win[i];

    const fft = this.#fft;
    fft.forward(frame);
    const spec = fft.spectrum;
    // mix is [1, 257, 1, 2]: re and im of each bin side by side.
    const mix = tensorData(this.#mix);
    for (let i = 0; i < 2 * BIN_COUNT; i++) mix[i] = spec[i];
    this.#session.run(
      { mix: this.#mix, conv_cache: this.#conv, tra_cache: this.#tra, inter_cache: this.#inter },
      { enh: this.#enh, conv_cache_out: this.#convNext, tra_cache_out: this.#traNext, inter_cache_out: this.#interNext },
    );
    {
      const t = this.#conv;
      this.#conv = this.#convNext;
      this.#convNext = t;
    }
    {
      const t = this.#tra;
      this.#tra = this.#traNext;
      this.#traNext = t;
    }
    {
      const t = this.#inter;
      this.#inter = this.#interNext;
      this.#interNext = t;
    }

    const enh = tensorData(this.#enh);
    for (let i = 0; i < 2 * BIN_COUNT; i++) spec[i] = enh[i];
    // DC and Nyquist bins of a real signal have no imaginary part.
    spec[1] = 0;
    spec[2 * (BIN_COUNT - 1) + 1] = 0;
    fft.inverse(frame);

    const out = this.#outBlock;
    out.copyWithin(0, hop);
    out.fill(0, n - hop);
    for (let i = 0; i < n; i++) out[i] += frame[i] * win[i];
    for (let i = 0; i < hop; i++) output[i] = out[i];
  }
}
