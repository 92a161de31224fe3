import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/pipeline.js';
import { Pm2Pipeline } from '../helpers/pm2-pipeline.js';

describe('kill -9 of the inference node under pm2', { timeout: 120_000 }, () => {
  it('playback keeps playing and conceals the gap (counted), pm2 restarts the node, audio resumes by itself', async () => {
    const p = await Pm2Pipeline.start(await tempDir(), 'gain');
    try {
      await p.awaitRealChunks(100);
      const concealed = async (): Promise<number> => (await p.metric('playback', 'quell_playback_gaps_total')) + (await p.metric('playback', 'quell_playback_underruns_total'));
      const apps = await p.apps();
      const playbackPid = apps.get('playback')!.pid;
      const concealedBefore = await concealed();
      const playedBefore = await p.metric('playback', 'quell_playback_chunks_played_total');
      process.kill(apps.get('inference')!.pid, 'SIGKILL');
      const killedAt = performance.now();
      // Watch the received counter: it stalls, then moves again once the restarted node serves.
      let received = await p.metric('playback', 'quell_playback_chunks_received_total');
      let stalledSince = -1;
      let resumedAtMs = -1;
      while (performance.now() - killedAt < 30_000) {
        await sleep(10);
        const now = await p.metric('playback', 'quell_playback_chunks_received_total');
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
      const after = await p.apps();
      const pb = after.get('playback')!;
      const inf = after.get('inference')!;
      assert.equal(pb.pid, playbackPid, 'playback was not restarted');
      assert.equal(pb.pm2_env.restart_time, 0);
      assert.equal(inf.pm2_env.restart_time, 1, 'pm2 restarted inference once');
      assert.equal(inf.pm2_env.status, 'online');
      const concealedDuring = (await concealed()) - concealedBefore;
      const playedDuring = (await p.metric('playback', 'quell_playback_chunks_played_total')) - playedBefore;
      const elapsedChunks = (performance.now() - killedAt) / 10;
      console.log(`# kill -9 → audio again after ${resumedAtMs.toFixed(0)} ms; ${concealedDuring} concealment events; played ${playedDuring} chunks in ${elapsedChunks.toFixed(0)} chunk periods`);
      assert.ok(concealedDuring >= 1, 'the gap is concealed and counted');
      // The playout clock kept going through the outage (concealment is played, not skipped).
      assert.ok(playedDuring >= elapsedChunks * 0.9, `played ${playedDuring} of ${elapsedChunks} chunk periods`);
      assert.ok((await p.metric('capture', 'quell_capture_drops_total')) > 0, 'capture counted the chunks nobody could take');
      assert.ok((await p.metric('capture', 'quell_capture_node_failures_total')) >= 1);
    } finally {
      await p.close();
    }
  });
});
