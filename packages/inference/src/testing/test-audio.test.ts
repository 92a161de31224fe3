import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_TEST_AUDIO_DIR, resolveTestAudio, TestAudioError } from './test-audio.js';

const NAME = 'gtcrn_mix_16k.wav';

function rejectsWith(code: TestAudioError['code']): (err: unknown) => boolean {
  return (err: unknown) => err instanceof TestAudioError && err.code === code;
}

describe('resolveTestAudio()', () => {
  it('returns the path of a verified recording; an absent, unknown or altered one is a TestAudioError naming the fix', async () => {
    assert.equal(await resolveTestAudio(NAME), join(DEFAULT_TEST_AUDIO_DIR, NAME));
    const dir = await mkdtemp(join(tmpdir(), 'quell-test-audio-'));
    try {
      await assert.rejects(resolveTestAudio(NAME, dir), rejectsWith('TEST_AUDIO_MISSING'));
      await assert.rejects(resolveTestAudio('nope.wav', dir), rejectsWith('TEST_AUDIO_MISSING'));
      await copyFile(join(DEFAULT_TEST_AUDIO_DIR, NAME), join(dir, NAME));
      assert.equal(await resolveTestAudio(NAME, dir), join(dir, NAME));
      await writeFile(join(dir, NAME), 'not the recording');
      await assert.rejects(resolveTestAudio(NAME, dir), rejectsWith('TEST_AUDIO_CORRUPT'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
