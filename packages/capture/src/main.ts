#!/usr/bin/env node
import { applyProcessPriority, createLogger, runStage } from '@quell/runtime';
import { parseCaptureConfig } from './config.js';
import { createCaptureStage } from './stage.js';

await runStage('capture', async () => {
  const config = parseCaptureConfig(process.env, process.argv.slice(2));
  // libpulse (inside PortAudio's ALSA 'pulse' device) reads the source to record from its environment.
  if (config.pulseSource) process.env.PULSE_SOURCE = config.pulseSource;
  const log = createLogger('capture', config.logLevel);
  applyProcessPriority(config.priority, log);
  return createCaptureStage(config, log);
});
