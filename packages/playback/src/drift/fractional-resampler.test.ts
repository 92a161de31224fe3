import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FractionalResampler } from './fractional-resampler.js';
import { fitSine } from '@quell/runtime/testing';

function sine(frames: number, channels: number, hz: number, rateHz: number): Float32Array {
  const out = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) for (let ch = 0; ch < channels; ch++) out[i * channels + ch] = 0.5 * Math.sin((2 * Math.PI * hz * i) / rateHz + ch);
  return out;
}

describe('FractionalResampler', () => {
  it('read() at ratio 1 returns the input delayed by latencyFrames - 1 (after priming)', () => {
    const r = new FractionalResampler(1, { capacityFrames: 4096 });
    r.writeSilence(r.latencyFrames - 1);
    const input = sine(1000, 1, 1000, 48_000);
    r.write(input);
    const out = new Float32Array(1000);
    const got = r.read(out, 1000);
    assert.ok(got > 900);
    let worst = 0;
    for (let i = 100; i < got; i++) worst = Math.max(worst, Math.abs(out[i] - input[i]));
    assert.ok(worst < 1e-3, `worst error ${worst}`);
  });

  it('read() output does not depend on how input and output are cut into blocks', () => {
    const input = sine(9600, 2, 440, 48_000);
    const run = (inBlock: number, outBlock: number): Float32Array => {
      const r = new FractionalResampler(2, { capacityFrames: 2048 });
      r.ratio = 1.0007;
      const out = new Float32Array(9000 * 2);
      const tmp = new Float32Array(outBlock * 2);
      let written = 0;
      for (let at = 0; at < 9600; at += inBlock) {
        r.write(input.subarray(at * 2, Math.min(9600, at + inBlock) * 2));
        for (;;) {
          const n = r.read(tmp, Math.min(outBlock, 9000 - written));
          out.set(tmp.subarray(0, n * 2), written * 2);
          written += n;
          if (n === 0 || written === 9000) break;
        }
      }
      return out;
    };
    assert.deepEqual(run(480, 480), run(128, 37));
  });

  it('read() at a ratio off by 500 ppm keeps a sine clean (THD+N below -70 dB) in both channels', () => {
    const r = new FractionalResampler(2, { capacityFrames: 60_000 });
    r.ratio = 1 - 500e-6;
    r.write(sine(48_000, 2, 3000, 48_000));
    const out = new Float32Array(40_000 * 2);
    assert.equal(r.read(out, 40_000), 40_000);
    for (let ch = 0; ch < 2; ch++) {
      const mono = new Float32Array(8192);
      for (let i = 0; i < mono.length; i++) mono[i] = out[(1000 + i) * 2 + ch];
      const thd = fitSine(mono, 48_000, 3000 / (1 - 500e-6), { refineFrequency: true }).residualDb;
      assert.ok(thd < -70, `channel ${ch}: THD+N ${thd} dB`);
    }
  });

  it('write() refuses input that does not fit and leaves the buffer as it was', () => {
    const r = new FractionalResampler(1, { capacityFrames: 100 });
    assert.equal(r.write(new Float32Array(80)), true);
    assert.equal(r.write(new Float32Array(30)), false);
    assert.equal(r.bufferedFrames, 80);
  });

  it('constructor throws TypeError for a capacity smaller than the filter', () => {
    assert.throws(() => new FractionalResampler(1, { capacityFrames: 10 }), TypeError);
  });
});
