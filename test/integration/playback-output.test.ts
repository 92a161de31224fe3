import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readWav, writeWav } from '@quell/runtime';
import { startPipeline, tempDir } from '../helpers/pipeline.js';
import { testSignal, writeTestSignal } from '../helpers/signals.js';

describe('playback --output without {stream}', { timeout: 60_000 }, () => {
  it('two streams: the first gets the fixed path, the second its id added; each file is its own stream, bit-exact', async () => {
    const dir = await tempDir();
    const a = await writeTestSignal(join(dir, 'a.wav'), 48_000, 1.5, 1);
    // The second file is the first one's programme inverted, so a mix-up of the two files shows.
    const b = testSignal(48_000, 1.01, 1).map((x) => -x);
    await writeWav(join(dir, 'b.wav'), b, 48_000, 1, 'float32');
    const out = join(dir, 'out');
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', `${join(dir, 'a.wav')},${join(dir, 'b.wav')}`, '--pace', 'fast'],
      inference: ['--model', 'passthrough', '--backpressure', 'block'],
      playback: ['--output', join(out, 'out.wav')],
    });
    try {
      await Promise.all([p.streamEnded(1), p.streamEnded(2)]);
    } finally {
      await p.stop();
    }
    assert.deepEqual((await readdir(out)).sort(), ['out-stream-2.wav', 'out.wav']);
    for (const [name, input] of [['out.wav', a], ['out-stream-2.wav', b]] as const) {
      const got = (await readWav(join(out, name))).samples;
      assert.equal(got.length, input.length, name);
      assert.ok(got.every((x, i) => x === input[i]), `${name} is its own stream, bit-exact`);
    }
  });
});
