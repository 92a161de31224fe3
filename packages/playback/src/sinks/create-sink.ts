import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { PlaybackConfig } from '../config.js';
import type { ChunkSink } from './chunk-sink.js';
import { NullSink } from './null-sink.js';
import { WavFileSink } from './wav-file-sink.js';

/** The file path for a stream: `{stream}` in the template becomes its id. */
export function outputPathFor(template: string, streamId: number): string {
  return resolve(template.replaceAll('{stream}', String(streamId)));
}

/** Opens the configured sink for a new stream. */
export async function createSink(config: PlaybackConfig, streamId: number, sampleRateHz: number, channelCount: number, delayFrames: number): Promise<ChunkSink> {
  if (config.sink === 'null') return new NullSink(channelCount);
  const path = outputPathFor(config.output, streamId);
  await mkdir(dirname(path), { recursive: true });
  return WavFileSink.create(path, sampleRateHz, channelCount, config.outputFormat, config.trimDelay ? delayFrames : 0);
}
