import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@quell/runtime';
import { parseCaptureConfig } from '../config.js';
import { captureInputs } from './capture-inputs.js';

const inputsOf = (...argv: string[]) => captureInputs(parseCaptureConfig({}, argv));

describe('captureInputs (--source)', () => {
  it('one entry per stream, ids consecutive from --stream-id: the microphone and system audio at once', () => {
    const inputs = inputsOf('--source', 'device,pulse:quell_input.monitor', '--stream-id', '7');
    assert.deepEqual(inputs, [
      { kind: 'device', target: { device: undefined, pulseDevice: undefined, label: 'device' }, firstStreamId: 7 },
      { kind: 'device', target: { device: 'pulse', pulseDevice: 'quell_input.monitor', label: 'pulse:quell_input.monitor' }, firstStreamId: 8 },
    ]);
  });

  it('`file` takes every --files (one after another, an id each); file:PATH, device:NAME and synth take one id each', () => {
    const inputs = inputsOf('--source', 'file,synth,file:c.wav,device:USB Mic', '--files', 'a.wav,b.wav');
    assert.deepEqual(
      inputs.map((i) => [i.kind, i.firstStreamId]),
      [['files', 1], ['synth', 3], ['files', 4], ['device', 5]],
    );
    assert.deepEqual(inputs[0].kind === 'files' && inputs[0].paths, ['a.wav', 'b.wav']);
    assert.deepEqual(inputs[3].kind === 'device' && inputs[3].target.device, 'USB Mic');
  });

  it('plain `device` keeps --device and --pulse-source; ids wrap at 2^32', () => {
    const [input] = inputsOf('--source', 'device', '--pulse-source', 'quell_input.monitor');
    assert.deepEqual(input.kind === 'device' && input.target, { device: 'pulse', pulseDevice: 'quell_input.monitor', label: 'device' });
    const wrapped = inputsOf('--source', 'synth,synth', '--stream-id', String(0xffff_ffff));
    assert.deepEqual(wrapped.map((i) => i.firstStreamId), [0xffff_ffff, 0]);
  });

  it('an unknown entry or an empty list is a ConfigError naming the forms', () => {
    assert.throws(() => inputsOf('--source', 'device,mic'), (err: unknown) => err instanceof ConfigError && /'mic' is not one of synth, file, file:PATH, device, device:NAME or pulse:SOURCE/.test(err.message));
    assert.throws(() => inputsOf('--source', ''), (err: unknown) => err instanceof ConfigError && /--source is empty/.test(err.message));
  });
});
