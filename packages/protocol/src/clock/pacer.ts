import { ChunkDeadlines } from './chunk-deadlines.js';
import type { PacerClock } from './clocks.js';

/**
 * Wakes once per chunk at absolute deadlines (see {@link ChunkDeadlines}).
 * `next()` resolves at chunk n's deadline and returns how late the wake-up
 * was, in ns; the pacer never sleeps a relative period, so lateness does not
 * accumulate into drift.
 */
export class Pacer {
  #deadlines: ChunkDeadlines;
  #chunkIndex = 0;
  readonly #clock: PacerClock;

  constructor(clock: PacerClock, framesPerChunk: number, sampleRateHz: number, startNs = clock.nowNs()) {
    this.#clock = clock;
    this.#deadlines = new ChunkDeadlines(startNs, framesPerChunk, sampleRateHz);
  }

  /** Index of the chunk the next call to `next()` waits for. */
  get chunkIndex(): number {
    return this.#chunkIndex;
  }

  /** Deadline of the chunk the next call to `next()` waits for, ns. */
  get nextDeadlineNs(): number {
    return this.#deadlines.deadlineNs(this.#chunkIndex);
  }

  /** Waits for the next chunk's deadline; returns the wake-up lateness in ns (>= 0). */
  async next(): Promise<number> {
    const deadline = this.#deadlines.deadlineNs(this.#chunkIndex);
    await this.#clock.sleepUntil(deadline);
    this.#chunkIndex++;
    return Math.max(0, this.#clock.nowNs() - deadline);
  }

  /**
   * Continues with a new chunk size or rate from the next deadline on (a new
   * stream with another rate), keeping the timeline continuous.
   */
  retime(framesPerChunk: number, sampleRateHz: number): void {
    const startNs = this.nextDeadlineNs;
    this.#deadlines = new ChunkDeadlines(startNs, framesPerChunk, sampleRateHz);
    this.#chunkIndex = 0;
  }
}
