/**
 * A bounded FIFO of interleaved float32 frames in one preallocated array; no allocation after construction.
 * Writes that do not fit are refused whole (the caller counts the drop), never split.
 */
export class FrameRing {
  readonly channelCount: number;
  readonly capacityFrames: number;
  readonly #samples: Float32Array;
  #readFrame = 0;
  #frameCount = 0;

  constructor(capacityFrames: number, channelCount: number) {
    if (!Number.isInteger(capacityFrames) || capacityFrames <= 0) throw new TypeError(`capacityFrames must be a positive integer, got ${capacityFrames}`);
    if (!Number.isInteger(channelCount) || channelCount <= 0) throw new TypeError(`channelCount must be a positive integer, got ${channelCount}`);
    this.capacityFrames = capacityFrames;
    this.channelCount = channelCount;
    this.#samples = new Float32Array(capacityFrames * channelCount);
  }

  /** Frames queued. */
  get frameCount(): number {
    return this.#frameCount;
  }

  /** Appends all of `samples` (whole frames). @returns false, changing nothing, when they do not fit. */
  write(samples: Float32Array): boolean {
    const frames = samples.length / this.channelCount;
    if (frames > this.capacityFrames - this.#frameCount) return false;
    const ch = this.channelCount;
    const writeFrame = (this.#readFrame + this.#frameCount) % this.capacityFrames;
    const firstFrames = Math.min(frames, this.capacityFrames - writeFrame);
    this.#samples.set(samples.subarray(0, firstFrames * ch), writeFrame * ch);
    if (firstFrames < frames) this.#samples.set(samples.subarray(firstFrames * ch), 0);
    this.#frameCount += frames;
    return true;
  }

  /**
   * Moves up to `maxFrames` frames into `target` from its start.
   * @returns the frames moved (0 when empty)
   */
  readInto(target: Float32Array, maxFrames: number): number {
    const ch = this.channelCount;
    const frames = Math.min(maxFrames, this.#frameCount, Math.floor(target.length / ch));
    const firstFrames = Math.min(frames, this.capacityFrames - this.#readFrame);
    target.set(this.#samples.subarray(this.#readFrame * ch, (this.#readFrame + firstFrames) * ch), 0);
    if (firstFrames < frames) target.set(this.#samples.subarray(0, (frames - firstFrames) * ch), firstFrames * ch);
    this.#readFrame = (this.#readFrame + frames) % this.capacityFrames;
    this.#frameCount -= frames;
    return frames;
  }

  clear(): void {
    this.#readFrame = 0;
    this.#frameCount = 0;
  }
}
