/**
 * A pull source of interleaved float32 audio for one stream. The capture
 * loop calls `read()` once per chunk at the pacer's deadline.
 */
export interface ChunkSource {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  /** Stream length in frames, or Infinity for endless sources. */
  readonly frameCount: number;
  /**
   * Fills `out` (length = frames * channelCount) and returns the frames
   * written; fewer than asked means the source has finished.
   */
  read(out: Float32Array): number;
  /** Releases what the source holds open (a file); safe to call twice. */
  close?(): Promise<void>;
}
