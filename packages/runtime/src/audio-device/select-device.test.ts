import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import type { AudioDeviceInfo } from './audio-device-info.js';
import { DeviceSelectionError } from './errors.js';
import { listDevices } from './list-devices.js';
import { pickDevice, selectDevice } from './select-device.js';
import { ensureTestPulse } from '../testing/pulse-env.js';

function device(id: number, name: string, inputs: number, outputs: number, defaults: { in?: boolean; out?: boolean } = {}): AudioDeviceInfo {
  return {
    id, name, hostApi: 'ALSA', maxInputChannels: inputs, maxOutputChannels: outputs, defaultSampleRateHz: 48000,
    isDefaultInput: defaults.in ?? false, isDefaultOutput: defaults.out ?? false,
  };
}

const FAKE = [
  device(0, 'pulse', 32, 32),
  device(1, 'default', 32, 32, { in: true, out: true }),
  device(2, 'sysdefault', 2, 2),
  device(3, 'CABLE Output (VB-Audio Virtual Cable)', 2, 0),
  device(4, 'CABLE Input (VB-Audio Virtual Cable)', 0, 2),
];

describe('pickDevice()', () => {
  it('returns the device with that id for a number or a string of digits', () => {
    assert.equal(pickDevice(3, 'input', FAKE).id, 3);
    assert.equal(pickDevice('4', 'output', FAKE).id, 4);
  });

  it('returns the default of the direction for undefined or an empty spec', () => {
    assert.equal(pickDevice(undefined, 'input', FAKE).id, 1);
    assert.equal(pickDevice('', 'output', FAKE).id, 1);
  });

  it('matches a case-insensitive substring, and an exact name wins over substrings', () => {
    assert.equal(pickDevice('cable output', 'input', FAKE).id, 3);
    assert.equal(pickDevice('CABLE', 'output', FAKE).id, 4, 'only the output-capable cable is a candidate');
    assert.equal(pickDevice('DEFAULT', 'input', FAKE).id, 1, "exact 'default' beats 'sysdefault'");
  });

  it('throws ERR_AUDIO_DEVICE_AMBIGUOUS listing only the matches', () => {
    assert.throws(() => pickDevice('defa', 'input', FAKE), (err: unknown) => {
      assert.ok(err instanceof DeviceSelectionError);
      assert.equal(err.code, 'ERR_AUDIO_DEVICE_AMBIGUOUS');
      assert.deepEqual(err.candidates.map((d) => d.id), [1, 2]);
      assert.match(err.message, /1: default, 2: sysdefault/);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
  });

  it('throws ERR_AUDIO_DEVICE_NOT_FOUND listing the devices usable in that direction', () => {
    assert.throws(() => pickDevice('blackhole', 'output', FAKE), (err: unknown) => {
      assert.ok(err instanceof DeviceSelectionError);
      assert.equal(err.code, 'ERR_AUDIO_DEVICE_NOT_FOUND');
      assert.deepEqual(err.candidates.map((d) => d.id), [0, 1, 2, 4]);
      return true;
    });
    assert.throws(() => pickDevice(4, 'input', FAKE), { code: 'ERR_AUDIO_DEVICE_NOT_FOUND' });
  });
});

describe('listDevices() against the test PulseAudio daemon', () => {
  before(async () => {
    await ensureTestPulse();
  });

  it('finds the ALSA pulse and default devices, with a default input and output', async () => {
    const devices = await listDevices();
    const pulse = devices.find((d) => d.name === 'pulse');
    const dflt = devices.find((d) => d.name === 'default');
    assert.ok(pulse, `no 'pulse' device in ${devices.map((d) => d.name).join(', ')}`);
    assert.ok(dflt, "no 'default' device");
    assert.ok(pulse.maxInputChannels >= 2 && pulse.maxOutputChannels >= 2);
    assert.equal(pulse.hostApi, 'ALSA');
    assert.ok(devices.some((d) => d.isDefaultInput));
    assert.ok(devices.some((d) => d.isDefaultOutput));
  });

  it("selectDevice('PULSE', 'input') finds it and a missing name rejects with the candidates", async () => {
    assert.equal((await selectDevice('PULSE', 'input')).name, 'pulse');
    await assert.rejects(selectDevice('no-such-device', 'output'), (err: unknown) => {
      assert.ok(err instanceof DeviceSelectionError);
      assert.equal(err.code, 'ERR_AUDIO_DEVICE_NOT_FOUND');
      assert.ok(err.candidates.some((d) => d.name === 'pulse'));
      return true;
    });
  });
});
