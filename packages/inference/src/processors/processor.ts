/**
 * The model interface of the inference stage.
 *
 * A `Processor` is created once per process (it owns the ONNX sessions); it
 * creates one `StreamProcessor` per stream, which owns that stream's state
 * (model tensors, resampler phase, partial hops). The stage calls
 * `process()` once per received chunk, in sequence order.
 */
export interface Processor {
  /** Registry name (`passthrough`, `gain`, `dtln`, `gtcrn`, ...). */
  readonly name: string;
  /** The rate the model itself runs at, in Hz; 0 when it runs at any rate. */
  readonly nativeRateHz: number;
  /** The model's hop in native-rate frames (1 for sample-wise processors). */
  readonly hopFrames: number;
  /**
   * Largest |output| sample that is plausible for input within ±1; beyond it
   * (or non-finite) the stage resets the stream's state and drops the chunk.
   * Default DEFAULT_OUTPUT_LIMIT (+12 dBFS).
   */
  readonly outputLimit?: number;
  /**
   * Creates the state for one stream arriving at `sampleRateHz` with
   * `channelCount` interleaved channels. Throws `TypeError` for a rate or
   * channel count the processor cannot take.
   */
  createStream(sampleRateHz: number, channelCount: number): StreamProcessor;
  /** A processor that runs many streams' hops in one call (`--batch-streams`): its calls and the hops they ran. */
  readonly batchCounts?: BatchCounts;
  /** Releases the sessions. Safe to call twice. */
  close(): Promise<void>;
}

/** Batched model calls so far, and the hops they ran (hops / calls is the mean batch). */
export interface BatchCounts {
  readonly calls: number;
  readonly hops: number;
}

export interface StreamProcessor {
  /**
   * How many device-rate frames the output lags the input (algorithmic
   * latency including any resampler delay), constant for the stream's life.
   * Flushing this many zero frames through `process()` pushes out the tail.
   */
  readonly latencyFrames: number;
  /**
   * Processes one chunk. `input` and `output` are interleaved float32 with the
   * same length (any length, including 0 or one odd frame): the output is the
   * same whatever way the input is cut into chunks (chunk-size invariance).
   * `output` never aliases `input`. Synchronous: a chunk's model calls run
   * without yielding to the event loop.
   */
  process(input: Float32Array, output: Float32Array): void;
  /**
   * The model's local SNR estimate of the last hop in dB, for models that
   * make one (DeepFilterNet3); undefined otherwise, NaN before the first hop.
   */
  readonly lsnrDb?: number;
  /** Drops the stream's state. Safe to call twice. */
  close(): void;
}

/** Options every processor factory accepts; each model reads what it needs. */
export interface ProcessorOptions {
  /** Folder with the fetched model files (see `quell models fetch`). */
  modelDir: string;
  /** Linear gain for the `gain` processor (default 0.5). */
  gain?: number;
  /** ONNX Runtime intra-op threads per session (default 1). */
  intraOpThreads?: number;
  /**
   * DTLN: run the hops of every stream that has one waiting through one call
   * of graphs with a batch axis, instead of one call per stream: a quarter of
   * the CPU per stream with many streams, one hop (8 ms) more latency.
   */
  batchStreams?: boolean;
  /**
   * Voice-activity gate for models that estimate the local SNR
   * (DeepFilterNet3): hops whose estimate is below this many dB are muted.
   * Undefined = off.
   */
  vadGateThresholdDb?: number;
}
