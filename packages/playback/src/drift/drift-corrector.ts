import { FractionalResampler } from './fractional-resampler.js';
import { JitterTracker, type JitterTrackerOptions } from '../jitter/jitter-tracker.js';
import { LevelController, type LevelControllerOptions } from './level-controller.js';

export interface DriftCorrectorOptions {
  /** Rate of the stream and of the device (nominally equal; the clocks differ by ppm), Hz. */
  sampleRateHz: number;
  channelCount: number;
  /** Frames per arriving chunk; used to smooth the level between arrivals. */
  chunkFrames: number;
  /** Input frames the resampler buffer holds; more is an overflow. Default: maxTargetS × 2 + 4 chunks. */
  capacityFrames?: number;
  controller?: LevelControllerOptions;
  target?: JitterTrackerOptions;
}

/**
 * What `read()` did:
 * - `ok`: all frames are audio;
 * - `prefilling`: silence, the level has not reached the target yet (not an underrun);
 * - `underrun`: the input ran dry after playing started; the rest of the block is silence (counted), and the
 *   corrector prefills again (silence until the level is back at target), so it recovers at once instead of
 *   pulling the ratio to its limit for a long time.
 */
export type DriftReadStatus = 'ok' | 'prefilling' | 'underrun';

/**
 * Keeps playback's buffer at a target latency while the device clock and the sender's clock differ: the
 * device pulls blocks through a FractionalResampler whose ratio a LevelController trims from the buffer level
 * (smoothly, a few ppm at a time; never by dropping or inserting blocks), and a JitterTracker moves the target
 * with the measured arrival jitter, within bounds.
 *
 * The level is everything buffered for the stream: the frames the caller holds upstream (its jitter buffer)
 * plus the resampler's input, minus the part of the newest chunk that, had it arrived sample by sample, would
 * still be on its way. That last term makes the level continuous across arrivals, so the sawtooth of
 * chunk-sized arrivals (and its slow beat against the device blocks) does not reach the ratio.
 * Allocation-free after construction.
 */
export class DriftCorrector {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly chunkFrames: number;
  readonly resampler: FractionalResampler;
  readonly controller: LevelController;
  readonly target: JitterTracker;
  /** Reads after the start that came up short. */
  underrunCount = 0;
  /** Silent frames played in those underruns. */
  underrunFrameCount = 0;
  /** Writes refused because the buffer was full. */
  overflowCount = 0;
  overflowFrameCount = 0;
  /** The level measured at the latest read, s (continuous estimate). */
  levelS = 0;
  #lastArrivalS = Number.NaN;
  #arrivedFrames = 0;
  #playing = false;

  /** @throws TypeError for bad options */
  constructor(options: DriftCorrectorOptions) {
    const { sampleRateHz, channelCount, chunkFrames } = options;
    if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) throw new TypeError(`sampleRateHz must be a positive integer, got ${sampleRateHz}`);
    if (!Number.isInteger(chunkFrames) || chunkFrames <= 0) throw new TypeError(`chunkFrames must be a positive integer, got ${chunkFrames}`);
    this.sampleRateHz = sampleRateHz;
    this.channelCount = channelCount;
    this.chunkFrames = chunkFrames;
    this.target = new JitterTracker(options.target);
    this.controller = new LevelController(options.controller);
    const maxTargetS = options.target?.maxTargetS ?? 0.2;
    const capacityFrames = options.capacityFrames ?? Math.ceil(maxTargetS * 2 * sampleRateHz) + 4 * chunkFrames;
    this.resampler = new FractionalResampler(channelCount, { capacityFrames });
    this.reset();
  }

  /** The target level now, s. */
  get targetS(): number {
    return this.target.targetS;
  }

  /** True once playing started (the level first reached the target). */
  get playing(): boolean {
    return this.#playing;
  }

  /**
   * Tells the corrector a chunk reached playback (into the caller's jitter buffer, or straight into write()).
   * @param frames frames in the chunk
   * @param nowS arrival time on the local monotonic clock, s
   */
  arrive(frames: number, nowS: number): void {
    this.#arrivedFrames += frames;
    this.#lastArrivalS = nowS;
    this.target.arrive(nowS, this.#arrivedFrames / this.sampleRateHz);
  }

  /**
   * Appends interleaved frames to the resampler's input (copied).
   * @returns 'overflow' (counted, nothing written) when they do not fit
   */
  write(samples: Float32Array): 'ok' | 'overflow' {
    if (this.resampler.write(samples)) return 'ok';
    this.overflowCount++;
    this.overflowFrameCount += samples.length / this.channelCount;
    return 'overflow';
  }

  /** True when the resampler cannot produce `frames` output frames from what it holds: pull another chunk. */
  needsInput(frames: number): boolean {
    return this.resampler.availableFrames() < frames;
  }

  /**
   * Fills `out` with `frames` interleaved frames for the device, and steers the ratio for the next read.
   * @param nowS local monotonic time of the device's request, s
   * @param upstreamFrames frames the caller still holds for this stream before the resampler (jitter buffer)
   */
  read(out: Float32Array, frames: number, nowS: number, upstreamFrames = 0): DriftReadStatus {
    const rate = this.sampleRateHz;
    this.measure(nowS, upstreamFrames);
    const targetS = this.target.targetS;
    if (!this.#playing) {
      if (this.levelS < targetS) {
        out.fill(0, 0, frames * this.channelCount);
        return 'prefilling';
      }
      this.#playing = true;
    }
    this.resampler.ratio = this.controller.update(this.levelS, targetS, frames / rate);
    const got = this.resampler.read(out, frames);
    if (got === frames) return 'ok';
    out.fill(0, got * this.channelCount, frames * this.channelCount);
    this.underrunCount++;
    this.underrunFrameCount += frames - got;
    this.#playing = false;
    return 'underrun';
  }

  /**
   * Measures the level now (into `levelS`, which it also returns), s: see the class comment.
   * @param upstreamFrames frames the caller holds before the resampler (jitter buffer)
   */
  measure(nowS: number, upstreamFrames = 0): number {
    let pendingFrames = 0;
    if (!Number.isNaN(this.#lastArrivalS)) {
      const sinceFrames = (nowS - this.#lastArrivalS) * this.sampleRateHz;
      pendingFrames = sinceFrames >= this.chunkFrames ? 0 : this.chunkFrames - (sinceFrames > 0 ? sinceFrames : 0);
    }
    const levelFrames = upstreamFrames + this.resampler.bufferedFrames - this.resampler.latencyFrames - pendingFrames;
    this.levelS = levelFrames / this.sampleRateHz;
    return this.levelS;
  }

  /** Back to the state of a new corrector (a new stream); counters stay. */
  reset(): void {
    this.resampler.clear();
    // Silence before the first frame, so the first output is centred on input frame 0.
    this.resampler.writeSilence(this.resampler.latencyFrames - 1);
    this.resampler.ratio = 1;
    this.controller.reset();
    this.target.reset();
    this.#lastArrivalS = Number.NaN;
    this.#arrivedFrames = 0;
    this.#playing = false;
    this.levelS = 0;
  }
}
