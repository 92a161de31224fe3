import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { readWav } from '@quell/runtime';
import { startPipeline, tempDir } from '../helpers/pipeline.js';
import { quell } from '../helpers/run.js';

describe('stage start-up and shutdown', { timeout: 60_000 }, () => {
  const badStarts: [string, string[], RegExp][] = [
    ['capture', ['--chunk-ms', 'abc'], /--chunk-ms/],
    ['capture', ['--source', 'file', '--files', '/no/such.wav'], /\/no\/such\.wav/],
    ['capture', ['--endpoint', 'localhost:5555'], /--endpoint/],
    ['inference', ['--model', 'nope'], /unknown model 'nope'.*dtln/],
    ['inference', ['--model', 'dtln', '--model-dir', '/no/models'], /quell models fetch dtln/],
    ['playback', ['--sink', 'speaker'], /--sink.*file, null/],
    ['playback', ['--no-such-flag'], /--no-such-flag/],
  ];
  for (const [stage, args, message] of badStarts) {
    it(`${stage} ${args.join(' ')} exits 2 with one clear line`, async () => {
      const result = await quell([stage, ...args, '--metrics-port', '0']);
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], message);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    });
  }

  it('SIGTERM: every stage exits 0 within 2 s and the WAV is finalised', async () => {
    const dir = await tempDir();
    const pipeline = await startPipeline({
      capture: ['--source', 'synth'],
      inference: ['--model', 'gain'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    await sleep(1500);
    const stopped = performance.now();
    const codes = await Promise.all([pipeline.capture.stop(5000), pipeline.inference.stop(5000), pipeline.playback.stop(5000)]);
    const elapsedMs = performance.now() - stopped;
    assert.deepEqual(codes, [0, 0, 0]);
    assert.ok(elapsedMs < 2000, `took ${elapsedMs} ms`);
    const out = await readWav(join(dir, 'out-1.wav'));
    assert.ok(out.frameCount > 48_000 * 0.5, `${out.frameCount} frames`);
    // A sine at 0.25 * 0.5 gain, with nothing concealed: no sample beyond the amplitude.
    assert.ok(out.samples.every((x) => Math.abs(x) <= 0.125 + 1e-6));
  });
});
