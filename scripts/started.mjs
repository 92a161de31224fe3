#!/usr/bin/env node
// Printed by `npm start` after pm2 has started the stages: where the audio
// comes from and goes, and where to watch it.
import { resolve } from 'node:path';

const source = process.env.QUELL_CAPTURE_SOURCE ?? 'device';
const sink = process.env.QUELL_PLAYBACK_SINK ?? 'device';
const input =
  source === 'device'
    ? `input device ${process.env.QUELL_CAPTURE_PULSE_SOURCE ?? process.env.QUELL_CAPTURE_DEVICE ?? '(default microphone)'}`
    : source;
const output =
  sink === 'file'
    ? (process.env.QUELL_PLAYBACK_OUTPUT ?? resolve('.quell/output/stream-{stream}.wav')).replace('{stream}', '1')
    : sink === 'device'
      ? `output device ${process.env.PULSE_SINK ?? process.env.QUELL_PLAYBACK_DEVICE ?? '(default output)'}`
      : sink;
console.log(`
Quell is running under pm2 (capture -> inference -> playback).
  audio in:   ${input}   (system audio: QUELL_CAPTURE_PULSE_SOURCE=quell_input.monitor)
  model:      ${process.env.QUELL_INFERENCE_MODEL ?? 'dtln'}
  audio out:  ${output}
  metrics:    http://127.0.0.1:9101/metrics  :9102  :9103      live view: npx quell status
  logs:       npx pm2 logs        status: npx pm2 ls        stop: npm stop
`);
