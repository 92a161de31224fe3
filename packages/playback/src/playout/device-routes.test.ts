import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@quell/runtime';
import { parsePlaybackConfig } from '../config.js';
import { parseRoutes } from './device-routes.js';

describe('parseRoutes (--route)', () => {
  it('STREAM=TARGET entries: the clean microphone to the virtual microphone, clean system audio to the speakers', () => {
    const routes = parseRoutes(parsePlaybackConfig({}, ['--route', '1=pulse:quell_mic_sink,2=device,3=device:USB']).route);
    assert.deepEqual([...routes], [
      [1, { device: 'pulse', pulseDevice: 'quell_mic_sink', label: 'pulse:quell_mic_sink' }],
      [2, { device: undefined, pulseDevice: undefined, label: 'device' }],
      [3, { device: 'USB', pulseDevice: undefined, label: 'device:USB' }],
    ]);
  });

  it('a malformed entry, a stream named twice or an id past u32 is a ConfigError naming the fix', () => {
    for (const [route, message] of [
      ['1:pulse:x', /not STREAM=TARGET/],
      ['1=speakers', /not STREAM=TARGET/],
      ['1=device,1=pulse:x', /names stream 1 twice/],
      ['4294967296=device', /u32/],
    ] as const) {
      assert.throws(() => parsePlaybackConfig({}, ['--route', route]), (err: unknown) => err instanceof ConfigError && message.test(err.message), route);
    }
  });
});
