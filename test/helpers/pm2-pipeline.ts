import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StageName } from '@quell/cli';
import { scrapeMetrics, sumSamples, type MetricSample } from '@quell/runtime';
import { freePort } from './ports.js';
import { REPO_ROOT, run } from './run.js';

const PM2 = join(REPO_ROOT, 'node_modules', '.bin', 'pm2');
export const STAGES: StageName[] = ['capture', 'inference', 'playback'];

/** The queue capacities the ecosystem runs with (the stages' config.ts defaults), chunks. */
export const QUEUES = {
  captureSendQueueChunks: 32,
  captureHighWaterMarkChunks: 64,
  inferenceSendQueueChunks: 32,
  inferenceHighWaterMarkChunks: 64,
  playbackHighWaterMarkChunks: 64,
  playbackJitterCapacityChunks: 64,
};

interface Pm2App {
  name: string;
  pid: number;
  pm2_env: { status: string; restart_time: number };
}

/** What one fault did: how long the stream took to flow again and what it cost. */
export interface FaultReport {
  fault: string;
  /** Fault (kill, or the start that ends a stop) to the first real chunk reaching playback again, ms. */
  recoveryMs: number;
  /** Chunks the ledger cannot account for (sent upstream, never received downstream), for kill -9 faults; else null. */
  lostChunks: number | null;
  /**
   * What a kill may lose, chunks: the killed process's queues (capture: send
   * queue + socket high-water mark; playback: socket high-water mark + jitter
   * buffer) plus, for playback, the sender's pipe toward it (ZeroMQ discards
   * what it had queued for a connection that died). Null when nothing was killed.
   */
  lostBoundChunks: number | null;
  /** Chunks dropped and counted (by reason) anywhere in the pipeline during the fault. */
  countedDrops: Record<string, number>;
  /** Playback timeline restarts (drops{reason="resync"}) during the fault. */
  resyncs: number;
  /** restart_time of the stages the fault did not touch, before and after (must not change). */
  othersRestarted: boolean;
  /** Every scrape of an untouched stage answered during the fault. */
  othersAnswered: boolean;
}

/** Free loopback ports for one pm2 run: capture's control socket, playback's input, and the three metrics ports. */
export interface Pm2Ports {
  control: number;
  playback: number;
  metrics: Record<StageName, number>;
}

/**
 * The env that points the ecosystem's three stages at fresh ports and a
 * private PM2_HOME under `dir` (routed mode: inference registers on capture's
 * control socket). Callers add the source, model and sink they need.
 */
export async function pm2PortEnv(dir: string): Promise<{ env: NodeJS.ProcessEnv; ports: Pm2Ports }> {
  const [control, playback, m1, m2, m3] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const env = {
    PM2_HOME: join(dir, 'pm2'),
    QUELL_CAPTURE_CONTROL: `tcp://127.0.0.1:${control}`,
    QUELL_INFERENCE_CONTROL: `tcp://127.0.0.1:${control}`,
    QUELL_INFERENCE_OUTPUT_ENDPOINT: `tcp://127.0.0.1:${playback}`,
    QUELL_PLAYBACK_ENDPOINT: `tcp://127.0.0.1:${playback}`,
    QUELL_CAPTURE_METRICS_PORT: String(m1),
    QUELL_INFERENCE_METRICS_PORT: String(m2),
    QUELL_PLAYBACK_METRICS_PORT: String(m3),
  };
  return { env, ports: { control, playback, metrics: { capture: m1, inference: m2, playback: m3 } } };
}

/**
 * The three stages under pm2 from ecosystem.config.js, headless (synth tone
 * in, clocked null sink out, so playback runs on a clock and counts
 * underruns; `extraEnv` overrides any of it), with their own PM2_HOME, ports
 * and metrics ports.
 */
export class Pm2Pipeline {
  readonly env: NodeJS.ProcessEnv;
  readonly ports: Record<StageName, number>;

  private constructor(env: NodeJS.ProcessEnv, ports: Record<StageName, number>) {
    this.env = env;
    this.ports = ports;
  }

  static async start(dir: string, model = 'gain', extraEnv: NodeJS.ProcessEnv = {}): Promise<Pm2Pipeline> {
    const { env: portEnv, ports } = await pm2PortEnv(dir);
    const env = {
      ...portEnv,
      QUELL_CAPTURE_ENDPOINT: `tcp://127.0.0.1:${ports.control}`,
      QUELL_INFERENCE_INPUT_ENDPOINT: `tcp://127.0.0.1:${ports.control}`,
      QUELL_CAPTURE_SOURCE: 'synth',
      QUELL_CAPTURE_SYNTH_DURATION_S: '0',
      QUELL_INFERENCE_MODEL: model,
      QUELL_PLAYBACK_SINK: 'null',
      QUELL_PLAYBACK_CLOCK: 'realtime',
      QUELL_PLAYBACK_PREFILL_CHUNKS: '3',
      QUELL_PLAYBACK_OUTPUT: join(dir, 'out-{stream}.wav'),
      ...extraEnv,
    };
    const p = new Pm2Pipeline(env, ports.metrics);
    try {
      const started = await p.pm2('start', 'ecosystem.config.js');
      if (started.code !== 0) throw new Error(`pm2 start failed: ${started.stderr}`);
      await p.awaitRealChunks(50);
      return p;
    } catch (err) {
      await p.close();
      throw err;
    }
  }

  /** Resolves once playback has played more than `count` real chunks; rejects after `timeoutMs`. */
  async awaitRealChunks(count: number, timeoutMs = 20_000): Promise<void> {
    const until = performance.now() + timeoutMs;
    let played = await this.realChunks();
    while (played <= count) {
      if (performance.now() > until) throw new Error(`playback played ${played} real chunks in ${timeoutMs} ms, not more than ${count}`);
      await sleep(100);
      played = await this.realChunks();
    }
  }

  pm2(...args: string[]): ReturnType<typeof run> {
    return run(PM2, args, { env: this.env });
  }

  async apps(): Promise<Map<string, Pm2App>> {
    const list = JSON.parse((await this.pm2('jlist')).stdout) as Pm2App[];
    return new Map(list.map((a) => [a.name.replace(/^quell-/, ''), a]));
  }

  /** One scrape, or null when the stage does not answer (down, restarting). */
  async scrape(stage: StageName, timeoutMs = 1000): Promise<MetricSample[] | null> {
    return scrapeMetrics(`http://127.0.0.1:${this.ports[stage]}/metrics`, timeoutMs).catch(() => null);
  }

  /** Real chunks played (the latency histogram counts only chunks that arrived, not concealment); -1 when playback does not answer. */
  async realChunks(): Promise<number> {
    const m = await this.scrape('playback');
    return m ? sumSamples(m, 'quell_playback_latency_seconds_count') : -1;
  }

  /** A stage's metric summed over the series that match `labels`; rejects when the stage does not answer. */
  async metric(stage: StageName, name: string, labels?: Record<string, string>): Promise<number> {
    const m = await this.scrape(stage);
    if (!m) throw new Error(`${stage} does not answer`);
    return sumSamples(m, name, labels);
  }

  async close(): Promise<void> {
    await this.pm2('kill');
  }
}

/** Sum of every stage's drops by `stage/reason` (the stages that answer). */
async function drops(p: Pm2Pipeline): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const stage of STAGES) {
    const m = await p.scrape(stage);
    for (const s of m ?? []) if (s.name === `quell_${stage}_drops_total`) out[`${stage}/${s.labels.reason}`] = s.value;
  }
  return out;
}

function dropDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/**
 * Polls playback every 20 ms until real chunks flow again after a fault at
 * `faultAtMs`: the stream must first stop (no new chunk for 60 ms, or a new
 * playback process), then a new chunk must arrive. Meanwhile scrapes the
 * stages in `watch` and notes whether they all answered. Resolves with the
 * time of that first chunk.
 */
async function awaitFlow(p: Pm2Pipeline, faultAtMs: number, watch: StageName[], timeoutMs = 20_000): Promise<{ atMs: number; othersAnswered: boolean }> {
  let othersAnswered = true;
  let last = await p.realChunks();
  let lastChangeMs = performance.now();
  let paused = false;
  let polls = 0;
  while (performance.now() - faultAtMs < timeoutMs) {
    await sleep(20);
    const now = performance.now();
    const count = await p.realChunks();
    if (polls++ % 10 === 0) for (const s of watch) if ((await p.scrape(s, 2000)) === null) othersAnswered = false;
    if (count < 0 || count < last) {
      // Playback is down or restarted: its counters start again from 0.
      paused = true;
      last = Math.max(0, count);
      continue;
    }
    if (count === last) {
      if (now - lastChangeMs >= 60) paused = true;
      continue;
    }
    if (paused) return { atMs: performance.now(), othersAnswered };
    last = count;
    lastChangeMs = now;
  }
  throw new Error(`stream did not resume within ${timeoutMs} ms`);
}

function restarts(apps: Map<string, Pm2App>, stages: StageName[]): number[] {
  return stages.map((s) => apps.get(s)?.pm2_env.restart_time ?? -1);
}

/**
 * kill -9 one stage (capture or playback) while audio flows; pm2 restarts it.
 * Lost chunks come from a ledger of the counters around the killed process
 * (upstream sent minus downstream received, the in-flight ones before the
 * kill included) a second after the stream resumed.
 */
export async function killStage(p: Pm2Pipeline, stage: 'capture' | 'playback'): Promise<FaultReport> {
  const others = STAGES.filter((s) => s !== stage);
  const appsBefore = await p.apps();
  const dropsBefore = await drops(p);
  const resyncBefore = await p.metric('playback', 'quell_playback_drops_total', { reason: 'resync' });
  const [up, down] = stage === 'capture' ? (['capture', 'inference'] as const) : (['inference', 'playback'] as const);
  const upName = stage === 'capture' ? 'quell_capture_chunks_sent_total' : 'quell_inference_chunks_sent_total';
  const downName = stage === 'capture' ? 'quell_inference_chunks_received_total' : 'quell_playback_chunks_received_total';
  // Both ledgers' counters, read together right before the kill.
  const [sentA, receivedA] = await Promise.all([p.metric(up, upName), p.metric(down, downName)]);
  const faultAtMs = performance.now();
  process.kill(appsBefore.get(stage)!.pid, 'SIGKILL');
  const { atMs, othersAnswered } = await awaitFlow(p, faultAtMs, others);
  await sleep(1000);
  const [sentB, receivedB] = await Promise.all([p.metric(up, upName), p.metric(down, downName)]);
  // capture: the old process sent sentA, the new one sentB; inference received all but the lost ones (receivedB counts both).
  // playback: inference sent sentB in all; the old playback received receivedA before the kill, the new one receivedB.
  const lost = stage === 'capture' ? sentA + sentB - receivedB : sentB - receivedA - receivedB;
  const bound =
    stage === 'capture'
      ? QUEUES.captureSendQueueChunks + QUEUES.captureHighWaterMarkChunks
      : // What the dead playback held, plus inference's pipe toward it: ZeroMQ discards what it had queued for a connection that died.
        QUEUES.playbackHighWaterMarkChunks + QUEUES.playbackJitterCapacityChunks + QUEUES.inferenceHighWaterMarkChunks;
  const appsAfter = await p.apps();
  const resyncAfter = await p.metric('playback', 'quell_playback_drops_total', { reason: 'resync' });
  return {
    fault: `kill -9 ${stage}`,
    recoveryMs: atMs - faultAtMs,
    lostChunks: Math.max(0, lost),
    lostBoundChunks: bound,
    countedDrops: dropDelta(stage === 'playback' ? {} : dropsBefore, await drops(p)),
    resyncs: stage === 'playback' ? resyncAfter : resyncAfter - resyncBefore,
    othersRestarted: restarts(appsBefore, others).join() !== restarts(appsAfter, others).join(),
    othersAnswered,
  };
}

/**
 * `pm2 stop` the stages in `stopOrder`, wait `downMs`, then `pm2 start` them
 * in `startOrder`; recovery is measured from the first start command (pm2
 * waits for each stage's 'ready', so it includes process start-up).
 */
export async function stopStart(p: Pm2Pipeline, stopOrder: StageName[], startOrder: StageName[], downMs = 1500): Promise<FaultReport> {
  const others = STAGES.filter((s) => !stopOrder.includes(s));
  const appsBefore = await p.apps();
  const dropsBefore = await drops(p);
  for (const s of stopOrder) {
    const r = await p.pm2('stop', `quell-${s}`);
    if (r.code !== 0) throw new Error(`pm2 stop quell-${s}: ${r.stderr}`);
  }
  let othersAnswered = true;
  for (const end = performance.now() + downMs; performance.now() < end; ) {
    for (const s of others) if ((await p.scrape(s, 2000)) === null) othersAnswered = false;
    await sleep(200);
  }
  const faultAtMs = performance.now();
  for (const s of startOrder) {
    const r = await p.pm2('start', `quell-${s}`);
    if (r.code !== 0) throw new Error(`pm2 start quell-${s}: ${r.stderr}`);
  }
  // The stream stopped while the stages were down (or a new playback process answers from 0): wait for new chunks.
  const flow = await awaitFlowAfterStart(p, faultAtMs, others);
  const appsAfter = await p.apps();
  await sleep(500);
  return {
    fault: `stop ${stopOrder.join(', ')}; start ${startOrder.join(', ')}`,
    recoveryMs: flow.atMs - faultAtMs,
    lostChunks: null,
    lostBoundChunks: null,
    countedDrops: dropDelta(dropsBefore, await drops(p)),
    resyncs: 0,
    othersRestarted: restarts(appsBefore, others).join() !== restarts(appsAfter, others).join(),
    othersAnswered: othersAnswered && flow.othersAnswered,
  };
}

/** After `pm2 start` (which waits for 'ready'): the first new real chunk at playback. */
async function awaitFlowAfterStart(p: Pm2Pipeline, startAtMs: number, watch: StageName[], timeoutMs = 20_000): Promise<{ atMs: number; othersAnswered: boolean }> {
  let othersAnswered = true;
  const first = await p.realChunks();
  let polls = 0;
  while (performance.now() - startAtMs < timeoutMs) {
    const count = await p.realChunks();
    if (count > Math.max(0, first) || (count > 0 && count < first)) return { atMs: performance.now(), othersAnswered };
    if (polls++ % 10 === 0) for (const s of watch) if ((await p.scrape(s, 2000)) === null) othersAnswered = false;
    await sleep(20);
  }
  throw new Error(`stream did not resume within ${timeoutMs} ms of pm2 start`);
}
