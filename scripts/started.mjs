#!/usr/bin/env node
// Printed by `npm start` after pm2 has started the stages: where the audio
// comes from and goes, and where to watch it.
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { scrapeMetrics, sumSamples } from '@quell/runtime';

const source = process.env.QUELL_CAPTURE_SOURCE ?? 'device';
const sink = process.env.QUELL_PLAYBACK_SINK ?? 'device';
const capturePort = process.env.QUELL_CAPTURE_METRICS_PORT ?? '9101';
const playbackPort = process.env.QUELL_PLAYBACK_METRICS_PORT ?? '9103';

/**
 * Whether a stage's device opened, from its /metrics: 'open', 'none' (it failed to open, and keeps retrying), or
 * 'unknown' (the stage did not answer in time). Waits up to 8 s for a verdict.
 */
async function deviceState(stage, port) {
  for (let i = 0; i < 40; i++) {
    try {
      const samples = await scrapeMetrics(`http://127.0.0.1:${port}/metrics`, 500);
      if (sumSamples(samples, `quell_${stage}_device_open`) === 1) return 'open';
      if (sumSamples(samples, `quell_${stage}_device_errors_total`) > 0) return 'none';
    } catch {
      // Not up yet.
    }
    await sleep(200);
  }
  return 'unknown';
}

const [inState, outState] = await Promise.all([
  source === 'device' ? deviceState('capture', capturePort) : 'n/a',
  sink === 'device' ? deviceState('playback', playbackPort) : 'n/a',
]);
const NONE_IN = "NONE OPEN: no input device could be opened (see 'npx quell devices'; set QUELL_CAPTURE_DEVICE, or QUELL_CAPTURE_SOURCE=synth to try Quell without one)";
const NONE_OUT = "NONE OPEN: no output device could be opened (see 'npx quell devices'; set QUELL_PLAYBACK_DEVICE, or QUELL_PLAYBACK_SINK=file)";
const input =
  source === 'device'
    ? inState === 'none'
      ? NONE_IN
      : `input device ${process.env.QUELL_CAPTURE_PULSE_SOURCE ?? process.env.QUELL_CAPTURE_DEVICE ?? '(default microphone)'}${inState === 'unknown' ? ' (capture has not reported yet: npx quell status)' : ''}`
    : source;
const output =
  sink === 'file'
    ? (process.env.QUELL_PLAYBACK_OUTPUT ?? resolve('.quell/output/stream-{stream}.wav')).replace('{stream}', '1')
    : sink === 'device'
      ? outState === 'none'
        ? NONE_OUT
        : `output device ${process.env.PULSE_SINK ?? process.env.QUELL_PLAYBACK_DEVICE ?? '(default output)'}${outState === 'unknown' ? ' (playback has not reported yet: npx quell status)' : ''}`
      : sink;
console.log(`
Quell is running under pm2 (capture -> inference -> playback).
  audio in:   ${input}   (system audio: QUELL_CAPTURE_PULSE_SOURCE=quell_input.monitor)
  model:      ${process.env.QUELL_INFERENCE_MODEL ?? 'dtln'}
  audio out:  ${output}
  metrics:    http://127.0.0.1:9101/metrics  :9102  :9103      live view: npx quell status
  logs:       npx pm2 logs        status: npx pm2 ls        stop: npm stop
`);
