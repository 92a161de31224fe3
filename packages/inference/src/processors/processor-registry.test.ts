import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@quell/runtime';
import { parseInferenceConfig } from '../config.js';
import { ModelError } from '../models/model-errors.js';
import { createProcessor, PROCESSOR_NAMES } from './processor-registry.js';

describe('processor registry', () => {
  it('createProcessor() rejects an unknown name with ModelError MODEL_UNKNOWN listing the known names', async () => {
    await assert.rejects(createProcessor('nope', { modelDir: '/nonexistent' }), (err: unknown) => {
      assert.ok(err instanceof ModelError);
      assert.equal(err.code, 'MODEL_UNKNOWN');
      for (const name of PROCESSOR_NAMES) assert.ok(err.message.includes(name));
      return true;
    });
  });

  it('passthrough copies input with latency 0 at any rate and channel count', async () => {
    const p = await createProcessor('passthrough', { modelDir: '/nonexistent' });
    const s = p.createStream(44100, 2);
    assert.equal(s.latencyFrames, 0);
    const input = Float32Array.from([0.1, -0.2, 0.3, -0.4]);
    const out = new Float32Array(4);
    s.process(input, out);
    assert.deepEqual(out, input);
    assert.throws(() => p.createStream(44100, 9), TypeError);
    await p.close();
    await p.close();
  });

  it('gain multiplies by options.gain, default 0.5', async () => {
    const half = await createProcessor('gain', { modelDir: '/nonexistent' });
    const twice = await createProcessor('gain', { modelDir: '/nonexistent', gain: 2 });
    const input = Float32Array.from([0.5, -0.25, 0]);
    const out = new Float32Array(3);
    half.createStream(48000, 1).process(input, out);
    assert.deepEqual(out, Float32Array.from([0.25, -0.125, 0]));
    twice.createStream(48000, 1).process(input, out);
    assert.deepEqual(out, Float32Array.from([1, -0.5, 0]));
    assert.equal(half.createStream(48000, 1).latencyFrames, 0);
  });
});

describe('--model is checked with the rest of the config', () => {
  it('an unknown name, or one of Object.prototype\'s, is a ConfigError listing the models, before any model code loads', () => {
    for (const name of ['nope', 'constructor', '__proto__', 'toString']) {
      assert.throws(() => parseInferenceConfig({}, ['--model', name]), (err: unknown) => err instanceof ConfigError && err.message.includes(`unknown model '${name}': choose one of passthrough, gain, dtln, gtcrn, deepfilternet3`), name);
    }
    assert.equal(parseInferenceConfig({}, ['--model', 'gtcrn']).model, 'gtcrn');
  });
});
