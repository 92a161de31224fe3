import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { QuellError } from '@quell/runtime';
import { REPO_ROOT, sha256Hex } from '../models/model-store.js';

/** Test and bench recordings (shared/audio/README.md); never committed, only read and verified. */
export const TEST_AUDIO_MANIFEST: Readonly<Record<string, string>> = {
  'speech_clean_48k.wav': '2d885e9f45c0f9381aee09a397ecd160aff1875ffb75ebe2217d21c3511b0d5d',
  'speech_noisy_snr0_48k.wav': 'e1e08601f3b7ceb2f36d45c86343e38cd8927a73d7ad5526d6c4687c33aa7186',
  'noise_573577_48k.wav': 'cb367b36e4e9d72d112377dd57bf354e13f0b30f8402c9e841ac47639e773497',
  'gtcrn_mix_16k.wav': '8d47e1d03eeb457c2549be79c8ec33a349ccd79f21c3add05f946f8f760c5a99',
  'gtcrn_enh_stream_16k.wav': '44e53d66614c6077351f2f3e1cc51159de750a5815b14137b1019904afcdd4bb',
};

/** A test recording that is not there or not the verified one; one line naming the fix. */
export class TestAudioError extends QuellError {
  declare readonly code: 'TEST_AUDIO_MISSING' | 'TEST_AUDIO_CORRUPT';

  constructor(code: TestAudioError['code'], message: string) {
    super(code, message);
  }
}

/** Default folder: `<repo>/../shared/audio`. */
export const DEFAULT_TEST_AUDIO_DIR = resolve(REPO_ROOT, '../shared/audio');

/**
 * Returns the path of a verified test recording in `dir` (default
 * `<repo>/../shared/audio`). For tests and benches only. Rejects with
 * `TestAudioError` `TEST_AUDIO_MISSING` or `TEST_AUDIO_CORRUPT`.
 */
export async function resolveTestAudio(name: string, dir: string = DEFAULT_TEST_AUDIO_DIR): Promise<string> {
  const expected = TEST_AUDIO_MANIFEST[name];
  if (expected === undefined) throw new TestAudioError('TEST_AUDIO_MISSING', `unknown test audio '${name}'`);
  const path = join(dir, name);
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch {
    throw new TestAudioError('TEST_AUDIO_MISSING', `test audio '${name}' is not in ${dir}: see shared/audio/README.md`);
  }
  if (sha256Hex(data) !== expected) throw new TestAudioError('TEST_AUDIO_CORRUPT', `test audio ${path} has the wrong sha256: restore it`);
  return path;
}
