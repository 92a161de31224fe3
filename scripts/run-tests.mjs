#!/usr/bin/env node
// Runs every compiled test (unit tests beside the code, integration tests
// under test/) with node's built-in runner, one file at a time: integration
// tests start real processes and the machine has two cores.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filter = process.argv[2];
const roots = [...readdirSync('packages').map((p) => join('packages', p, 'dist')), join('test', 'dist')];
const files = roots.flatMap((r) => findTests(r)).filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
