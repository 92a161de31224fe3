import type { Processor, StreamProcessor } from './processor.js';
import { checkStreamArgs } from './stream-args.js';

class PassthroughStream implements StreamProcessor {
  readonly latencyFrames = 0;
  process(input: Float32Array, output: Float32Array): void {
    output.set(input);
  }
  close(): void {}
}

/** Copies input to output: latency 0, any rate and channel count. */
export class PassthroughProcessor implements Processor {
  readonly name = 'passthrough';
  readonly nativeRateHz = 0;
  readonly hopFrames = 1;

  createStream(sampleRateHz: number, channelCount: number): StreamProcessor {
    checkStreamArgs(sampleRateHz, channelCount);
    return new PassthroughStream();
  }

  async close(): Promise<void> {}
}
