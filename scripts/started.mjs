#!/usr/bin/env node
// Printed by `npm start` after pm2 has started the stages: where the audio
// comes from and goes, and where to watch it.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { scrapeMetrics, sumSamples } from '@quell/runtime';

// What pm2 gave each stage: the shell's environment under ecosystem.config.js's (which reads the shell's first).
const { apps } = createRequire(import.meta.url)('../ecosystem.config.js');
const env = { ...process.env, ...Object.assign({}, ...apps.map((app) => app.env)) };
// Capture's --source entries (several: each its own stream) and playback's --route entries (stream=device).
const sources = (env.QUELL_CAPTURE_SOURCE ?? 'device').split(',').map((s) => s.trim());
const routes = (env.QUELL_PLAYBACK_ROUTE ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const isDevice = (entry) => entry === 'device' || entry.startsWith('device:') || entry.startsWith('pulse:');
const sink = env.QUELL_PLAYBACK_SINK ?? 'device';
const capturePort = env.QUELL_CAPTURE_METRICS_PORT ?? '9101';
const playbackPort = env.QUELL_PLAYBACK_METRICS_PORT ?? '9103';

/**
 * Whether a stage's devices opened, from its /metrics: 'open' (all of them), 'partial' (some), 'none' (it failed
 * to open any, and keeps retrying), or 'unknown' (the stage did not answer in time). Waits up to 8 s for a verdict.
 */
async function deviceState(stage, port) {
  for (let i = 0; i < 40; i++) {
    try {
      const samples = await scrapeMetrics(`http://127.0.0.1:${port}/metrics`, 500);
      const open = sumSamples(samples, `quell_${stage}_device_open`);
      const wanted = sumSamples(samples, `quell_${stage}_devices_wanted`) || 1;
      if (open >= wanted) return 'open';
      if (sumSamples(samples, `quell_${stage}_device_errors_total`) > 0) return open > 0 ? 'partial' : 'none';
    } catch {
      // Not up yet.
    }
    await sleep(200);
  }
  return 'unknown';
}

const [inState, outState] = await Promise.all([
  sources.some(isDevice) ? deviceState('capture', capturePort) : 'n/a',
  sink === 'device' ? deviceState('playback', playbackPort) : 'n/a',
]);
const NONE_IN = "NONE OPEN: no input device could be opened (see 'npx quell devices'; set QUELL_CAPTURE_DEVICE, or QUELL_CAPTURE_SOURCE=synth to try Quell without one)";
const NONE_OUT = "NONE OPEN: no output device could be opened (see 'npx quell devices'; set QUELL_PLAYBACK_DEVICE, or QUELL_PLAYBACK_SINK=file)";
const PARTIAL = ' (NOT ALL OPEN: npx quell status says which; npx pm2 logs says why)';
const LATE = (stage) => ` (${stage} has not reported yet: npx quell status)`;
/** What one --source entry records, in words. */
const describeSource = (entry) =>
  entry === 'device'
    ? `input device ${env.QUELL_CAPTURE_PULSE_SOURCE ?? env.QUELL_CAPTURE_DEVICE ?? '(default microphone)'}`
    : entry.startsWith('pulse:')
      ? `PulseAudio source ${entry.slice('pulse:'.length)}`
      : entry.startsWith('device:')
        ? `input device ${entry.slice('device:'.length)}`
        : entry;
const streams = sources.map((entry, i) => `stream ${i + 1}: ${describeSource(entry)}`).join(', ');
const input = inState === 'none' ? NONE_IN : `${sources.length > 1 ? streams : describeSource(sources[0])}${inState === 'partial' ? PARTIAL : inState === 'unknown' ? LATE('capture') : ''}`;
const defaultOutput = `output device ${env.PULSE_SINK ?? env.QUELL_PLAYBACK_DEVICE ?? '(default output)'}`;
const routed = routes.map((r) => r.replace(/^(\d+)=(.*)$/, 'stream $1 -> $2').replace('-> device', `-> ${defaultOutput}`)).join(', ');
const output =
  sink === 'file'
    ? (env.QUELL_PLAYBACK_OUTPUT ?? resolve('.quell/output/stream-{stream}.wav')).replace('{stream}', '1')
    : sink === 'device'
      ? outState === 'none'
        ? NONE_OUT
        : `${routed ? `${routed}, other streams -> ${defaultOutput}` : defaultOutput}${outState === 'partial' ? PARTIAL : outState === 'unknown' ? LATE('playback') : ''}`
      : sink;
console.log(`
Quell is running under pm2 (capture -> inference -> playback).
  audio in:   ${input}   (microphone and system audio at once: QUELL_BOTH_WAYS=1 npm start)
  model:      ${env.QUELL_INFERENCE_MODEL ?? 'dtln'}
  audio out:  ${output}
  metrics:    http://127.0.0.1:9101/metrics  :9102  :9103      live view: npx quell status
  logs:       npx pm2 logs        status: npx pm2 ls        stop: npm stop
`);
