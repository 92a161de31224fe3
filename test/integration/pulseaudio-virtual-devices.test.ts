import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureTestPulse, pactl } from '@quell/runtime/testing';
import { tempDir } from '../helpers/pipeline.js';
import { quell } from '../helpers/run.js';

function names(list: string): string[] {
  return list
    .split('\n')
    .map((line) => line.split('\t')[1])
    .filter((name): name is string => Boolean(name));
}

describe('quell virtual-devices against the PulseAudio daemon', () => {
  it('up creates "Quell Input" and "Quell Microphone", a second up is harmless, down removes exactly what up made', { timeout: 60_000 }, async () => {
    await ensureTestPulse();
    // The state file (which modules up loaded) goes to this run's own HOME.
    const env = { HOME: await tempDir('quell-vdev-') };
    const existedBefore = names(await pactl('list', 'short', 'sinks')).includes('quell_input');

    const first = await quell(['virtual-devices', 'up'], { env });
    assert.equal(first.code, 0, first.stderr);
    const sinks = names(await pactl('list', 'short', 'sinks'));
    const sources = names(await pactl('list', 'short', 'sources'));
    assert.ok(sinks.includes('quell_input') && sinks.includes('quell_mic_sink'), sinks.join(', '));
    assert.ok(sources.includes('quell_input.monitor') && sources.includes('quell_microphone'), sources.join(', '));

    const second = await quell(['virtual-devices', 'up'], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /created: nothing/);
    assert.equal(names(await pactl('list', 'short', 'sinks')).filter((n) => n === 'quell_input').length, 1, 'still one quell_input');

    const down = await quell(['virtual-devices', 'down'], { env });
    assert.equal(down.code, 0, down.stderr);
    if (!existedBefore) assert.equal(names(await pactl('list', 'short', 'sinks')).includes('quell_input'), false, 'quell_input removed');
    const again = await quell(['virtual-devices', 'down'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /removed: nothing/);
  });
});
