import type { StreamProcessor } from '../processors/processor.js';

/**
 * Runs a whole interleaved signal through a stream, cutting it into chunks
 * whose frame counts cycle through `chunkFrames`, then flushes
 * `latencyFrames` of zeros and drops the first `latencyFrames` of output, so
 * the result lines up sample for sample with `input` (same length). For
 * tests, benches and offline files; it allocates freely.
 */
export function runOffline(
  stream: StreamProcessor,
  input: Float32Array,
  channelCount: number,
  chunkFrames: readonly number[] = [480],
): Float32Array {
  const latencySamples = stream.latencyFrames * channelCount;
  const padded = new Float32Array(input.length + latencySamples);
  padded.set(input);
  const out = new Float32Array(padded.length);
  let pos = 0;
  let k = 0;
  while (pos < padded.length) {
    const len = Math.min(chunkFrames[k++ % chunkFrames.length] * channelCount, padded.length - pos);
    stream.process(padded.subarray(pos, pos + len), out.subarray(pos, pos + len));
    pos += len;
  }
  return out.subarray(latencySamples);
}
