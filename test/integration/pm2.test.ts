import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readWav } from '@quell/runtime';
import { tempDir } from '../helpers/pipeline.js';
import { Pm2Pipeline, STAGES } from '../helpers/pm2-pipeline.js';

describe('pm2', { timeout: 120_000 }, () => {
  it('pm2 start ecosystem.config.js brings up all three stages, audio flows, pm2 delete stops them cleanly', async () => {
    const dir = await tempDir();
    // The ecosystem's own model and arrival-driven playback into a WAV file (CI has no audio device).
    const p = await Pm2Pipeline.start(dir, 'dtln', { QUELL_CAPTURE_SYNTH_DURATION_S: '600', QUELL_PLAYBACK_SINK: 'file', QUELL_PLAYBACK_CLOCK: 'auto' });
    try {
      await p.awaitRealChunks(100, 30_000);
      for (const stage of STAGES) assert.notEqual(await p.scrape(stage), null, `${stage} /metrics answers`);
      const apps = await p.apps();
      assert.deepEqual(
        STAGES.map((s) => [s, apps.get(s)?.pm2_env.status, apps.get(s)?.pm2_env.restart_time]),
        STAGES.map((s) => [s, 'online', 0]),
      );
      const deleted = await p.pm2('delete', 'ecosystem.config.js');
      assert.equal(deleted.code, 0, deleted.stderr);
      for (const stage of STAGES) assert.equal(await p.scrape(stage), null, `${stage} /metrics closed after delete`);
      // Playback finalised the WAV on SIGTERM: its header matches its body.
      const out = await readWav(join(dir, 'out-1.wav'));
      assert.ok(out.frameCount >= 100 * 480, `${out.frameCount} frames in the output`);
    } finally {
      await p.close();
    }
  });
});
