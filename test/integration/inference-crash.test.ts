import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { scrapeMetrics, sumSamples } from '@quell/runtime';
import { tempDir } from '../helpers/pipeline.js';
import { pm2PortEnv } from '../helpers/pm2-pipeline.js';
import { REPO_ROOT, run } from '../helpers/run.js';

const PM2 = join(REPO_ROOT, 'node_modules', '.bin', 'pm2');

async function read(port: number, name: string, match?: Record<string, string>): Promise<number> {
  return sumSamples(await scrapeMetrics(`http://127.0.0.1:${port}/metrics`, 1000), name, match);
}

describe('kill -9 of the inference node under pm2', { timeout: 120_000 }, () => {
  it('playback keeps playing and conceals the gap (counted), pm2 restarts the node, audio resumes by itself', async () => {
    const dir = await tempDir();
    const { env: portEnv, ports } = await pm2PortEnv(dir);
    const { capture: m1, inference: m2, playback: m3 } = ports.metrics;
    const env = {
      ...portEnv,
      QUELL_CAPTURE_SOURCE: 'synth',
      QUELL_CAPTURE_SYNTH_DURATION_S: '0',
      QUELL_INFERENCE_MODEL: 'gain',
      QUELL_PLAYBACK_SINK: 'null',
      QUELL_PLAYBACK_CLOCK: 'realtime',
    };
    const started = await run(PM2, ['start', 'ecosystem.config.js'], { env });
    try {
      assert.equal(started.code, 0, started.stderr);
      let played = 0;
      for (let i = 0; i < 100 && played < 100; i++) {
        await sleep(200);
        played = await read(m3, 'quell_playback_chunks_played_total').catch(() => 0);
      }
      assert.ok(played >= 100, `playback played ${played} chunks before the kill`);
      const apps = JSON.parse((await run(PM2, ['jlist'], { env })).stdout) as { name: string; pid: number; pm2_env: { restart_time: number } }[];
      const inferencePid = apps.find((a) => a.name === 'quell-inference')!.pid;
      const playbackPid = apps.find((a) => a.name === 'quell-playback')!.pid;
      const concealedBefore = (await read(m3, 'quell_playback_gaps_total')) + (await read(m3, 'quell_playback_underruns_total'));
      const playedBefore = await read(m3, 'quell_playback_chunks_played_total');
      process.kill(inferencePid, 'SIGKILL');
      const killedAt = performance.now();
      // Watch the received counter: it stalls, then moves again once the restarted node serves.
      let received = await read(m3, 'quell_playback_chunks_received_total');
      let stalledSince = -1;
      let resumedAtMs = -1;
      while (performance.now() - killedAt < 30_000) {
        await sleep(10);
        const now = await read(m3, 'quell_playback_chunks_received_total');
        if (now === received && stalledSince < 0) stalledSince = performance.now();
        if (now > received && stalledSince >= 0 && performance.now() - stalledSince > 100) {
          resumedAtMs = performance.now() - killedAt;
          break;
        }
        if (now > received) stalledSince = -1;
        received = now;
      }
      assert.ok(resumedAtMs > 0, 'audio resumed');
      await sleep(1000);
      const after = JSON.parse((await run(PM2, ['jlist'], { env })).stdout) as { name: string; pid: number; pm2_env: { status: string; restart_time: number } }[];
      const pb = after.find((a) => a.name === 'quell-playback')!;
      const inf = after.find((a) => a.name === 'quell-inference')!;
      assert.equal(pb.pid, playbackPid, 'playback was not restarted');
      assert.equal(pb.pm2_env.restart_time, 0);
      assert.equal(inf.pm2_env.restart_time, 1, 'pm2 restarted inference once');
      assert.equal(inf.pm2_env.status, 'online');
      const concealed = (await read(m3, 'quell_playback_gaps_total')) + (await read(m3, 'quell_playback_underruns_total')) - concealedBefore;
      const playedDuring = (await read(m3, 'quell_playback_chunks_played_total')) - playedBefore;
      const elapsedChunks = (performance.now() - killedAt) / 10;
      console.log(`# kill -9 → audio again after ${resumedAtMs.toFixed(0)} ms; ${concealed} concealment events; played ${playedDuring} chunks in ${elapsedChunks.toFixed(0)} chunk periods`);
      assert.ok(concealed >= 1, 'the gap is concealed and counted');
      // The playout clock kept going through the outage (concealment is played, not skipped).
      assert.ok(playedDuring >= elapsedChunks * 0.9, `played ${playedDuring} of ${elapsedChunks} chunk periods`);
      assert.ok((await read(m1, 'quell_capture_drops_total')) > 0, 'capture counted the chunks nobody could take');
      assert.ok((await read(m1, 'quell_capture_node_failures_total')) >= 1);
    } finally {
      await run(PM2, ['kill'], { env });
    }
  });
});
