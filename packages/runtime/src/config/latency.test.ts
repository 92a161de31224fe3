import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceBufferFrames, LATENCY_MODES, LATENCY_PRESETS, latencyOption } from './latency.js';
import { parseConfig } from './options.js';

describe('--latency', () => {
  it('each mode sets the device block size, and an explicit frame count wins', () => {
    assert.equal(deviceBufferFrames('balanced', 48_000, 0), 240);
    assert.equal(deviceBufferFrames('safe', 48_000, 0), 480);
    assert.equal(deviceBufferFrames('low', 44_100, 0), 221);
    assert.equal(deviceBufferFrames('safe', 48_000, 128), 128);
  });

  it('modes are ordered: less buffering never comes with a larger target', () => {
    const [low, balanced, safe] = LATENCY_MODES.map((m) => LATENCY_PRESETS[m]);
    for (const [a, b] of [[low, balanced], [balanced, safe]]) {
      assert.ok(a.deviceBufferMs <= b.deviceBufferMs && a.targetMinMs <= b.targetMinMs && a.targetMarginMs <= b.targetMarginMs);
    }
  });

  it('parses as an option with balanced by default and refuses other values naming the choices', () => {
    const table = { latency: latencyOption() };
    assert.equal(parseConfig(table, 'Q', {}, []).latency, 'balanced');
    assert.equal(parseConfig(table, 'Q', { Q_LATENCY: 'low' }, []).latency, 'low');
    assert.throws(() => parseConfig(table, 'Q', {}, ['--latency', 'fast']), /low.*balanced.*safe/);
  });
});
