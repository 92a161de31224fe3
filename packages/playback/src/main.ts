#!/usr/bin/env node
import { applyProcessPriority, createLogger, runStage } from '@quell/runtime';
import { parsePlaybackConfig } from './config.js';
import { createPlaybackStage } from './stage.js';

await runStage('playback', async () => {
  const config = parsePlaybackConfig(process.env, process.argv.slice(2));
  const log = createLogger('playback', config.logLevel);
  applyProcessPriority(config.priority, log);
  return createPlaybackStage(config, log);
});
