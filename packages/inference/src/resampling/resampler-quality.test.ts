import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitSine } from '@quell/runtime/testing';
import { PassthroughProcessor } from '../processors/passthrough-processor.js';
import { runOffline } from '../testing/run-offline.js';
import { PolyphaseResampler, SUPPORTED_RATES_HZ } from './polyphase-resampler.js';
import { ResamplingStream } from './resampling-stream.js';
import { seededNoise } from '../dsp/seeded-noise.js';

function tone(frequencyHz: number, rateHz: number, frames: number, amplitude = 0.5): Float32Array {
  const x = new Float32Array(frames);
  for (let i = 0; i < frames; i++) x[i] = amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz);
  return x;
}

/** Device → 16 kHz → device through the wrapper with a passthrough model. */
function roundTrip(rateHz: number): ResamplingStream {
  return new ResamplingStream(new PassthroughProcessor().createStream(16000, 1), rateHz, 16000);
}

/** The steady-state middle of a signal (skips filter start-up and the flushed tail). */
function middle(x: Float32Array, rateHz: number): Float32Array {
  return x.subarray(Math.round(0.1 * rateHz), x.length - Math.round(0.1 * rateHz));
}

const measured: string[] = [];
process.on('exit', () => console.log(measured.join('\n')));

describe('resampler quality', () => {
  for (const rateHz of [48000, 44100]) {
    it(`a 1 kHz sine round trip ${rateHz} → 16000 → ${rateHz} has THD+N <= -80 dB and the stated latency`, () => {
      const stream = roundTrip(rateHz);
      assert.ok(Number.isInteger(stream.latencyFrames));
      const out = runOffline(stream, tone(1000, rateHz, rateHz), 1, [rateHz / 100]);
      const start = Math.round(0.1 * rateHz);
      const fit = fitSine(middle(out, rateHz), rateHz, 1000, { startIndex: start });
      measured.push(`round trip ${rateHz}: THD+N ${fit.residualDb.toFixed(1)} dB, latency ${stream.latencyFrames} frames`);
      assert.ok(fit.residualDb <= -80, `THD+N ${fit.residualDb.toFixed(1)} dB`);
      // runOffline removed latencyFrames: the phase must be the input's (0) to 1/100 of a frame.
      const phaseErrFrames = (fit.phaseRad * rateHz) / (2 * Math.PI * 1000);
      assert.ok(Math.abs(phaseErrFrames) < 0.01, `latency off by ${phaseErrFrames} frames`);
      assert.ok(Math.abs(fit.amplitude - 0.5) < 0.5 * 0.0116, `gain ${fit.amplitude}`);
    });

    it(`round trip at ${rateHz} is flat within 0.1 dB up to 7 kHz`, () => {
      let worst = 0;
      for (const f of [50, 200, 1000, 2500, 4000, 5500, 6500, 7000]) {
        const out = runOffline(roundTrip(rateHz), tone(f, rateHz, rateHz / 2), 1, [rateHz / 100]);
        const fit = fitSine(middle(out, rateHz), rateHz, f);
        const gainDb = 20 * Math.log10(fit.amplitude / 0.5);
        worst = Math.max(worst, Math.abs(gainDb));
        assert.ok(Math.abs(gainDb) <= 0.1, `${f} Hz: ${gainDb.toFixed(3)} dB`);
      }
      measured.push(`round trip ${rateHz}: passband worst deviation to 7 kHz ${worst.toFixed(4)} dB`);
    });

    it(`downsampling ${rateHz} → 16000 rejects tones above 8 kHz by >= 80 dB`, () => {
      let worst = -Infinity;
      for (const f of [8100, 9000, 12000, 20000]) {
        const down = new PolyphaseResampler(rateHz, 16000);
        const x = tone(f, rateHz, rateHz / 2);
        const y = new Float32Array(down.maxOutputFrames(x.length));
        const n = down.process(x, y);
        const seg = y.subarray(1600, n - 100);
        let energy = 0;
        for (const s of seg) energy += s * s;
        const levelDb = 10 * Math.log10(energy / seg.length / (0.5 * 0.5 * 0.5));
        worst = Math.max(worst, levelDb);
        assert.ok(levelDb <= -80, `${f} Hz leaves ${levelDb.toFixed(1)} dB`);
      }
      measured.push(`down ${rateHz}: worst alias above 8 kHz ${worst.toFixed(1)} dB`);
    });

    it(`upsampling 16000 → ${rateHz} leaves images of a 6 kHz tone <= -80 dB`, () => {
      const up = new PolyphaseResampler(16000, rateHz);
      const x = tone(6000, 16000, 8000);
      const y = new Float32Array(up.maxOutputFrames(x.length));
      const n = up.process(x, y);
      const fit = fitSine(y.subarray(2000, n - 2000), rateHz, 6000, { startIndex: 2000 });
      measured.push(`up 16000 → ${rateHz}: 6 kHz tone THD+N ${fit.residualDb.toFixed(1)} dB`);
      assert.ok(fit.residualDb <= -80, `${fit.residualDb.toFixed(1)} dB`);
    });
  }

  it('process() in 10 ms chunks gives the same output as one call', () => {
    for (const [from, to] of [[48000, 16000], [16000, 48000], [44100, 16000], [16000, 44100]]) {
      const x = tone(997, from, from);
      const whole = new PolyphaseResampler(from, to);
      const a = new Float32Array(whole.maxOutputFrames(x.length));
      const na = whole.process(x, a);
      const chunked = new PolyphaseResampler(from, to);
      const b = new Float32Array(na + 16);
      const tmp = new Float32Array(chunked.maxOutputFrames(from / 100));
      let nb = 0;
      for (let i = 0; i < x.length; i += from / 100) {
        const n = chunked.process(x.subarray(i, i + from / 100), tmp);
        b.set(tmp.subarray(0, n), nb);
        nb += n;
      }
      assert.equal(nb, na);
      assert.deepEqual(b.subarray(0, nb), a.subarray(0, na), `${from} → ${to}`);
    }
  });

  it('every supported rate pair gives a whole-frame latency and the output count the rates imply', () => {
    for (const rateHz of SUPPORTED_RATES_HZ) {
      if (rateHz === 16000) continue;
      const stream = roundTrip(rateHz);
      assert.ok(Number.isInteger(stream.latencyFrames), `${rateHz}: ${stream.latencyFrames}`);
    }
    const down = new PolyphaseResampler(44100, 16000);
    assert.equal(down.outputCountAfter(44100), 16000);
  });

  for (const rateHz of [48000, 44100]) {
    it(`highBand 'model-gain' around a passthrough model gives back the input delayed by latencyFrames at ${rateHz}`, () => {
      const stream = new ResamplingStream(new PassthroughProcessor().createStream(16000, 1), rateHz, 16000, { highBand: 'model-gain' });
      const x = seededNoise(rateHz / 2, 7, 0.5);
      const out = runOffline(stream, x, 1, [rateHz / 100, 37, 1]);
      let maxErr = 0;
      for (let i = 0; i < x.length; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - x[i]));
      assert.ok(maxErr < 1e-5, `max error ${maxErr}`);
    });
  }

  it('constructor throws TypeError for an unsupported rate', () => {
    assert.throws(() => new PolyphaseResampler(12345, 16000), TypeError);
  });
});
