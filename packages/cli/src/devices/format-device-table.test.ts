import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDeviceTable } from './format-device-table.js';

describe('formatDeviceTable()', () => {
  it('prints a header and one aligned row per device, marking defaults', () => {
    const table = formatDeviceTable([
      { id: 0, name: 'pulse', hostApi: 'ALSA', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRateHz: 44100, isDefaultInput: false, isDefaultOutput: false },
      { id: 1, name: 'default', hostApi: 'ALSA', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRateHz: 44100, isDefaultInput: true, isDefaultOutput: true },
    ]);
    const lines = table.split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^ID\s+NAME\s+HOST API\s+IN\s+OUT\s+RATE HZ\s+DEFAULT$/);
    assert.match(lines[2], /^1\s+default\s+ALSA\s+32\s+32\s+44100\s+in,out$/);
    assert.equal(lines[1].indexOf('ALSA'), lines[2].indexOf('ALSA'), 'columns line up');
  });

  it('returns a hint when there are no devices', () => {
    assert.match(formatDeviceTable([]), /no audio devices/);
  });
});
