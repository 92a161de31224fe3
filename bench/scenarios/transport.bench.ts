/**
 * Transport benchmark: what the ZeroMQ hop between two Quell processes costs.
 *
 * Emulates capture sending 10 ms chunks of 48 kHz mono float32 (480 frames,
 * 1920 bytes plus a MessagePack header) to another process over TCP loopback.
 * Variants:
 * - `paced one hop`: 1000 chunks at real-time pace (Pacer, absolute deadlines)
 *   to a bare receiver process.
 * - `paced via inference`: the same through a real inference stage
 *   (passthrough) to the receiver: two hops plus the stage's work.
 * - `unpaced one hop`, `unpaced via inference`: 50 000 chunks as fast as the
 *   socket takes them, for throughput.
 * Each runs with CURVE under the local key (the stages' default) and in
 * plaintext (`--local-auth off`), side by side: the cost of encryption.
 * Output fields: latency p50/p99/max in µs (receive wall clock minus capture
 * time stamped at send), throughput in chunks/s and audio frames/s, and
 * x real time (audio seconds moved per wall second).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeFrame, FrameFlags, monotonicNs, Pacer, PROTOCOL_VERSION, realTimeClock, wallClockUs, type FrameHeader } from '@quell/protocol';
import { StageProcess } from '@quell/cli';
import { createPushSocket, defaultLinkSecurity } from '@quell/runtime';
import type * as zmq from 'zeromq';
import { percentiles, printTable, writeResult } from '../lib/results.js';

const FRAMES = 480;
const RATE = 48_000;

interface Done {
  received: number;
  elapsedUs: number;
  latenciesUs: number[];
}

type LocalAuth = 'curve' | 'off';

function startReceiver(expected: number, auth: LocalAuth): Promise<{ endpoint: string; done: Promise<Done> }> {
  const child = fork(fileURLToPath(new URL('../lib/hop-receiver.js', import.meta.url)), ['tcp://127.0.0.1:*', String(expected), auth]);
  return new Promise((resolve) => {
    let resolveDone: (d: Done) => void;
    const done = new Promise<Done>((r) => (resolveDone = r));
    child.on('message', (m: { type: string; endpoint?: string } & Done) => {
      if (m.type === 'ready') resolve({ endpoint: m.endpoint!, done });
      if (m.type === 'done') resolveDone(m);
    });
  });
}

async function sendChunks(push: zmq.Push, count: number, paced: boolean): Promise<void> {
  const header: FrameHeader = { v: PROTOCOL_VERSION, stream: 1, seq: 0, ts: 0, captureTimeUs: 0, sampleRateHz: RATE, channelCount: 1, frameCount: FRAMES, flags: 0, delayFrames: 0 };
  const pacer = paced ? new Pacer(realTimeClock, FRAMES, RATE) : null;
  for (let i = 0; i < count; i++) {
    if (pacer) await pacer.next();
    header.seq = i;
    header.ts = i * FRAMES;
    header.flags = i === count - 1 ? FrameFlags.END_OF_STREAM : 0;
    header.captureTimeUs = wallClockUs();
    await push.send(encodeFrame(header, new Float32Array(FRAMES)));
  }
}

async function runVariant(name: string, count: number, paced: boolean, viaInference: boolean, auth: LocalAuth): Promise<Record<string, string | number>> {
  const receiver = await startReceiver(count, auth);
  // The sender binds when inference connects to it, else connects to the receiver.
  const security = await defaultLinkSecurity('bench', [{ endpoint: 'tcp://127.0.0.1:*', mode: viaInference ? 'bind' : 'connect' }], auth);
  const push = createPushSocket({ highWaterMarkChunks: 1000, curve: security.curve[0] });
  await push.bind('tcp://127.0.0.1:*');
  let inference: StageProcess | null = null;
  if (viaInference) {
    inference = new StageProcess('inference', ['--control', '', '--input-endpoint', push.lastEndpoint!, '--output-endpoint', receiver.endpoint, '--model', 'passthrough', '--backpressure', 'block', '--local-auth', auth, '--metrics-port', '0', '--log-level', 'warn']);
    await inference.ready;
  } else {
    push.connect(receiver.endpoint);
  }
  const started = monotonicNs();
  await sendChunks(push, count, paced);
  const done = await receiver.done;
  const wallS = (monotonicNs() - started) / 1e9;
  push.close();
  await inference?.stop();
  await security.close();
  const lat = percentiles(done.latenciesUs);
  return {
    variant: name,
    links: auth === 'curve' ? 'CURVE' : 'plaintext',
    chunks: done.received,
    p50_us: lat.p50,
    p99_us: lat.p99,
    max_us: lat.max,
    chunks_per_s: done.received / wallS,
    frames_per_s: (done.received * FRAMES) / wallS,
    x_realtime: (done.received * FRAMES) / RATE / wallS,
  };
}

const rows: Record<string, string | number>[] = [];
for (const [name, count, paced, viaInference] of [
  ['paced one hop', 1000, true, false],
  ['paced via inference', 1000, true, true],
  ['unpaced one hop', 50_000, false, false],
  ['unpaced via inference', 50_000, false, true],
] as const) {
  for (const auth of ['curve', 'off'] as const) rows.push(await runVariant(name, count, paced, viaInference, auth));
}
printTable('transport: 480-frame float32 chunks over TCP loopback', rows);
console.log(`\nwrote ${writeResult('transport', { frames: FRAMES, sampleRateHz: RATE, transport: 'tcp loopback' }, { variants: rows })}`);
