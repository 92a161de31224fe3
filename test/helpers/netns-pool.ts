// A node pool across simulated machines (docs/SCALING.md), shared by
// test/integration/netns-pool.test.ts and bench/scenarios/netns-pool.bench.ts:
// capture and playback on one host, inference nodes a and b on two others,
// every link CURVE with key files made by `quell keys`, the nodes' traffic
// delayed, jittered and thinned by the simulated network (simulated-hosts.ts).
// Four endless 440 Hz streams (dry path on) start on node a; node b joins and
// takes two by hand-over; node a is killed (-9) and b takes the rest, the dry
// path covering the outage.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StageProcess } from '@quell/cli';
import { readWav, scrapeMetrics, sumSamples, type MetricSample } from '@quell/runtime';
import { makeKeys } from './keys.js';
import { streamNodes, streamsPerNode } from './pipeline.js';
import { firstQuietBlock, maxStep } from './signals.js';
import { SimulatedHosts } from './simulated-hosts.js';

export const NETNS_POOL_RATE = 48_000;
const CHUNK = 480;
const FREQUENCY_HZ = 440;
const DRY_AMPLITUDE = 0.4;
const WET_AMPLITUDE = DRY_AMPLITUDE * 0.5;
const STREAMS = [1, 2, 3, 4];
const PORTS = { playback: 5556, control: 5557, dataFirst: 40_000, dataLast: 40_007 };
const METRICS = { capture: 9101, inference: 9102, playback: 9103 };

export interface NetnsPoolOptions {
  delayMs: number;
  jitterMs: number;
  lossPermille: number;
}

export interface NetnsPoolResult {
  /** Streams per node once b has joined. */
  spreadAfterJoin: Record<string, number>;
  /** b ready → both moves completed, s. */
  joinMovesS: number;
  movesRolledBack: number;
  /** Playback gaps + underruns, and chunks played from the dry path, while b joined. */
  joinConcealed: number;
  joinDryConcealed: number;
  /** Kill of a → every stream on b, ms (the node timeout, 1 s, is most of it). */
  killToMovedMs: number;
  /** Chunks played from the dry path across the streams after the kill. */
  killDryConcealed: number;
  nodeFailures: number;
  captureDrops: number;
  /** Playback's drops by reason, and inference b's (the node that served every stream at the end). */
  playbackDrops: Record<string, number>;
  nodeDrops: Record<string, number>;
  /** Mean capture-to-playout latency of the chunks played, ms. */
  meanLatencyMs: number;
  /** Per stream: seconds checked, first quiet 10 ms block (-1: none), largest sample step against the dry sine's own. */
  streams: { stream: number; checkedS: number; quietBlock: number; maxStep: number }[];
  signalStep: number;
}

const spread = (capture: MetricSample[]): Record<string, number> => streamsPerNode(streamNodes(capture));

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => null);
    if (value !== null && done(value)) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function byReason(samples: MetricSample[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (s.name === name && s.value > 0) out[s.labels.reason] = s.value;
  return out;
}

const concealed = (pb: MetricSample[]): number => sumSamples(pb, 'quell_playback_gaps_total') + sumSamples(pb, 'quell_playback_underruns_total');
const dry = (pb: MetricSample[]): number => sumSamples(pb, 'quell_playback_dry_concealed_chunks_total');

export async function runNetnsPool(dir: string, o: NetnsPoolOptions): Promise<NetnsPoolResult> {
  const dataPorts = Array.from({ length: PORTS.dataLast - PORTS.dataFirst + 1 }, (_, i) => PORTS.dataFirst + i);
  const net = await SimulatedHosts.create({ hosts: ['server', 'n1', 'n2'], relayedPorts: [PORTS.playback, PORTS.control, ...dataPorts], ...o });
  const stages: StageProcess[] = [];
  try {
    const keys = await makeKeys(dir, ['capture', 'inference', 'playback']);
    const toPlayback = join(dir, 'playback-allowed.txt');
    const toCapture = join(dir, 'capture-allowed.txt');
    await writeFile(toPlayback, `${keys.inference.pair.publicKey}\n${keys.capture.pair.publicKey}\n`);
    await writeFile(toCapture, `${keys.inference.pair.publicKey}\n`);
    const srv = net.address('server');
    const output = join(dir, 'out-{stream}.wav');
    const local = (port: number): string[] => ['--metrics-host', '0.0.0.0', '--metrics-port', String(port), '--log-level', 'warn'];
    const scrape = (host: string, port: number): Promise<MetricSample[]> => scrapeMetrics(`http://${net.address(host)}:${port}/metrics`, 2000);
    const start = (stage: 'capture' | 'inference' | 'playback', host: string, args: string[]): StageProcess => {
      const p = new StageProcess(stage, args, {}, net.launcher(host));
      stages.push(p);
      return p;
    };
    const node = (id: string, host: string): StageProcess =>
      start('inference', host, ['--control', `tcp://${srv}:${PORTS.control}`, '--output-endpoint', `tcp://${srv}:${PORTS.playback}`, '--node-id', id, '--model', 'gain', '--gain', '0.5', ...local(METRICS.inference), '--curve-key-file', keys.inference.key, '--curve-server-key', `${keys.capture.pub},${keys.playback.pub}`]);

    const playback = start('playback', 'server', ['--endpoint', `tcp://${srv}:${PORTS.playback}`, '--sink', 'file', '--clock', 'realtime', '--output', output, '--conceal', 'dry', ...local(METRICS.playback), '--curve-key-file', keys.playback.key, '--curve-allowed-keys', toPlayback]);
    const capture = start('capture', 'server', [
      '--source', STREAMS.map(() => 'synth').join(','), '--synth-frequency-hz', String(FREQUENCY_HZ), '--synth-amplitude', String(DRY_AMPLITUDE),
      '--control', `tcp://${srv}:${PORTS.control}`, '--data-ports', `${PORTS.dataFirst}-${PORTS.dataLast}`, '--max-nodes', '8', '--node-pool',
      '--dry-endpoint', `tcp://${srv}:${PORTS.playback}`, ...local(METRICS.capture),
      '--curve-key-file', keys.capture.key, '--curve-allowed-keys', toCapture, '--curve-server-key', keys.playback.pub,
    ]);
    await Promise.all([playback.ready, capture.ready]);
    const nodeA = node('a', 'n1');
    await nodeA.ready;
    await until('every stream on a', () => scrape('server', METRICS.capture), (c) => spread(c).a === STREAMS.length);
    const beforeJoin = await until('playback under way', () => scrape('server', METRICS.playback), (pb) => sumSamples(pb, 'quell_playback_chunks_played_total') >= STREAMS.length * 150);

    const nodeB = node('b', 'n2');
    await nodeB.ready;
    const joinedAt = performance.now();
    const afterJoin = await until('two streams moved to b', () => scrape('server', METRICS.capture), (c) => sumSamples(c, 'quell_capture_stream_moves_total', { outcome: 'completed' }) >= 2, 60_000);
    const joinMovesS = (performance.now() - joinedAt) / 1000;
    await sleep(1000);
    const joined = await scrape('server', METRICS.playback);

    nodeA.child.kill('SIGKILL');
    const killedAt = performance.now();
    await nodeA.exited;
    await until('every stream on b', () => scrape('server', METRICS.capture), (c) => spread(c).b === STREAMS.length);
    const killToMovedMs = performance.now() - killedAt;
    await sleep(2000);
    const end = await scrape('server', METRICS.playback);
    const cap = await scrape('server', METRICS.capture);
    const nodeMetrics = await scrape('n2', METRICS.inference);
    const framesAtEnd = sumSamples(end, 'quell_playback_audio_frames_played_total') / STREAMS.length;
    for (const p of stages.splice(0).reverse()) await p.stop();

    const signalStep = DRY_AMPLITUDE * 2 * Math.sin((Math.PI * FREQUENCY_HZ) / NETNS_POOL_RATE);
    const streams: NetnsPoolResult['streams'] = [];
    for (const stream of STREAMS) {
      const x = (await readWav(output.replace('{stream}', String(stream)))).samples;
      // Up to what had been played by the last scrape, from 200 ms in (the start of each stream is not under test).
      const to = Math.min(x.length, Math.floor(framesAtEnd) - CHUNK);
      streams.push({ stream, checkedS: to / NETNS_POOL_RATE, quietBlock: firstQuietBlock(x, CHUNK, WET_AMPLITUDE / 2, 20 * CHUNK, to), maxStep: maxStep(x, 20 * CHUNK, to) });
    }
    const latencyCount = sumSamples(end, 'quell_playback_latency_seconds_count');
    return {
      spreadAfterJoin: spread(afterJoin),
      joinMovesS,
      movesRolledBack: sumSamples(cap, 'quell_capture_stream_moves_total', { outcome: 'rolled-back' }),
      joinConcealed: concealed(joined) - concealed(beforeJoin),
      joinDryConcealed: dry(joined) - dry(beforeJoin),
      killToMovedMs,
      killDryConcealed: dry(end) - dry(joined),
      nodeFailures: sumSamples(cap, 'quell_capture_node_failures_total'),
      captureDrops: sumSamples(cap, 'quell_capture_drops_total'),
      playbackDrops: byReason(end, 'quell_playback_drops_total'),
      nodeDrops: byReason(nodeMetrics, 'quell_inference_drops_total'),
      meanLatencyMs: latencyCount > 0 ? (1000 * sumSamples(end, 'quell_playback_latency_seconds_sum')) / latencyCount : 0,
      streams,
      signalStep,
    };
  } finally {
    for (const p of stages.reverse()) await p.stop();
    await net.close();
  }
}
