import { RealFft } from '../../dsp/real-fft.js';
import { vorbisWindow } from './vorbis-window.js';

/**
 * libDF's streaming STFT synthesis: unscaled inverse FFT, Vorbis window, and
 * overlap-add with the tail of the previous frames. Output lags the analysis
 * input by fftSize - hopSize frames.
 */
export class StftSynthesis {
  readonly fftSize: number;
  readonly hopSize: number;
  readonly #fft: RealFft;
  readonly #window: Float32Array;
  /** Overlap-add tail, fftSize - hopSize frames. */
  readonly #memory: Float64Array;
  readonly #frame: Float64Array;
  readonly #spectrum: Float32Array;

  constructor(fftSize: number, hopSize: number) {
    this.fftSize = fftSize;
    this.hopSize = hopSize;
    this.#fft = RealFft.ofSize(fftSize);
    this.#window = vorbisWindow(fftSize);
    this.#memory = new Float64Array(fftSize - hopSize);
    this.#frame = new Float64Array(fftSize);
    this.#spectrum = new Float32Array(fftSize + 2);
  }

  /** Turns one spectrum (`re`/`im`, fftSize/2+1 bins) into `hopSize` output frames in `out`. */
  synthesise(re: Float32Array, im: Float32Array, out: Float32Array): void {
    const hop = this.hopSize;
    const frame = this.#frame;
    const window = this.#window;
    const memory = this.#memory;
    const memLength = memory.length;
    const spectrum = this.#spectrum;
    for (let k = 0; k < spectrum.length / 2; k++) {
      spectrum[2 * k] = re[k];
      spectrum[2 * k + 1] = im[k];
    }
    this.#fft.inverse(spectrum, frame, 1);
    for (let i = 0; i < this.fftSize; i++) frame[i] *= window[i];
    for (let i = 0; i < hop; i++) out[i] = frame[i] + memory[i];
    // Shift the tail left by one hop, add this frame's overlapping part, and
    // store its last hop frames fresh.
    memory.copyWithin(0, hop);
    const keep = memLength - hop;
    for (let i = 0; i < keep; i++) memory[i] += frame[hop + i];
    for (let i = keep; i < memLength; i++) memory[i] = frame[hop + i];
  }
}
