/** Where one stream's audio goes, chunk by chunk, in play order. */
export interface ChunkSink {
  /** Human-readable destination (file path, device name). */
  readonly destination: string;
  /** Takes interleaved samples; must not keep a reference after returning. */
  write(samples: Float32Array): void;
  /** Frames accepted so far. */
  readonly framesWritten: number;
  /** Write or finalise failures so far. */
  readonly errorCount: number;
  /**
   * A promise to wait on before writing more, while the sink is behind (a file
   * sink's disk); null when it is not. Arrival-driven playout awaits it, which
   * back-pressures the sender instead of losing audio. Clocked sinks never wait.
   */
  backlog?(): Promise<void> | null;
  /** Flushes and finalises. Safe to call twice. */
  close(): Promise<void>;
}
