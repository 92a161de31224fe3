import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import wavefile from 'wavefile';
import { decodeWav, readWav, WavFormatError } from './read-wav.js';
import { WavStreamReader } from './wav-stream-reader.js';
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

  it('WavFileWriter never drops for a slow disk: 16 MiB written with no event-loop turn (every block still in flight) all arrive, bit-exact, and backlog() asks the caller to wait until the disk catches up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-wav-'));
    const path = join(dir, 'burst.wav');
    const writer = await WavFileWriter.create(path, 48_000, 1, 'float32');
    const chunks = 4096;
    for (let k = 0; k < chunks; k++) writer.write(Float32Array.from({ length: 1024 }, (_, i) => ((k * 1024 + i) % 4093) / 8192));
    assert.equal(writer.framesWritten, chunks * 1024);
    assert.ok(writer.spilledBlocks > 0, 'the disk could not have kept up without a turn of the event loop');
    const wait = writer.backlog();
    assert.ok(wait, 'backlog() asks the caller to wait');
    await wait;
    assert.equal(writer.backlog(), null);
    await writer.close();
    const audio = await readWav(path);
    assert.equal(audio.frameCount, chunks * 1024);
    assert.ok(audio.samples.every((x, i) => x === Math.fround((i % 4093) / 8192)), 'bit-exact, nothing shifted');
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

  // wavefile (a well-kept WAV library) is the oracle for every format the reader takes.
  const formats: [string, number][] = [['8', 2 ** 7], ['16', 2 ** 15], ['24', 2 ** 23], ['32', 2 ** 31], ['32f', 1], ['64', 1]];
  for (const [bitDepth, fullScale] of formats) {
    it(`reads ${bitDepth}-bit stereo as wavefile does, whole and streamed in odd pieces`, async () => {
      const frames = 5000;
      const values = Float64Array.from({ length: 2 * frames }, (_, i) => Math.sin(i * 0.37) * 0.9);
      const wav = new wavefile.WaveFile();
      const stored = bitDepth === '32f' || bitDepth === '64' ? values : values.map((v) => Math.round(v * (fullScale - 1)) + (bitDepth === '8' ? 128 : 0));
      wav.fromScratch(2, 44_100, bitDepth, Array.from(stored), { container: 'RIFF' });
      // A LIST chunk before the data, as many editors write.
      wav.setTag('ISFT', 'quell test');
      const dir = await mkdtemp(join(tmpdir(), 'quell-wav-'));
      const path = join(dir, `in-${bitDepth}.wav`);
      await writeFile(path, wav.toBuffer());
      const oracle = new wavefile.WaveFile(await readFile(path));
      const expected = oracle.getSamples(true, Float64Array) as unknown as Float64Array;
      const scale = bitDepth === '32f' || bitDepth === '64' ? 1 : fullScale;
      // wavefile hands 8-bit samples back unsigned, as stored.
      const offset = bitDepth === '8' ? 128 : 0;
      const whole = await readWav(path);
      assert.equal(whole.channelCount, 2);
      assert.equal(whole.sampleRateHz, 44_100);
      assert.equal(whole.frameCount, frames);
      for (let i = 0; i < expected.length; i++) assert.equal(whole.samples[i], Math.fround((expected[i] - offset) / scale), `sample ${i}`);

      const reader = await WavStreamReader.open(path, 777);
      const streamed = new Float32Array(2 * frames);
      let at = 0;
      for (let size = 1; at < streamed.length; size = (size * 7) % 613 + 1) {
        const n = reader.read(streamed.subarray(at, Math.min(streamed.length, at + 2 * size)));
        assert.ok(n > 0);
        at += 2 * n;
      }
      assert.equal(reader.read(new Float32Array(8)), 0, 'end of file');
      assert.deepEqual(streamed, whole.samples);
      await reader.close();
    });
  }

  it('streams a long file with bounded memory and rewinds for looping', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-wav-'));
    const path = join(dir, 'long.wav');
    const rate = 48_000;
    const samples = Float32Array.from({ length: rate * 20 }, (_, i) => ((i % 1000) - 500) / 1000);
    await writeFile(path, encodeWav(samples, rate, 1));
    const reader = await WavStreamReader.open(path);
    const chunk = new Float32Array(480);
    const heapBefore = process.memoryUsage().arrayBuffers;
    let frames = 0;
    for (let n = reader.read(chunk); n > 0; n = reader.read(chunk)) {
      assert.equal(chunk[0], samples[frames]);
      assert.equal(chunk[n - 1], samples[frames + n - 1]);
      frames += n;
      // Give the read-ahead its turn, as a paced source does between chunks.
      if (frames % (rate / 10) === 0) await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(frames, samples.length);
    // Two half-second blocks of float32 (192 KiB), whatever the file's length (3.7 MiB here).
    assert.ok(process.memoryUsage().arrayBuffers - heapBefore < 1024 * 1024, 'no whole-file buffer');
    // 40 blocks; a read-ahead that never lands in time would leave every other one to a synchronous read.
    assert.ok(reader.syncReads < 10, `read-ahead kept up: ${reader.syncReads} synchronous reads of 40 blocks`);
    reader.rewind();
    assert.equal(reader.read(chunk), 480);
    assert.equal(chunk[7], samples[7]);
    await reader.close();
    await reader.close();
  });

  it('rejects a missing file, a non-WAV and an unsupported format with one clear message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-wav-'));
    await assert.rejects(WavStreamReader.open(join(dir, 'none.wav')), /cannot read .*none\.wav.*ENOENT/);
    await writeFile(join(dir, 'text.wav'), 'RIFF not really');
    await assert.rejects(WavStreamReader.open(join(dir, 'text.wav')), (err: unknown) => err instanceof WavFormatError);
    const alaw = new wavefile.WaveFile();
    alaw.fromScratch(1, 8000, '8a', [1, 2, 3, 4]);
    await writeFile(join(dir, 'alaw.wav'), alaw.toBuffer());
    await assert.rejects(WavStreamReader.open(join(dir, 'alaw.wav')), /unsupported WAV sample format \(tag 6/);
  });
});
