#!/usr/bin/env node
import { createLogger, runStage } from '@quell/runtime';
import { parseInferenceConfig } from './config.js';
import { createInferenceStage } from './stage.js';

await runStage('inference', async () => {
  const config = parseInferenceConfig(process.env, process.argv.slice(2));
  return createInferenceStage(config, createLogger('inference', config.logLevel));
});
