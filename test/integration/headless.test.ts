import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startPipeline } from '../helpers/pipeline.js';
import { quell, REPO_ROOT, run } from '../helpers/run.js';

interface StatusJson {
  stages: Record<string, { up: boolean; deviceOpen: boolean | null; deviceErrors: number | null }>;
}

/**
 * A machine without the audio devices Quell is pointed at (a server, CI, a desktop with the wrong name set):
 * the stages stay up and retry, and what `npm start` prints and `quell status` shows say so plainly.
 */
describe('headless honesty: no audio device', { timeout: 60_000 }, () => {
  for (const present of [false, true]) {
    it(present ? 'with a synth source and a file sink nothing claims a device is missing' : "npm start's summary and quell status say there is no input and no output device, and what to do", async () => {
      const p = await startPipeline(
        present
          ? { capture: ['--source', 'synth'], inference: ['--model', 'passthrough'], playback: ['--sink', 'null'] }
          : { capture: ['--source', 'device', '--device', 'no-such-device-quell'], inference: ['--model', 'passthrough'], playback: ['--sink', 'device', '--device', 'no-such-device-quell'] },
      );
      try {
        const ports = { capture: String(p.info.capture.metricsPort), inference: String(p.info.inference.metricsPort), playback: String(p.info.playback.metricsPort) };
        const started = await run(process.execPath, [join(REPO_ROOT, 'scripts', 'started.mjs')], {
          env: {
            ...process.env,
            QUELL_CAPTURE_SOURCE: present ? 'synth' : 'device',
            QUELL_PLAYBACK_SINK: present ? 'null' : 'device',
            QUELL_CAPTURE_METRICS_PORT: ports.capture,
            QUELL_PLAYBACK_METRICS_PORT: ports.playback,
          },
        });
        assert.equal(started.code, 0, started.stderr);
        const status = await quell(['status', '--json', '--capture-url', `127.0.0.1:${ports.capture}`, '--inference-url', `127.0.0.1:${ports.inference}`, '--playback-url', `127.0.0.1:${ports.playback}`]);
        assert.equal(status.code, 0, status.stderr);
        const snapshot = JSON.parse(status.stdout) as StatusJson;
        if (present) {
          assert.doesNotMatch(started.stdout, /NONE OPEN/);
          assert.equal(snapshot.stages.capture.deviceOpen, null);
          assert.equal(snapshot.stages.playback.deviceOpen, null);
        } else {
          assert.match(started.stdout, /audio in: +NONE OPEN: no input device could be opened .*quell devices/);
          assert.match(started.stdout, /audio out: +NONE OPEN: no output device could be opened/);
          assert.equal(snapshot.stages.capture.deviceOpen, false);
          assert.equal(snapshot.stages.playback.deviceOpen, false);
          assert.ok((snapshot.stages.capture.deviceErrors ?? 0) >= 1);
          assert.equal(snapshot.stages.capture.up, true, 'the stage itself is up');
        }
      } finally {
        await p.stop();
      }
    });
  }
});
