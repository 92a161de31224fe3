import { join } from 'node:path';
import { StageProcess, type StageMessage } from '@quell/cli';
import { tempDir } from './pipeline.js';

/** One playback process on its own, for tests that play capture and inference themselves. */
export interface PlaybackAlone {
  process: StageProcess;
  /** Where it binds its input. */
  endpoint: string;
  metricsUrl: string;
  /** Its file sink folder (out-{stream}.wav). */
  dir: string;
  /** Stream-end reports by stream id. */
  ends: Map<number, StageMessage>;
}

/** Starts playback on a wildcard loopback port with its file output in a fresh folder; `args` add or override flags. */
export async function startPlaybackAlone(args: string[], logLevel = 'warn'): Promise<PlaybackAlone> {
  const dir = await tempDir();
  const ends = new Map<number, StageMessage>();
  const process = new StageProcess('playback', ['--endpoint', 'tcp://127.0.0.1:*', '--output', join(dir, 'out-{stream}.wav'), '--metrics-port', '0', '--log-level', logLevel, ...args]);
  process.onMessage((m) => m.type === 'stream-end' && ends.set(m.streamId as number, m));
  const info = await process.ready;
  return { process, endpoint: String(info.endpoint), metricsUrl: `http://127.0.0.1:${info.metricsPort}/metrics`, dir, ends };
}

