import { kaiserWindow } from '@quell/runtime';

/**
 * Options of FractionalResampler. The defaults give a flat passband to 0.4 × the rate (19.2 kHz at 48 kHz),
 * about 90 dB of image rejection, and a delay of `halfTaps` frames.
 */
export interface FractionalResamplerOptions {
  /** Input frames the resampler can hold; a write that does not fit is refused whole. */
  capacityFrames: number;
  /** Taps on each side of the interpolation point: 16 reads 32 input frames per output frame. Default 16. */
  halfTaps?: number;
  /** Sub-frame positions in the filter table; the kernel is linearly interpolated between them. Default 256. */
  phaseCount?: number;
  /** Kaiser window beta; larger trades passband width for stopband depth. Default 9 (about 90 dB). */
  kaiserBeta?: number;
  /** Cutoff as a fraction of Nyquist. Default 0.9. */
  cutoffFraction?: number;
}

/**
 * A streaming resampler whose ratio may change on every read by tiny amounts: the one playback uses to follow
 * another device's clock (a few hundred ppm) without dropping or inserting blocks.
 *
 * Each output frame is the band-limited input at a fractional position: a Kaiser-windowed sinc of
 * 2 × halfTaps taps, taken from a table of `phaseCount` sub-frame positions with linear interpolation between
 * neighbouring positions (so the position is continuous and no phase steps are audible). The read position
 * advances by `ratio` input frames per output frame and carries its fraction from read to read, so chunk
 * boundaries leave no trace. Input lives in a preallocated buffer that is compacted in place; nothing is
 * allocated after construction.
 *
 * The Kaiser window is runtime's, shared with inference's PolyphaseResampler, whose fixed rational ratios
 * cannot change while streaming.
 */
export class FractionalResampler {
  readonly channelCount: number;
  readonly halfTaps: number;
  /** Input frames the output lags behind the read position: the filter's half-length. */
  readonly latencyFrames: number;
  /** Input frames consumed per output frame. 1 + 300e-6 plays 300 ppm faster than the input is written. */
  ratio = 1;
  readonly #phaseCount: number;
  // (phaseCount + 1) rows of 2 × halfTaps taps; row p is the kernel for a read position p / phaseCount past a frame.
  readonly #table: Float32Array;
  readonly #taps: Float32Array;
  readonly #buffer: Float32Array;
  readonly #capacityFrames: number;
  // Frames in #buffer: [#start, #end); the read position is #start + #frac (+ halfTaps - 1 is the centre).
  #start = 0;
  #end = 0;
  #frac = 0;

  /** @throws TypeError for bad options */
  constructor(channelCount: number, options: FractionalResamplerOptions) {
    const halfTaps = options.halfTaps ?? 16;
    const phaseCount = options.phaseCount ?? 256;
    const beta = options.kaiserBeta ?? 9;
    const cutoff = options.cutoffFraction ?? 0.9;
    if (!Number.isInteger(channelCount) || channelCount < 1) throw new TypeError(`channelCount must be a positive integer, got ${channelCount}`);
    if (!Number.isInteger(halfTaps) || halfTaps < 2) throw new TypeError(`halfTaps must be an integer >= 2, got ${halfTaps}`);
    if (!Number.isInteger(phaseCount) || phaseCount < 2) throw new TypeError(`phaseCount must be an integer >= 2, got ${phaseCount}`);
    if (!(cutoff > 0 && cutoff <= 1)) throw new TypeError(`cutoffFraction must be in (0, 1], got ${cutoff}`);
    if (!Number.isInteger(options.capacityFrames) || options.capacityFrames < 4 * halfTaps) {
      throw new TypeError(`capacityFrames must be an integer >= ${4 * halfTaps}, got ${options.capacityFrames}`);
    }
    this.channelCount = channelCount;
    this.halfTaps = halfTaps;
    this.latencyFrames = halfTaps;
    this.#phaseCount = phaseCount;
    const width = 2 * halfTaps;
    const table = new Float32Array((phaseCount + 1) * width);
    for (let p = 0; p <= phaseCount; p++) {
      const mu = p / phaseCount;
      let sum = 0;
      for (let j = 0; j < width; j++) {
        // Tap j weighs input frame (start + j); the interpolation point is start + halfTaps - 1 + mu.
        const t = j - (halfTaps - 1) - mu;
        const sinc = t === 0 ? cutoff : Math.sin(Math.PI * cutoff * t) / (Math.PI * t);
        const r = t / halfTaps;
        const w = Math.abs(r) >= 1 ? 0 : kaiserWindow(r, beta);
        table[p * width + j] = sinc * w;
        sum += sinc * w;
      }
      // Unity DC gain at every position, so a slowly sliding position does not modulate the level.
      for (let j = 0; j < width; j++) table[p * width + j] /= sum;
    }
    this.#table = table;
    this.#taps = new Float32Array(width);
    this.#capacityFrames = options.capacityFrames;
    this.#buffer = new Float32Array(options.capacityFrames * channelCount);
  }

  /** Input frames written and not yet consumed, counted from the read position (fractional). */
  get bufferedFrames(): number {
    return this.#end - this.#start - this.#frac;
  }

  /** Frames that can be written now. */
  get freeFrames(): number {
    return this.#capacityFrames - (this.#end - this.#start);
  }

  /**
   * Appends interleaved input frames (copied).
   * @returns false, writing nothing, when they do not fit
   */
  write(samples: Float32Array): boolean {
    const channels = this.channelCount;
    const frames = samples.length / channels;
    if (frames > this.freeFrames) return false;
    if (this.#end + frames > this.#capacityFrames) this.#compact();
    this.#buffer.set(samples, this.#end * channels);
    this.#end += frames;
    return true;
  }

  /** Writes `frames` frames of silence (used to give the filter its history at the start). */
  writeSilence(frames: number): boolean {
    if (frames > this.freeFrames) return false;
    if (this.#end + frames > this.#capacityFrames) this.#compact();
    this.#buffer.fill(0, this.#end * this.channelCount, (this.#end + frames) * this.channelCount);
    this.#end += frames;
    return true;
  }

  /** Output frames that the buffered input can produce at the current ratio. */
  availableFrames(): number {
    const span = this.#end - this.#start - 2 * this.halfTaps - this.#frac;
    return span < 0 ? 0 : Math.floor(span / this.ratio) + 1;
  }

  /**
   * Produces up to `frames` interleaved output frames into the start of `out`, advancing `ratio` input frames per
   * output frame.
   * @returns the frames written; fewer than asked when the input runs out (the rest of `out` is untouched)
   */
  read(out: Float32Array, frames: number): number {
    const channels = this.channelCount;
    const width = 2 * this.halfTaps;
    const table = this.#table;
    const taps = this.#taps;
    const buffer = this.#buffer;
    const phaseCount = this.#phaseCount;
    const ratio = this.ratio;
    let start = this.#start;
    let frac = this.#frac;
    let written = 0;
    while (written < frames && start + width <= this.#end) {
      const pos = frac * phaseCount;
      const p = pos | 0;
      const w1 = pos - p;
      const w0 = 1 - w1;
      const row0 = p * width;
      const row1 = row0 + width;
      const outBase = written * channels;
      if (channels === 1) {
        // Mono: two dot products with the neighbouring kernels, blended, costs the same as blending the taps.
        let acc0 = 0;
        let acc1 = 0;
        for (let j = 0; j < width; j++) {
          const x = buffer[start + j];
          acc0 += table[row0 + j] * x;
          acc1 += table[row1 + j] * x;
        }
        out[outBase] = w0 * acc0 + w1 * acc1;
      } else {
        for (let j = 0; j < width; j++) taps[j] = w0 * table[row0 + j] + w1 * table[row1 + j];
        for (let ch = 0; ch < channels; ch++) {
          let acc = 0;
          let at = start * channels + ch;
          for (let j = 0; j < width; j++, at += channels) acc += taps[j] * buffer[at];
          out[outBase + ch] = acc;
        }
      }
      written++;
      frac += ratio;
      const whole = Math.floor(frac);
      start += whole;
      frac -= whole;
    }
    this.#start = start;
    this.#frac = frac;
    return written;
  }

  /** Forgets all input and the fractional position. */
  clear(): void {
    this.#start = 0;
    this.#end = 0;
    this.#frac = 0;
  }

  #compact(): void {
    const channels = this.channelCount;
    this.#buffer.copyWithin(0, this.#start * channels, this.#end * channels);
    this.#end -= this.#start;
    this.#start = 0;
  }
}
