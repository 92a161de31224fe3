/**
 * Estimates, from the arrival times of device pieces alone, when the device captured them and whether frames
 * were lost. naudiodon gives no usable per-piece timestamp (it truncates PortAudio's to whole seconds) and
 * prints PortAudio's overflow flags instead of reporting them, so both come from the frame count against the
 * wall clock: `raw = arrivalUs - framesSoFar / rate`. Its minimum (the earliest-arriving piece) anchors the
 * device clock; a piece's lag above that minimum is the queuing delay added after the device callback; and a
 * lasting rise of the minimum by more than `lossThresholdFrames` means frames never arrived (an overflow).
 * A slow rise below the threshold is clock drift and is absorbed. A backlog that never drains would be
 * counted as a loss, which is why the rise must last a whole window.
 */
export class DeliveryClock {
  readonly #usPerFrame: number;
  readonly #windowDeliveries: number;
  readonly #lossThresholdUs: number;
  #frameCount = 0;
  #baselineUs = Number.NaN;
  #windowMinUs = Number.POSITIVE_INFINITY;
  #windowCount = 0;
  /** Overflows detected: lasting jumps of the delivery clock past the threshold. */
  lossCount = 0;
  /** Frames estimated lost in those overflows. */
  lostFrameCount = 0;
  /** Lag of the latest piece behind the earliest-seen delivery time, µs (>= 0). */
  lastLagUs = 0;

  /**
   * @param sampleRateHz device frame rate
   * @param lossThresholdFrames smallest jump counted as a loss; one device buffer is a good value
   * @param windowDeliveries pieces over which the minimum is taken (100 pieces of 10 ms = 1 s)
   */
  constructor(sampleRateHz: number, lossThresholdFrames: number, windowDeliveries = 100) {
    this.#usPerFrame = 1e6 / sampleRateHz;
    this.#lossThresholdUs = lossThresholdFrames * this.#usPerFrame;
    this.#windowDeliveries = windowDeliveries;
  }

  /**
   * Records a piece of `frameCount` frames that arrived at wall time `arrivalUs`.
   * @returns estimated wall time (µs) at which the device captured the piece's last frame
   */
  record(frameCount: number, arrivalUs: number): number {
    this.#frameCount += frameCount;
    const rawUs = arrivalUs - this.#frameCount * this.#usPerFrame;
    // An earlier arrival than any before (first piece, a start-up burst, or a device clock faster than ours)
    // moves the anchor down at once.
    if (!(rawUs >= this.#baselineUs)) this.#baselineUs = rawUs;
    if (rawUs < this.#windowMinUs) this.#windowMinUs = rawUs;
    this.lastLagUs = rawUs - this.#baselineUs;
    const captureEndUs = this.#baselineUs + this.#frameCount * this.#usPerFrame;
    if (++this.#windowCount >= this.#windowDeliveries) this.#closeWindow();
    return captureEndUs;
  }

  /** Forgets the anchor, e.g. after the device was reopened; the counters stay. */
  reset(): void {
    this.#frameCount = 0;
    this.#baselineUs = Number.NaN;
    this.#windowMinUs = Number.POSITIVE_INFINITY;
    this.#windowCount = 0;
  }

  #closeWindow(): void {
    const riseUs = this.#windowMinUs - this.#baselineUs;
    if (riseUs > this.#lossThresholdUs) {
      this.lossCount++;
      this.lostFrameCount += Math.round(riseUs / this.#usPerFrame);
    }
    if (riseUs > 0) this.#baselineUs = this.#windowMinUs;
    this.#windowMinUs = Number.POSITIVE_INFINITY;
    this.#windowCount = 0;
  }
}
