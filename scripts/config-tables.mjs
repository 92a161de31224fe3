#!/usr/bin/env node
// Prints each stage's configuration table (flags, env, defaults, meaning)
// from the option declarations in its config.ts, for the package READMEs.
import { describeOptions } from '@quell/runtime';
import { CAPTURE_ENV_PREFIX, CAPTURE_OPTIONS } from '@quell/capture';
import { INFERENCE_ENV_PREFIX, INFERENCE_OPTIONS } from '@quell/inference';
import { PLAYBACK_ENV_PREFIX, PLAYBACK_OPTIONS } from '@quell/playback';

const stage = process.argv[2];
const tables = {
  capture: [CAPTURE_OPTIONS, CAPTURE_ENV_PREFIX],
  inference: [INFERENCE_OPTIONS, INFERENCE_ENV_PREFIX],
  playback: [PLAYBACK_OPTIONS, PLAYBACK_ENV_PREFIX],
};
for (const [name, [options, prefix]] of Object.entries(tables)) {
  if (stage && stage !== name) continue;
  console.log(`${stage ? '' : `### ${name}\n\n`}${describeOptions(options, prefix)}\n`);
}
