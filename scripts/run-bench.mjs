#!/usr/bin/env node
// Runs each benchmark scenario (bench/dist/scenarios/*.bench.js) in a fresh
// process, one after the other. `npm run bench -- transport` runs one.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join('bench', 'dist', 'scenarios');
const filter = process.argv[2];
const scenarios = readdirSync(dir).filter((f) => f.endsWith('.bench.js') && (!filter || f.includes(filter))).sort();
let failed = 0;
for (const file of scenarios) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, [join(dir, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
