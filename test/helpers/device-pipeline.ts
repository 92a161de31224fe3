import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { sumSamples } from '@quell/runtime';
import { nccAt } from '@quell/runtime/testing';
import type { RunningPipeline } from './pipeline.js';

// Waits and measures shared by the tests that run the stages on real (PulseAudio or PipeWire) devices.

/**
 * NCC after aligning each 250 ms segment on its own (within ±5 ms of the whole-signal lag): drift correction
 * time-stretches by up to a few hundred ppm, which shifts a 2 s signal by a fraction of a millisecond along its
 * length and would blur one global alignment although every part of the signal is intact.
 * @returns the lowest segment NCC
 */
export function segmentNcc(reference: Float32Array, recorded: Float32Array, lagFrames: number, rateHz: number): number {
  const segment = rateHz / 4;
  const searchFrames = rateHz / 200;
  let worst = 1;
  for (let start = 0; start + segment <= reference.length; start += segment) {
    const part = reference.subarray(start, start + segment);
    let best = -1;
    for (let lag = lagFrames - searchFrames; lag <= lagFrames + searchFrames; lag++) best = Math.max(best, nccAt(part, recorded, lag + start));
    worst = Math.min(worst, best);
  }
  return worst;
}

/** Waits until the drift corrector holds its level at target with a ratio near 1 (or 30 s pass). */
export async function waitForSettled(p: RunningPipeline): Promise<void> {
  let calm = 0;
  for (let i = 0; i < 150 && calm < 10; i++) {
    await sleep(200);
    const pb = await p.scrape('playback');
    const errorS = sumSamples(pb, 'quell_playback_device_buffer_level_seconds') - sumSamples(pb, 'quell_playback_device_buffer_target_seconds');
    calm = Math.abs(errorS) < 0.002 && Math.abs(sumSamples(pb, 'quell_playback_drift_trim_ppm')) < 30 ? calm + 1 : 0;
  }
}

/** Waits until playback has received 20 chunks; fails the test after 10 s. */
export async function waitForPlayback(p: RunningPipeline): Promise<void> {
  // An idle PulseAudio null sink renders up to 2 s ahead, so capture's first frames may take that long.
  for (let i = 0; i < 100; i++) {
    if (sumSamples(await p.scrape('playback'), 'quell_playback_chunks_received_total') > 20) return;
    await sleep(100);
  }
  assert.fail('no audio reached playback within 10 s');
}
