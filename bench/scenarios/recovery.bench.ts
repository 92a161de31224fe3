/**
 * Recovery benchmark: what a crash of the inference node costs while audio flows.
 *
 * Emulates a live call under pm2 (`ecosystem.config.js`, an isolated PM2_HOME):
 * capture plays an endless 48 kHz synth tone in 10 ms chunks, inference runs
 * `gain` (routed mode, docs/SWAP.md), playback plays into the null sink on a
 * real-time playout clock. The inference process is killed with SIGKILL
 * `KILLS` times, a few seconds apart; pm2 restarts it each time and capture
 * hands the streams to the new process as soon as it says hello.
 * Variants: none (one model; the restart path is the same for every model,
 * only the model's load time adds to the recovery time).
 * Output fields, per kill and as p50/max:
 * - `recoveryMs`: kill → first processed chunk received by playback again, ms
 *   (playback's received counter polled every 10 ms: the first increase after
 *   it stalled);
 * - `lostChunks` / `lostFrames`: chunks (frames) capture produced that playback
 *   never received, between a steady point before the kill and one 1 s after the
 *   recovery (capture's sent plus no-node and queue-full drops, minus playback's
 *   received);
 * - `concealEvents`: playback gaps plus underrun episodes counted over the kill
 *   (each concealed with a fade, never a click);
 * - `playedRatio`: chunks playback played over chunk periods elapsed (1.0: its
 *   clock never stopped, the gap was filled with concealment).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { scrapeMetrics, sumSamples } from '@quell/runtime';
import { percentiles, printTable, REPO_ROOT, writeResult } from '../lib/results.js';

const KILLS = 5;
const CHUNK_FRAMES = 480;
const PM2 = join(REPO_ROOT, 'node_modules', '.bin', 'pm2');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function pm2(args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string } {
  const r = spawnSync(PM2, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout };
}

async function read(port: number, name: string, match?: Record<string, string>): Promise<number> {
  return sumSamples(await scrapeMetrics(`http://127.0.0.1:${port}/metrics`, 1000), name, match);
}

const dir = mkdtempSync(join(tmpdir(), 'quell-recovery-'));
const [controlPort, playbackPort, m1, m2, m3] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
const env = {
  PM2_HOME: join(dir, 'pm2'),
  QUELL_CAPTURE_CONTROL: `tcp://127.0.0.1:${controlPort}`,
  QUELL_INFERENCE_CONTROL: `tcp://127.0.0.1:${controlPort}`,
  QUELL_INFERENCE_OUTPUT_ENDPOINT: `tcp://127.0.0.1:${playbackPort}`,
  QUELL_PLAYBACK_ENDPOINT: `tcp://127.0.0.1:${playbackPort}`,
  QUELL_CAPTURE_METRICS_PORT: String(m1),
  QUELL_INFERENCE_METRICS_PORT: String(m2),
  QUELL_PLAYBACK_METRICS_PORT: String(m3),
  QUELL_CAPTURE_SOURCE: 'synth',
  QUELL_CAPTURE_SYNTH_DURATION_S: '0',
  QUELL_INFERENCE_MODEL: 'gain',
  QUELL_PLAYBACK_SINK: 'null',
  QUELL_PLAYBACK_CLOCK: 'realtime',
};

/** Chunks capture produced so far: sent once each, plus those dropped for want of a node (node-lost ones were counted as sent). */
async function produced(): Promise<number> {
  const frames = await read(m1, 'quell_capture_audio_frames_sent_total');
  const dropped = (await read(m1, 'quell_capture_drops_total', { reason: 'no-node' })) + (await read(m1, 'quell_capture_drops_total', { reason: 'queue-full' }));
  return frames / CHUNK_FRAMES + dropped;
}

const rows: Record<string, number>[] = [];
try {
  if (pm2(['start', 'ecosystem.config.js'], env).code !== 0) throw new Error('pm2 start failed');
  for (let i = 0; i < 100 && (await read(m3, 'quell_playback_chunks_played_total').catch(() => 0)) < 200; i++) await sleep(100);
  for (let k = 0; k < KILLS; k++) {
    await sleep(2000);
    const apps = JSON.parse(pm2(['jlist'], env).stdout) as { name: string; pid: number }[];
    const pid = apps.find((a) => a.name === 'quell-inference')!.pid;
    const [producedA, receivedA, playedA, concealA] = await Promise.all([
      produced(),
      read(m3, 'quell_playback_chunks_received_total'),
      read(m3, 'quell_playback_chunks_played_total'),
      Promise.all([read(m3, 'quell_playback_gaps_total'), read(m3, 'quell_playback_underruns_total')]).then(([g, u]) => g + u),
    ]);
    process.kill(pid, 'SIGKILL');
    const killedAt = performance.now();
    let received = await read(m3, 'quell_playback_chunks_received_total');
    let stalledSince = -1;
    let recoveryMs = -1;
    while (performance.now() - killedAt < 30_000) {
      await sleep(10);
      const now = await read(m3, 'quell_playback_chunks_received_total');
      if (now === received && stalledSince < 0) stalledSince = performance.now();
      if (now > received && stalledSince >= 0 && performance.now() - stalledSince > 100) {
        recoveryMs = performance.now() - killedAt;
        break;
      }
      if (now > received) stalledSince = -1;
      received = now;
    }
    await sleep(1000);
    const [producedB, receivedB, playedB, concealB] = await Promise.all([
      produced(),
      read(m3, 'quell_playback_chunks_received_total'),
      read(m3, 'quell_playback_chunks_played_total'),
      Promise.all([read(m3, 'quell_playback_gaps_total'), read(m3, 'quell_playback_underruns_total')]).then(([g, u]) => g + u),
    ]);
    const periods = (performance.now() - killedAt) / 10;
    const lostChunks = Math.max(0, Math.round(producedB - producedA - (receivedB - receivedA)));
    rows.push({ kill: k + 1, recoveryMs, lostChunks, lostFrames: lostChunks * CHUNK_FRAMES, concealEvents: concealB - concealA, playedRatio: (playedB - playedA) / periods });
  }
} finally {
  pm2(['kill'], env);
}

printTable('inference kill -9 under pm2 (gain, 48 kHz, 10 ms chunks)', rows);
const recovery = percentiles(rows.map((r) => r.recoveryMs));
const lost = percentiles(rows.map((r) => r.lostFrames));
const path = writeResult(
  'recovery',
  { chunkMs: 10, sampleRateHz: 48_000, streams: 1, model: 'gain', kills: KILLS, nodeTimeoutMs: 1000, heartbeatMs: 200, sink: 'null (realtime clock)' },
  { recoveryMs: { p50: recovery.p50, max: recovery.max }, lostFrames: { p50: lost.p50, max: lost.max }, kills: rows },
);
console.log(`\nresults: ${path}`);
