import type { ChunkSink } from './chunk-sink.js';

/** Discards audio, counting it: for benchmarks and headless runs. */
export class NullSink implements ChunkSink {
  readonly destination = 'null';
  framesWritten = 0;
  readonly errorCount = 0;
  readonly #channelCount: number;

  constructor(channelCount: number) {
    this.#channelCount = channelCount;
  }

  write(samples: Float32Array): void {
    this.framesWritten += samples.length / this.#channelCount;
  }

  async close(): Promise<void> {}
}
