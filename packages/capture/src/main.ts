#!/usr/bin/env node
import { createLogger, runStage } from '@quell/runtime';
import { parseCaptureConfig } from './config.js';
import { createCaptureStage } from './stage.js';

await runStage('capture', async () => {
  const config = parseCaptureConfig(process.env, process.argv.slice(2));
  // libpulse (inside PortAudio's ALSA 'pulse' device) reads the source to record from its environment.
  if (config.pulseSource) process.env.PULSE_SOURCE = config.pulseSource;
  return createCaptureStage(config, createLogger('capture', config.logLevel));
});
