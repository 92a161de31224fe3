#!/usr/bin/env node
import { createLogger, runStage } from '@quell/runtime';
import { parsePlaybackConfig } from './config.js';
import { createPlaybackStage } from './stage.js';

await runStage('playback', async () => {
  const config = parsePlaybackConfig(process.env, process.argv.slice(2));
  return createPlaybackStage(config, createLogger('playback', config.logLevel));
});
