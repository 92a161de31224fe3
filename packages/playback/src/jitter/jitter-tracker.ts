/** Options of JitterTracker, all in seconds. */
export interface JitterTrackerOptions {
  /** Smallest target level, s. Default 0.03. */
  minTargetS?: number;
  /** Largest target level, s. Default 0.2. */
  maxTargetS?: number;
  /** Added to the measured jitter: the chunk and device block the level may lack at the instant of a read, s. Default 0.02. */
  marginS?: number;
  /** Window over which the arrival spread is measured, s. Default 2. */
  windowS?: number;
  /** How fast a remembered large spread is forgotten: its time constant, s. Default 60. */
  decayS?: number;
  /**
   * The target before the first jitter measurement (a stream's first two windows, ~4 s), s: arrivals are burstiest
   * while the devices and connections start, so a low floor alone underran there. Default 0.03 (never below the
   * floor).
   */
  startTargetS?: number;
}

/**
 * Measures arrival jitter and turns it into the target buffer level. Each chunk's transit is its arrival time
 * minus its position in the stream (frames / rate); the spread (max − min) of transit over a short window is
 * the extra delay an arrival may have, i.e. the buffer needed beyond the margin. The largest recent spread is
 * kept and decays slowly, so the target rises at once after a burst of jitter and falls back over a minute.
 * Windows are short so that clock drift (which moves transit by only 300 ppm × window) does not look like jitter.
 */
export class JitterTracker {
  readonly #minTargetS: number;
  readonly #maxTargetS: number;
  readonly #marginS: number;
  readonly #windowS: number;
  readonly #decayS: number;
  readonly #startTargetS: number;
  #windowStartS = Number.NaN;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #spreadS = 0;
  #targetS: number;
  #windows = 0;

  /** @throws TypeError for bad bounds */
  constructor(options: JitterTrackerOptions = {}) {
    this.#minTargetS = options.minTargetS ?? 0.03;
    this.#maxTargetS = options.maxTargetS ?? 0.2;
    this.#marginS = options.marginS ?? 0.02;
    this.#windowS = options.windowS ?? 2;
    this.#decayS = options.decayS ?? 60;
    this.#startTargetS = options.startTargetS ?? 0.03;
    if (!(this.#minTargetS > 0 && this.#maxTargetS >= this.#minTargetS)) {
      throw new TypeError(`JitterTracker: need 0 < minTargetS <= maxTargetS, got ${this.#minTargetS}, ${this.#maxTargetS}`);
    }
    if (!(this.#marginS >= 0 && this.#windowS > 0 && this.#decayS > 0)) throw new TypeError('JitterTracker: marginS >= 0, windowS > 0, decayS > 0');
    this.#targetS = this.#clamp(Math.max(this.#marginS, this.#startTargetS));
  }

  /** The measured arrival spread, s (largest recent window, decaying). */
  get jitterS(): number {
    return this.#spreadS;
  }

  /** Target level, s: jitter + margin, within the configured bounds. */
  get targetS(): number {
    return this.#targetS;
  }

  /**
   * Records one arrival.
   * @param arrivalS arrival time on the local clock, s
   * @param streamPositionS stream time of the chunk's end (frames so far / rate), s
   */
  arrive(arrivalS: number, streamPositionS: number): void {
    const transit = arrivalS - streamPositionS;
    if (transit < this.#min) this.#min = transit;
    if (transit > this.#max) this.#max = transit;
    if (Number.isNaN(this.#windowStartS)) this.#windowStartS = arrivalS;
    const elapsed = arrivalS - this.#windowStartS;
    if (elapsed < this.#windowS) return;
    const spread = this.#max - this.#min;
    // The first window holds the start-up (device priming, connection set-up), not the steady jitter.
    if (++this.#windows === 1) {
      this.#windowStartS = arrivalS;
      this.#min = Number.POSITIVE_INFINITY;
      this.#max = Number.NEGATIVE_INFINITY;
      return;
    }
    const decayed = this.#spreadS * Math.exp(-elapsed / this.#decayS);
    this.#spreadS = spread > decayed ? spread : decayed;
    this.#targetS = this.#clamp(this.#spreadS + this.#marginS);
    this.#windowStartS = arrivalS;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = Number.NEGATIVE_INFINITY;
  }

  /** Forgets the measurements (a new stream). */
  reset(): void {
    this.#windows = 0;
    this.#windowStartS = Number.NaN;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = Number.NEGATIVE_INFINITY;
    this.#spreadS = 0;
    this.#targetS = this.#clamp(Math.max(this.#marginS, this.#startTargetS));
  }

  #clamp(s: number): number {
    return s < this.#minTargetS ? this.#minTargetS : s > this.#maxTargetS ? this.#maxTargetS : s;
  }
}
