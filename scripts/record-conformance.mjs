#!/usr/bin/env node
// Writes the recorded conformance suites (conformance/*.json) from packages/cli/src/conformance/record-suites.ts.
// Run after `npm run build` whenever the suites change; a test fails while the committed files differ.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFORMANCE_DIR, recordSuites } from '@quell/cli';

for (const [file, suite] of Object.entries(recordSuites())) {
  await writeFile(join(CONFORMANCE_DIR, file), `${JSON.stringify(suite, null, 2)}\n`);
  console.log(join(CONFORMANCE_DIR, file));
}
