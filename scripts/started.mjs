#!/usr/bin/env node
// Printed by `npm start` after pm2 has started the stages: where the audio
// goes and where to watch it.
import { resolve } from 'node:path';

const output = process.env.QUELL_PLAYBACK_OUTPUT ?? resolve('.quell/output/stream-{stream}.wav');
console.log(`
Quell is running under pm2 (capture -> inference -> playback).
  audio in:   ${process.env.QUELL_CAPTURE_SOURCE ?? 'device'} (default microphone; QUELL_CAPTURE_DEVICE selects another, e.g. quell_input.monitor)
  model:      ${process.env.QUELL_INFERENCE_MODEL ?? 'dtln'}
  audio out:  ${output.replace('{stream}', '1')}   (sink: ${process.env.QUELL_PLAYBACK_SINK ?? 'device'}; the file is written only with QUELL_PLAYBACK_SINK=file)
  metrics:    http://127.0.0.1:9101/metrics  :9102  :9103
  logs:       npx pm2 logs        status: npx pm2 ls        stop: npm stop
`);
