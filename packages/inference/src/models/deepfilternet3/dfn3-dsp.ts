import { ComplexFeatures } from './complex-features.js';
import type { Dfn3Config } from './config.js';
import { applyDeepFilter } from './deep-filter.js';
import { applyErbGains } from './erb-gains.js';
import { erbBandWidths } from './erb-bands.js';
import { ErbFeatures } from './erb-features.js';
import { StftAnalysis } from './stft-analysis.js';
import { StftSynthesis } from './stft-synthesis.js';

/**
 * One stream's DSP around the DeepFilterNet3 networks, one STFT hop per call
 * pair: `analyse()` turns a hop of input into the network features, and
 * `synthesise()` takes the networks' outputs for that hop and yields a hop of
 * enhanced output.
 *
 * The outputs of the networks at hop t belong to spectrum t - convLookahead
 * (the networks see that many frames ahead); the deep filter for that
 * spectrum reads the noisy spectra from dfOrder - 1 - dfLookahead frames
 * before it to dfLookahead frames after it. Spectra before the first hop are
 * zero, as in libDF. Output lags input by fftSize - hop + convLookahead * hop frames.
 */
export class Dfn3Dsp {
  readonly config: Dfn3Config;
  readonly erbWidths: Int32Array;
  /** Frames the synthesised hops lag the analysed hops. */
  readonly delayFrames: number;
  readonly #analysis: StftAnalysis;
  readonly #synthesis: StftSynthesis;
  readonly #erbFeatures: ErbFeatures;
  readonly #complexFeatures: ComplexFeatures;
  /** Ring of the last noisy spectra, indexed by hop number modulo its length. */
  readonly #ringRe: Float32Array[];
  readonly #ringIm: Float32Array[];
  /** The deep filter's input frames, oldest first (views into the ring, reordered per hop). */
  readonly #tapsRe: Float32Array[];
  readonly #tapsIm: Float32Array[];
  readonly #outRe: Float32Array;
  readonly #outIm: Float32Array;
  #hopIndex = -1;

  constructor(config: Dfn3Config) {
    this.config = config;
    const { fftSize, hopSize, nbErb, nbDf, normAlpha, dfOrder, dfLookahead, convLookahead } = config;
    this.erbWidths = erbBandWidths(config.sampleRateHz, fftSize, nbErb, config.minNbErbFreqs);
    this.delayFrames = fftSize - hopSize + convLookahead * hopSize;
    this.#analysis = new StftAnalysis(fftSize, hopSize);
    this.#synthesis = new StftSynthesis(fftSize, hopSize);
    this.#erbFeatures = new ErbFeatures(this.erbWidths, normAlpha);
    this.#complexFeatures = new ComplexFeatures(nbDf, normAlpha);
    const bins = fftSize / 2 + 1;
    const ringLength = convLookahead + dfOrder - dfLookahead;
    this.#ringRe = Array.from({ length: ringLength }, () => new Float32Array(bins));
    this.#ringIm = Array.from({ length: ringLength }, () => new Float32Array(bins));
    this.#tapsRe = this.#ringRe.slice(0, dfOrder);
    this.#tapsIm = this.#ringIm.slice(0, dfOrder);
    this.#outRe = new Float32Array(bins);
    this.#outIm = new Float32Array(bins);
  }

  /**
   * Analyses one hop of input (hopSize frames) and writes the features:
   * `featErb` (nbErb values) and `featSpec` (nbDf real parts, then nbDf
   * imaginary parts: the [2, nbDf] layout of the encoder input).
   */
  analyse(hop: Float32Array, featErb: Float32Array, featSpec: Float32Array): void {
    this.#hopIndex++;
    const slot = this.#hopIndex % this.#ringRe.length;
    const re = this.#ringRe[slot];
    const im = this.#ringIm[slot];
    this.#analysis.analyse(hop, re, im);
    this.#erbFeatures.compute(re, im, featErb);
    this.#complexFeatures.compute(re, im, featSpec);
  }

  /**
   * Enhances the spectrum `convLookahead` hops before the last analysed one
   * with the ERB `gains` (nbErb) and deep filter `coefs` ([nbDf][dfOrder][2])
   * of the last hop, and writes hopSize output frames into `out`.
   */
  synthesise(gains: ArrayLike<number>, coefs: ArrayLike<number>, out: Float32Array): void {
    const { convLookahead, dfOrder, dfLookahead, nbDf } = this.config;
    const ringLength = this.#ringRe.length;
    const target = this.#hopIndex - convLookahead;
    const targetSlot = (((target % ringLength) + ringLength) % ringLength);
    this.#outRe.set(this.#ringRe[targetSlot]);
    this.#outIm.set(this.#ringIm[targetSlot]);
    applyErbGains(this.#outRe, this.#outIm, gains, this.erbWidths);
    const first = target - (dfOrder - 1 - dfLookahead);
    for (let i = 0; i < dfOrder; i++) {
      const slot = ((((first + i) % ringLength) + ringLength) % ringLength);
      this.#tapsRe[i] = this.#ringRe[slot];
      this.#tapsIm[i] = this.#ringIm[slot];
    }
    applyDeepFilter(this.#tapsRe, this.#tapsIm, coefs, nbDf, this.#outRe, this.#outIm);
    this.#synthesis.synthesise(this.#outRe, this.#outIm, out);
  }
}
