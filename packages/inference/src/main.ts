#!/usr/bin/env node
import { applyProcessPriority, createLogger, runStage } from '@quell/runtime';
import { parseInferenceConfig } from './config.js';
import { createInferenceStage } from './stage.js';

await runStage('inference', async () => {
  const config = parseInferenceConfig(process.env, process.argv.slice(2));
  const log = createLogger('inference', config.logLevel);
  applyProcessPriority(config.priority, log);
  return createInferenceStage(config, log);
});
