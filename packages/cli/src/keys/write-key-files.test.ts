import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { QuellError, readKeyPairFile, readPublicKeyList } from '@quell/runtime';
import { writeKeyFiles } from './write-key-files.js';

describe('writeKeyFiles', () => {
  it('writes NAME.key (mode 0600, both keys) and NAME.pub (the public key) that the stages can read', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'quell-keys-')), 'nested');
    const files = await writeKeyFiles({ outDir: dir, name: 'capture' });
    assert.equal((await stat(files.keyPath)).mode & 0o777, 0o600);
    const pair = await readKeyPairFile(files.keyPath);
    assert.equal(pair.publicKey, files.publicKey);
    assert.deepEqual(await readPublicKeyList(files.pubPath), [files.publicKey]);
    assert.ok(!(await readFile(files.pubPath, 'utf8')).includes(pair.secretKey));
  });

  it('refuses to replace existing files unless force, and rejects odd names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-keys-'));
    const first = await writeKeyFiles({ outDir: dir, name: 'a' });
    await assert.rejects(writeKeyFiles({ outDir: dir, name: 'a' }), (err: unknown) => err instanceof QuellError && err.code === 'ERR_KEY_EXISTS');
    const second = await writeKeyFiles({ outDir: dir, name: 'a', force: true });
    assert.notEqual(second.publicKey, first.publicKey);
    await assert.rejects(writeKeyFiles({ outDir: dir, name: '../x' }), (err: unknown) => err instanceof QuellError && err.code === 'ERR_KEY_NAME');
  });
});
