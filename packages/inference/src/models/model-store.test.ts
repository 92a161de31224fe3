import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createProcessor } from '../processors/processor-registry.js';
import { ModelError } from './model-errors.js';
import { DEFAULT_MODEL_MIRROR_DIR, fetchModels, listInstalledModels, requireInstalledModel, sha256Hex } from './model-store.js';
import { MODEL_MANIFEST } from './model-manifest.js';

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof ModelError && err.code === code);
}

describe('model store', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'quell-models-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('fetchModels() copies from the mirror, verifies sha256, then reuses the stored copy', async () => {
    const storeDir = join(root, 'store-ok');
    const [first] = await fetchModels(['gtcrn'], { mirrorDir: DEFAULT_MODEL_MIRROR_DIR, storeDir, offline: true });
    assert.deepEqual(first.sources, ['mirror']);
    const data = await readFile(join(storeDir, 'gtcrn', 'gtcrn_simple.onnx'));
    assert.equal(sha256Hex(data), MODEL_MANIFEST.gtcrn.files[0].sha256);
    const [second] = await fetchModels(['gtcrn'], { mirrorDir: DEFAULT_MODEL_MIRROR_DIR, storeDir, offline: true });
    assert.deepEqual(second.sources, ['store']);
    assert.equal(await requireInstalledModel('gtcrn', storeDir), join(storeDir, 'gtcrn'));
    assert.deepEqual(await listInstalledModels(storeDir), ['gtcrn']);
  });

  it('fetchModels() rejects a corrupted mirror file with MODEL_CORRUPT and stores nothing', async () => {
    const mirrorDir = join(root, 'bad-mirror');
    await mkdir(join(mirrorDir, 'gtcrn'), { recursive: true });
    const good = await readFile(join(DEFAULT_MODEL_MIRROR_DIR, 'gtcrn', 'gtcrn_simple.onnx'));
    const bad = Buffer.from(good);
    bad[1000] ^= 0xff;
    await writeFile(join(mirrorDir, 'gtcrn', 'gtcrn_simple.onnx'), bad);
    const storeDir = join(root, 'store-bad');
    await rejectsWithCode(fetchModels(['gtcrn'], { mirrorDir, storeDir, offline: true }), 'MODEL_CORRUPT');
    await rejectsWithCode(requireInstalledModel('gtcrn', storeDir), 'MODEL_NOT_INSTALLED');
  });

  it('requireInstalledModel() rejects a corrupted stored file with MODEL_CORRUPT; fetchModels() repairs it', async () => {
    const storeDir = join(root, 'store-repair');
    await fetchModels(['dtln'], { mirrorDir: DEFAULT_MODEL_MIRROR_DIR, storeDir, offline: true });
    await writeFile(join(storeDir, 'dtln', 'model_2.onnx'), 'not a model');
    await rejectsWithCode(requireInstalledModel('dtln', storeDir), 'MODEL_CORRUPT');
    await rejectsWithCode(createProcessor('dtln', { modelDir: storeDir }), 'MODEL_CORRUPT');
    const [fixed] = await fetchModels(['dtln'], { mirrorDir: DEFAULT_MODEL_MIRROR_DIR, storeDir, offline: true });
    assert.deepEqual(fixed.sources, ['store', 'mirror']);
  });

  it('a missing model rejects with MODEL_NOT_INSTALLED naming the fetch command', async () => {
    const storeDir = join(root, 'empty');
    await assert.rejects(createProcessor('gtcrn', { modelDir: storeDir }), (err: unknown) => {
      assert.ok(err instanceof ModelError);
      assert.equal(err.code, 'MODEL_NOT_INSTALLED');
      assert.equal(err.retryable, false);
      assert.match(err.message, /quell models fetch gtcrn/);
      return true;
    });
    assert.deepEqual(await listInstalledModels(storeDir), []);
  });

  it('fetchModels() rejects an unknown name with MODEL_UNKNOWN and a mirror miss offline with MODEL_FETCH_FAILED', async () => {
    await rejectsWithCode(fetchModels(['nope'], { storeDir: join(root, 'x') }), 'MODEL_UNKNOWN');
    await rejectsWithCode(fetchModels(['gtcrn'], { mirrorDir: join(root, 'no-mirror'), storeDir: join(root, 'y'), offline: true }), 'MODEL_FETCH_FAILED');
  });
});
