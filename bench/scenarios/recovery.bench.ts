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
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
// The pm2 driver is shared with the tests, loaded from the compiled tests (see faults.bench.ts).
const { Pm2Pipeline } = (await import(new URL('../../../test/dist/helpers/pm2-pipeline.js', import.meta.url).href)) as typeof import('../../test/dist/helpers/pm2-pipeline.js');
import { percentiles, printTable, writeResult } from '../lib/results.js';

const KILLS = 5;
const CHUNK_FRAMES = 480;

const pipeline = await Pm2Pipeline.start(await mkdtemp(join(tmpdir(), 'quell-recovery-')), 'gain');
const read = (stage: 'capture' | 'playback', name: string, match?: Record<string, string>): Promise<number> => pipeline.metric(stage, name, match);

/** Chunks capture produced so far: sent once each, plus those dropped for want of a node (node-lost ones were counted as sent). */
async function produced(): Promise<number> {
  const frames = await read('capture', 'quell_capture_audio_frames_sent_total');
  const dropped = (await read('capture', 'quell_capture_drops_total', { reason: 'no-node' })) + (await read('capture', 'quell_capture_drops_total', { reason: 'queue-full' }));
  return frames / CHUNK_FRAMES + dropped;
}

const rows: Record<string, number>[] = [];
try {
  await pipeline.awaitRealChunks(200);
  for (let k = 0; k < KILLS; k++) {
    await sleep(2000);
    const pid = (await pipeline.apps()).get('inference')!.pid;
    const [producedA, receivedA, playedA, concealA] = await Promise.all([
      produced(),
      read('playback', 'quell_playback_chunks_received_total'),
      read('playback', 'quell_playback_chunks_played_total'),
      Promise.all([read('playback', 'quell_playback_gaps_total'), read('playback', 'quell_playback_underruns_total')]).then(([g, u]) => g + u),
    ]);
    process.kill(pid, 'SIGKILL');
    const killedAt = performance.now();
    let received = await read('playback', 'quell_playback_chunks_received_total');
    let stalledSince = -1;
    let recoveryMs = -1;
    while (performance.now() - killedAt < 30_000) {
      await sleep(10);
      const now = await read('playback', 'quell_playback_chunks_received_total');
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
      read('playback', 'quell_playback_chunks_received_total'),
      read('playback', 'quell_playback_chunks_played_total'),
      Promise.all([read('playback', 'quell_playback_gaps_total'), read('playback', 'quell_playback_underruns_total')]).then(([g, u]) => g + u),
    ]);
    const periods = (performance.now() - killedAt) / 10;
    const lostChunks = Math.max(0, Math.round(producedB - producedA - (receivedB - receivedA)));
    rows.push({ kill: k + 1, recoveryMs, lostChunks, lostFrames: lostChunks * CHUNK_FRAMES, concealEvents: concealB - concealA, playedRatio: (playedB - playedA) / periods });
  }
} finally {
  await pipeline.close();
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
