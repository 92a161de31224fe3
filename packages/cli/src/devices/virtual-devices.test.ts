import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureTestPulse, pactl } from '@quell/runtime/testing';
import { QUELL_INPUT_SINK, QUELL_MICROPHONE_SOURCE, QUELL_MIC_SINK, down, up } from './virtual-devices.js';

async function shortNames(kind: 'sinks' | 'sources' | 'modules'): Promise<string> {
  return pactl('list', 'short', kind);
}

describe('virtual devices against the test PulseAudio daemon', () => {
  let configDir = '';
  before(async () => {
    await ensureTestPulse();
    configDir = await mkdtemp(join(tmpdir(), 'quell-virtual-devices-'));
    await down({ configDir }); // nothing recorded yet: a no-op
  });
  after(async () => {
    await down({ configDir });
    await rm(configDir, { recursive: true, force: true });
  });

  it('up() creates "Quell Input" and "Quell Microphone", a second up() changes nothing, down() removes them', async () => {
    const first = await up({ configDir });
    assert.deepEqual(first.created, [QUELL_INPUT_SINK, QUELL_MIC_SINK, QUELL_MICROPHONE_SOURCE]);
    const sinks = await shortNames('sinks');
    const sources = await shortNames('sources');
    assert.match(sinks, new RegExp(`\\t${QUELL_INPUT_SINK}\\t`));
    assert.match(sinks, new RegExp(`\\t${QUELL_MIC_SINK}\\t`));
    assert.match(sources, new RegExp(`\\t${QUELL_MICROPHONE_SOURCE}\\t`));
    assert.match(sources, new RegExp(`\\t${QUELL_INPUT_SINK}\\.monitor\\t`));
    assert.match(await pactl('list', 'sources'), /Description: Quell Microphone\n/);
    assert.match(await pactl('list', 'sinks'), /Description: Quell Input\n/);
    assert.doesNotMatch(await shortNames('modules'), /module-loopback/, 'never a loopback to the speakers');

    const modulesBefore = await shortNames('modules');
    const second = await up({ configDir });
    assert.deepEqual(second.created, []);
    assert.deepEqual(second.existing, [QUELL_INPUT_SINK, QUELL_MIC_SINK, QUELL_MICROPHONE_SOURCE]);
    assert.equal(await shortNames('modules'), modulesBefore);
    const state = JSON.parse(await readFile(join(configDir, 'virtual-devices.json'), 'utf8')) as { modules: unknown[] };
    assert.equal(state.modules.length, 3);

    const removed = await down({ configDir });
    assert.deepEqual(removed, [QUELL_MICROPHONE_SOURCE, QUELL_MIC_SINK, QUELL_INPUT_SINK]);
    assert.doesNotMatch(await shortNames('sinks'), /quell_input|quell_mic_sink/);
    assert.doesNotMatch(await shortNames('sources'), /quell_microphone|quell_input/);
    assert.match(await shortNames('sinks'), /quell_test_out/, 'down() leaves devices it did not make');
  });

  it('down() leaves a device that existed before up() alone', async () => {
    const id = (await pactl('load-module', 'module-null-sink', `sink_name=${QUELL_INPUT_SINK}`)).trim();
    try {
      const result = await up({ configDir });
      assert.deepEqual(result.existing, [QUELL_INPUT_SINK]);
      await down({ configDir });
      assert.match(await shortNames('sinks'), new RegExp(`\\t${QUELL_INPUT_SINK}\\t`));
      assert.doesNotMatch(await shortNames('sources'), /quell_microphone/);
    } finally {
      await pactl('unload-module', id);
    }
  });
});
