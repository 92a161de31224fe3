import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { readWav, scrapeMetrics, sumSamples } from '@quell/runtime';
import { tempDir } from '../helpers/pipeline.js';
import { pm2PortEnv } from '../helpers/pm2-pipeline.js';
import { REPO_ROOT, run } from '../helpers/run.js';

const PM2 = join(REPO_ROOT, 'node_modules', '.bin', 'pm2');

async function answers(port: number): Promise<boolean> {
  return scrapeMetrics(`http://127.0.0.1:${port}/metrics`, 1000).then(
    () => true,
    () => false,
  );
}

describe('pm2', { timeout: 120_000 }, () => {
  it('pm2 start ecosystem.config.js brings up all three stages, audio flows, pm2 delete stops them cleanly', async () => {
    const dir = await tempDir();
    const { env: portEnv, ports } = await pm2PortEnv(dir);
    const { capture: m1, inference: m2, playback: m3 } = ports.metrics;
    const env = {
      ...portEnv,
      QUELL_CAPTURE_ENDPOINT: `tcp://127.0.0.1:${ports.control}`,
      QUELL_INFERENCE_INPUT_ENDPOINT: `tcp://127.0.0.1:${ports.control}`,
      QUELL_PLAYBACK_OUTPUT: join(dir, 'out-{stream}.wav'),
      // Headless: the ecosystem defaults to devices; CI has none, so a synth tone into a WAV file.
      QUELL_CAPTURE_SOURCE: 'synth',
      QUELL_CAPTURE_SYNTH_DURATION_S: '600',
      QUELL_PLAYBACK_SINK: 'file',
    };
    const started = await run(PM2, ['start', 'ecosystem.config.js'], { env });
    try {
      assert.equal(started.code, 0, started.stderr);
      let played = 0;
      for (let i = 0; i < 100 && played < 100; i++) {
        await sleep(200);
        if (await answers(m3)) played = sumSamples(await scrapeMetrics(`http://127.0.0.1:${m3}/metrics`), 'quell_playback_chunks_played_total');
      }
      assert.ok(played >= 100, `playback played ${played} chunks`);
      assert.ok((await answers(m1)) && (await answers(m2)) && (await answers(m3)), 'all three /metrics answer');
      const list = JSON.parse((await run(PM2, ['jlist'], { env })).stdout) as { name: string; pm2_env: { status: string; restart_time: number } }[];
      assert.deepEqual(list.map((p) => [p.name, p.pm2_env.status, p.pm2_env.restart_time]).sort(), [
        ['quell-capture', 'online', 0],
        ['quell-inference', 'online', 0],
        ['quell-playback', 'online', 0],
      ]);
      const deleted = await run(PM2, ['delete', 'ecosystem.config.js'], { env });
      assert.equal(deleted.code, 0, deleted.stderr);
      for (const port of [m1, m2, m3]) assert.equal(await answers(port), false, `port ${port} closed after delete`);
      // Playback finalised the WAV on SIGTERM: its header matches its body.
      const out = await readWav(join(dir, 'out-1.wav'));
      assert.ok(out.frameCount >= 100 * 480, `${out.frameCount} frames in the output`);
    } finally {
      await run(PM2, ['kill'], { env });
    }
  });
});
