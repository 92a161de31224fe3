import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StageProcess, type StageMessage, type StageName } from '@quell/cli';
import { scrapeMetrics, sumSamples, type MetricSample } from '@quell/runtime';

/** A fresh temporary folder for one test. */
export function tempDir(prefix = 'quell-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

const LOCAL = ['--metrics-port', '0', '--log-level', 'warn'];

export interface RunningPipeline {
  capture: StageProcess;
  inference: StageProcess;
  playback: StageProcess;
  info: Record<StageName, StageMessage>;
  /** Resolves with each stream-end report from playback, by stream id. */
  streamEnded(streamId: number): Promise<StageMessage>;
  scrape(stage: StageName): Promise<MetricSample[]>;
  stop(): Promise<(number | null)[]>;
}

/**
 * Starts the three built stages as separate processes on wildcard loopback
 * ports (unique per test): playback binds its input and capture its control
 * socket; inference connects to both once they are ready, registers with
 * capture and pulls from the port capture gives it (routed mode, docs/SWAP.md).
 */
export async function startPipeline(args: { capture: string[]; inference: string[]; playback: string[] }): Promise<RunningPipeline> {
  const playback = new StageProcess('playback', ['--endpoint', 'tcp://127.0.0.1:*', ...LOCAL, ...args.playback]);
  const capture = new StageProcess('capture', ['--control', 'tcp://127.0.0.1:*', ...LOCAL, ...args.capture]);
  const ends = new Map<number, StageMessage>();
  const waiters = new Map<number, (m: StageMessage) => void>();
  playback.onMessage((m) => {
    if (m.type !== 'stream-end') return;
    const id = m.streamId as number;
    ends.set(id, m);
    waiters.get(id)?.(m);
  });
  const [pbInfo, capInfo] = await Promise.all([playback.ready, capture.ready]);
  const inference = new StageProcess('inference', [
    '--control', String(capInfo.control),
    '--output-endpoint', String(pbInfo.endpoint),
    ...LOCAL,
    ...args.inference,
  ]);
  const infInfo = await inference.ready;
  const info = { capture: capInfo, inference: infInfo, playback: pbInfo };
  const stages = { capture, inference, playback };
  return {
    capture,
    inference,
    playback,
    info,
    streamEnded(streamId) {
      const done = ends.get(streamId);
      if (done) return Promise.resolve(done);
      return new Promise((resolve) => waiters.set(streamId, resolve));
    },
    scrape(stage) {
      return scrapeMetrics(`http://127.0.0.1:${info[stage].metricsPort}/metrics`);
    },
    async stop() {
      return Promise.all([capture.stop(), inference.stop(), playback.stop()]);
    },
  };
}

/** Sum of a metric across one scrape (all label sets unless `match` narrows it). */
export const metric = sumSamples;

/** Stream id → the inference node serving it, from a scrape of capture (quell_capture_stream_node_info). */
export function streamNodes(capture: MetricSample[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of capture ?? []) if (s.name === 'quell_capture_stream_node_info' && s.value === 1) out[s.labels.stream] = s.labels.node;
  return out;
}

/** Node id → how many streams it serves, from streamNodes(). */
export function streamsPerNode(nodes: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const node of Object.values(nodes)) out[node] = (out[node] ?? 0) + 1;
  return out;
}
