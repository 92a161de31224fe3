import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readWav } from '@quell/runtime';
import { resolveTestAudio } from '../testing/test-audio.js';
import { mixAtSnr } from '../testing/mix-at-snr.js';
import { siSdrDb } from '../testing/si-sdr.js';
import { PolyphaseResampler } from '../resampling/polyphase-resampler.js';
import type { Processor } from './processor.js';
import { createProcessor } from './processor-registry.js';
import { runOffline } from '../testing/run-offline.js';
import { prepareTestModels } from '../testing/test-models.js';

/** Offline 48 kHz → `rateHz` (same delay for every signal, so clean and noisy stay aligned). */
function resampleFrom48k(x: Float32Array, rateHz: number): Float32Array {
  if (rateHz === 48000) return x;
  const r = new PolyphaseResampler(48000, rateHz);
  const y = new Float32Array(r.maxOutputFrames(x.length));
  return y.subarray(0, r.process(x, y));
}

const MIN_GAIN_DB: Record<string, number> = { dtln: 2.95, gtcrn: 1.95 };
const measured: string[] = [];
process.on('exit', () => console.log(measured.join('\n')));

describe('enhancement quality (SI-SDR at device rate)', () => {
  const processors: Record<string, Processor> = {};
  let clean48k: Float32Array;
  let noisy48k: Float32Array;
  let noise48k: Float32Array;

  before(async () => {
    const modelDir = await prepareTestModels(['dtln', 'gtcrn']);
    for (const name of ['dtln', 'gtcrn']) processors[name] = await createProcessor(name, { modelDir });
    clean48k = (await readWav(await resolveTestAudio('speech_clean_48k.wav'))).samples;
    noisy48k = (await readWav(await resolveTestAudio('speech_noisy_snr0_48k.wav'))).samples;
    noise48k = (await readWav(await resolveTestAudio('noise_573577_48k.wav'))).samples;
  });
  after(async () => {
    for (const p of Object.values(processors)) await p.close();
  });

  for (const name of ['dtln', 'gtcrn']) {
    for (const rateHz of [48000, 44100]) {
      it(`${name} at ${rateHz} Hz improves SI-SDR of speech_noisy_snr0 by >= ${MIN_GAIN_DB[name]} dB`, () => {
        const clean = resampleFrom48k(clean48k, rateHz);
        const noisy = resampleFrom48k(noisy48k, rateHz);
        const enhanced = runOffline(processors[name].createStream(rateHz, 1), noisy, 1, [rateHz / 100]);
        const before = siSdrDb(noisy, clean);
        const gain = siSdrDb(enhanced, clean) - before;
        measured.push(`${name} ${rateHz}: SI-SDR ${before.toFixed(2)} → ${(before + gain).toFixed(2)} dB (+${gain.toFixed(2)})`);
        assert.ok(gain >= MIN_GAIN_DB[name], `improvement ${gain.toFixed(2)} dB`);
      });
    }
  }

  for (const snrDb of [0, -5]) {
    it(`dtln and gtcrn at 48 kHz improve speech + noise_573577 at ${snrDb} dB SNR`, () => {
      const noisy = mixAtSnr(clean48k, noise48k, snrDb);
      const before = siSdrDb(noisy, clean48k);
      for (const name of ['dtln', 'gtcrn']) {
        const enhanced = runOffline(processors[name].createStream(48000, 1), noisy, 1, [480]);
        const after = siSdrDb(enhanced, clean48k);
        measured.push(`${name} 48000 noise_573577 @ ${snrDb} dB: SI-SDR ${before.toFixed(2)} → ${after.toFixed(2)} dB (+${(after - before).toFixed(2)})`);
        assert.ok(after > before, `${name}: ${before.toFixed(2)} → ${after.toFixed(2)}`);
      }
    });
  }
});
