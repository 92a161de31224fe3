import { RealFft } from '../dsp/real-fft.js';
import { FeedbackRun } from '../onnx/feedback-run.js';
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

/** One stream's GTCRN state: analysis and synthesis buffers plus the three caches (fed back by FeedbackRun), allocated once. */
export class GtcrnModelState implements HopModelState {
  readonly hopFrames = GTCRN_HOP_FRAMES;
  readonly modelDelayFrames = GTCRN_FFT_FRAMES - GTCRN_HOP_FRAMES;
  readonly #fft = RealFft.ofSize(GTCRN_FFT_FRAMES);
  readonly #window = sqrtHann(GTCRN_FFT_FRAMES);
  readonly #inBlock = new Float32Array(GTCRN_FFT_FRAMES);
  readonly #frame = new Float32Array(GTCRN_FFT_FRAMES);
  readonly #outBlock = new Float64Array(GTCRN_FFT_FRAMES);
  readonly #mix: Float32Array;
  readonly #enh: Float32Array;
  readonly #run: FeedbackRun;

  constructor(session: OrtSession) {
    const mix = createFloatTensor([1, BIN_COUNT, 1, 2]);
    const enh = createFloatTensor([1, BIN_COUNT, 1, 2]);
    this.#mix = tensorData(mix);
    this.#enh = tensorData(enh);
    this.#run = new FeedbackRun(session, { mix }, { enh }, [
      { inputName: 'conv_cache', outputName: 'conv_cache_out', dims: CONV_CACHE_DIMS },
      { inputName: 'tra_cache', outputName: 'tra_cache_out', dims: TRA_CACHE_DIMS },
      { inputName: 'inter_cache', outputName: 'inter_cache_out', dims: INTER_CACHE_DIMS },
    ]);
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

    // mix is [1, 257, 1, 2]: re and im of each bin side by side, RealFft's spectrum layout.
    this.#fft.forward(frame, this.#mix);
    this.#run.run();

    // The inverse ignores the imaginary parts of DC and Nyquist, which a real signal lacks.
    this.#fft.inverse(this.#enh, frame, 1 / n);

    const out = this.#outBlock;
    out.copyWithin(0, hop);
    out.fill(0, n - hop);
    for (let i = 0; i < n; i++) out[i] += frame[i] * win[i];
    for (let i = 0; i < hop; i++) output[i] = out[i];
  }
}
