import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeWav, readWav, WavFormatError } from './read-wav.js';
import { WavFileWriter } from './wav-file-writer.js';
import { encodeWav } from './write-wav.js';

describe('WAV I/O', () => {
  it('WavFileWriter streams float32 chunks into a valid file, bit-exact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-wav-'));
    const path = join(dir, 'out.wav');
    const writer = await WavFileWriter.create(path, 48_000, 2, 'float32');
    const expected: number[] = [];
    for (let k = 0; k < 300; k++) {
      const chunk = Float32Array.from({ length: 2 * 333 }, (_, i) => Math.sin(k * 1000 + i) * 0.9);
      expected.push(...chunk);
      writer.write(chunk);
    }
    await writer.close();
    await writer.close();
    const audio = await readWav(path);
    assert.equal(audio.sampleRateHz, 48_000);
    assert.equal(audio.channelCount, 2);
    assert.equal(audio.frameCount, 300 * 333);
    assert.deepEqual([...audio.samples], [...Float32Array.from(expected)]);
  });

  it('decodes 16-bit PCM scaled to [-1, 1)', () => {
    const audio = decodeWav(encodeWav(Float32Array.of(0, 0.5, -1), 16_000, 1, 'int16'));
    assert.equal(audio.sampleRateHz, 16_000);
    assert.ok(Math.abs(audio.samples[1] - 0.5) < 1e-4);
    assert.ok(Math.abs(audio.samples[2] + 1) < 1e-4);
  });

  it('rejects a file that is not a WAV with WavFormatError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-wav-'));
    const path = join(dir, 'bad.wav');
    await writeFile(path, 'this is not audio');
    await assert.rejects(readWav(path), (err: unknown) => err instanceof WavFormatError && err.code === 'ERR_WAV_FORMAT');
    assert.ok((await readFile(path)).length > 0);
  });
});
