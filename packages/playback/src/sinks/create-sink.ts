import { mkdir } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import type { PlaybackConfig } from '../config.js';
import type { ChunkSink } from './chunk-sink.js';
import { NullSink } from './null-sink.js';
import { WavFileSink } from './wav-file-sink.js';

/** Per stage (its config object): the stream that took a fixed output path (no `{stream}`) first. */
const fixedPathOwner = new WeakMap<PlaybackConfig, number>();

/**
 * The file path for a stream: `{stream}` in the template becomes its id. A
 * template without `{stream}` is the path of the first stream that opens;
 * every other stream gets its id added before the extension (`out.wav` →
 * `out-stream-2.wav`), so two streams never write into one file nor replace
 * each other's (packages/playback/README.md).
 */
export function outputPathFor(template: string, streamId: number, ownerStreamId = streamId): string {
  if (template.includes('{stream}')) return resolve(template.replaceAll('{stream}', String(streamId)));
  if (streamId === ownerStreamId) return resolve(template);
  const ext = extname(template);
  return resolve(`${template.slice(0, template.length - ext.length)}-stream-${streamId}${ext}`);
}

/** Opens the configured sink for a new stream. */
export async function createSink(config: PlaybackConfig, streamId: number, sampleRateHz: number, channelCount: number, delayFrames: number): Promise<ChunkSink> {
  if (config.sink === 'null') return new NullSink(channelCount);
  let owner = fixedPathOwner.get(config);
  if (owner === undefined) fixedPathOwner.set(config, (owner = streamId));
  const path = outputPathFor(config.output, streamId, owner);
  await mkdir(dirname(path), { recursive: true });
  return WavFileSink.create(path, sampleRateHz, channelCount, config.outputFormat, config.trimDelay ? delayFrames : 0);
}
