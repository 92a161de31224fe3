import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { QuellError } from '@quell/runtime';
import type { FrameReceiverSuite, ScriptSuite } from './suite-types.js';

/** The repository's conformance/ folder (the recorded suites). */
export const CONFORMANCE_DIR = fileURLToPath(new URL('../../../../conformance/', import.meta.url));

export const SUITE_NAMES = ['frame-receiver', 'node', 'capture-control'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

/** Reads `<dir>/<name>.json`; a QuellError naming the file when it is missing or not that suite. */
export async function loadSuite(name: SuiteName, dir = CONFORMANCE_DIR): Promise<FrameReceiverSuite | ScriptSuite> {
  const path = join(dir, `${name}.json`);
  let suite: { suite?: unknown };
  try {
    suite = JSON.parse(await readFile(path, 'utf8')) as { suite?: unknown };
  } catch (err) {
    throw new QuellError('ERR_CONFORMANCE_SUITE', `cannot read the conformance suite '${path}' (${(err as Error).message}): pass --suite-dir`);
  }
  if (suite.suite !== name) throw new QuellError('ERR_CONFORMANCE_SUITE', `'${path}' is not the ${name} suite`);
  return suite as FrameReceiverSuite | ScriptSuite;
}
