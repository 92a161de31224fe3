import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readKeyPairFile, type CurveKeyPair } from '@quell/runtime';
import { quell } from './run.js';

export interface KeyFiles {
  /** The key pair file (`--curve-key-file`). */
  key: string;
  /** The public key file (`--curve-server-key`). */
  pub: string;
  pair: CurveKeyPair;
}

/** Makes key pairs with `quell keys` (the real command) and returns their paths and keys. */
export async function makeKeys(dir: string, names: string[]): Promise<Record<string, KeyFiles>> {
  const out: Record<string, KeyFiles> = {};
  for (const name of names) {
    const result = await quell(['keys', '--out', dir, '--name', name]);
    assert.equal(result.code, 0, result.stderr);
    const key = join(dir, `${name}.key`);
    out[name] = { key, pub: join(dir, `${name}.pub`), pair: await readKeyPairFile(key) };
  }
  return out;
}
