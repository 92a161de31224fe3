import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normAlphaFromTau, parseDfn3Config } from './config.js';
import { Dfn3Dsp } from './dfn3-dsp.js';
import { erbBandWidths } from './erb-bands.js';
import { vorbisWindow } from './vorbis-window.js';
import { seededNoise } from '../../dsp/seeded-noise.js';

const CONFIG_TEXT = `[train]
model = deepfilternet3
[df]
sr = 48000
fft_size = 960
hop_size = 480
nb_erb = 32
nb_df = 96
norm_tau = 1
lsnr_max = 35
lsnr_min = -15
min_nb_erb_freqs = 2
df_order = 5
df_lookahead = 2
[deepfilternet]
conv_lookahead = 2
`;

describe('deepfilternet3 DSP', () => {
  it('parseDfn3Config() reads [df] and [deepfilternet] and derives alpha 0.99 from norm_tau 1', () => {
    const config = parseDfn3Config(CONFIG_TEXT);
    assert.equal(config.fftSize, 960);
    assert.equal(config.hopSize, 480);
    assert.equal(config.nbErb, 32);
    assert.equal(config.nbDf, 96);
    assert.equal(config.dfOrder, 5);
    assert.equal(config.convLookahead, 2);
    assert.equal(config.normAlpha, Math.fround(0.99));
    assert.equal(normAlphaFromTau(48000, 480, 1), Math.fround(0.99));
  });

  it('parseDfn3Config() throws TypeError naming every missing key', () => {
    assert.throws(() => parseDfn3Config('[df]\nsr = 48000\n'), (e: unknown) => e instanceof TypeError && /hop_size/.test(e.message) && /conv_lookahead/.test(e.message));
  });

  it('erbBandWidths() gives libDF bands for 48 kHz, 960, 32 bands, 2 bins minimum', () => {
    const widths = Array.from(erbBandWidths(48000, 960, 32, 2));
    assert.deepEqual(widths, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 5, 5, 7, 7, 8, 10, 12, 13, 15, 18, 20, 24, 28, 31, 37, 42, 50, 56, 67]);
    assert.equal(widths.reduce((a, b) => a + b, 0), 481);
  });

  it('vorbisWindow() is power complementary at 50 % overlap', () => {
    const w = vorbisWindow(960);
    for (let n = 0; n < 480; n++) assert.ok(Math.abs(w[n] ** 2 + w[n + 480] ** 2 - 1) < 1e-6);
  });

  it('Dfn3Dsp with unit gains and a centre-tap deep filter reproduces the input delayed by 1440 frames', () => {
    const dsp = new Dfn3Dsp(parseDfn3Config(CONFIG_TEXT));
    assert.equal(dsp.delayFrames, 1440);
    const gains = new Float32Array(32).fill(1);
    const coefs = new Float32Array(96 * 5 * 2);
    // Tap dfOrder - 1 - dfLookahead = 2 is the target frame itself.
    for (let f = 0; f < 96; f++) coefs[f * 10 + 2 * 2] = 1;
    const input = seededNoise(480 * 12, 3);
    const output = new Float32Array(input.length);
    const featErb = new Float32Array(32);
    const featSpec = new Float32Array(192);
    for (let t = 0; t < 12; t++) {
      dsp.analyse(input.subarray(t * 480, (t + 1) * 480), featErb, featSpec);
      dsp.synthesise(gains, coefs, output.subarray(t * 480, (t + 1) * 480));
    }
    for (let n = 1440; n < input.length; n++) assert.ok(Math.abs(output[n] - input[n - 1440]) < 1e-5, `frame ${n}`);
    for (const v of [...featErb, ...featSpec]) assert.ok(Number.isFinite(v));
  });

  it('Dfn3Dsp deep filter tap dfOrder-1 reads the newest frame (lookahead) and zero gains silence the high bins', () => {
    const dsp = new Dfn3Dsp(parseDfn3Config(CONFIG_TEXT));
    const zeros = new Float32Array(32);
    const coefs = new Float32Array(960);
    // The last tap is dfLookahead = 2 frames after the target, i.e. the frame just analysed.
    for (let f = 0; f < 96; f++) coefs[f * 10 + 2 * 4] = 1;
    // 1 kHz (bin 20, below the 96 deep-filter bins) plus 10 kHz (bin 200, gains only).
    const input = new Float32Array(480 * 12);
    for (let n = 0; n < input.length; n++) input[n] = Math.sin((2 * Math.PI * 1000 * n) / 48000) + Math.sin((2 * Math.PI * 10000 * n) / 48000);
    const output = new Float32Array(input.length);
    const featErb = new Float32Array(32);
    const featSpec = new Float32Array(192);
    for (let t = 0; t < 12; t++) {
      dsp.analyse(input.subarray(t * 480, (t + 1) * 480), featErb, featSpec);
      dsp.synthesise(zeros, coefs, output.subarray(t * 480, (t + 1) * 480));
    }
    // Only the STFT delay remains (480 frames), and only the 1 kHz tone.
    for (let n = 960; n < input.length; n++) {
      const expected = Math.sin((2 * Math.PI * 1000 * (n - 480)) / 48000);
      assert.ok(Math.abs(output[n] - expected) < 1e-4, `frame ${n}: ${output[n]} vs ${expected}`);
    }
  });
});
