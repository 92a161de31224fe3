import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../config/options.js';
import { createCurveKeyPair, formatKeyPairFile } from './curve-keys.js';
import { loadLocalKeyPair } from './local-keys.js';

describe('loadLocalKeyPair', () => {
  it('makes the key on first use: folder 0700, file 0600, the same pair on every later read', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'quell-keys-')), 'nested', 'quell');
    const first = await loadLocalKeyPair(dir);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'local.key'))).mode & 0o777, 0o600);
    assert.deepEqual(await loadLocalKeyPair(dir), first);
  });

  it('twenty processes starting at once agree on one key and leave no stray file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-keys-'));
    const pairs = await Promise.all(Array.from({ length: 20 }, () => loadLocalKeyPair(dir)));
    assert.equal(new Set(pairs.map((p) => p.publicKey)).size, 1);
    assert.deepEqual(await readdir(dir), ['local.key']);
  });

  it('refuses a key file others can read, naming the fix; tightens a loose folder of its own', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-keys-'));
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'local.key'), formatKeyPairFile(createCurveKeyPair(), 'local'), { mode: 0o644 });
    await chmod(join(dir, 'local.key'), 0o644);
    await assert.rejects(loadLocalKeyPair(dir), (err: unknown) => err instanceof ConfigError && /chmod 600/.test(err.message));
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  it('a malformed key file is a ConfigError naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-keys-'));
    await writeFile(join(dir, 'local.key'), 'junk\n', { mode: 0o600 });
    await assert.rejects(loadLocalKeyPair(dir), (err: unknown) => err instanceof ConfigError && err.message.includes('local.key'));
  });
});
