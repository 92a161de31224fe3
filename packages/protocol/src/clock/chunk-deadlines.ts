const NS_PER_S = 1_000_000_000;

/**
 * Absolute chunk deadlines: deadline(n) = start + n * frames / rate, computed
 * in integer nanoseconds from the exact sample count every time, so rounding
 * never accumulates (no per-chunk period is ever added up).
 *
 * Integer-exact while n * framesPerChunk stays below 2^53 frames (centuries).
 */
export class ChunkDeadlines {
  readonly startNs: number;
  readonly framesPerChunk: number;
  readonly sampleRateHz: number;

  constructor(startNs: number, framesPerChunk: number, sampleRateHz: number) {
    if (!Number.isInteger(framesPerChunk) || framesPerChunk <= 0) throw new TypeError('framesPerChunk must be a positive integer');
    if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) throw new TypeError('sampleRateHz must be a positive integer');
    this.startNs = startNs;
    this.framesPerChunk = framesPerChunk;
    this.sampleRateHz = sampleRateHz;
  }

  /** Nanoseconds from start to the beginning of chunk n, floored to whole ns. */
  offsetNs(n: number): number {
    return ChunkDeadlines.framesToNs(n * this.framesPerChunk, this.sampleRateHz);
  }

  /** Absolute deadline of chunk n, in the clock's nanoseconds. */
  deadlineNs(n: number): number {
    return this.startNs + this.offsetNs(n);
  }

  /**
   * floor(frames * 1e9 / rate) without overflowing 2^53: split into whole
   * seconds and a remainder whose product with 1e9 stays exact.
   */
  static framesToNs(frames: number, sampleRateHz: number): number {
    const wholeSeconds = Math.floor(frames / sampleRateHz);
    const remainderFrames = frames - wholeSeconds * sampleRateHz;
    return wholeSeconds * NS_PER_S + Math.floor((remainderFrames * NS_PER_S) / sampleRateHz);
  }
}
