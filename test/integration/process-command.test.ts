import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { link, mkdir, open, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { FAST_CHUNK_MS } from '@quell/cli';
import { encodeWav, readWav, writeWav } from '@quell/runtime';
import { resampleWhole, testAudio } from '../helpers/audio-fixtures.js';
import { tempDir } from '../helpers/pipeline.js';
import { quell } from '../helpers/run.js';
import { testSignal, writeTestSignal } from '../helpers/signals.js';

/** Runs of the busy-machine --fast check (issue 16 asks for 20). */
const FAST_RUNS = 20;

describe('quell process', { timeout: 900_000 }, () => {
  it('processes a folder of files of different rates and channel counts in one call, outputs aligned and complete', async () => {
    const dir = await tempDir();
    const inDir = join(dir, 'in');
    await mkdir(inDir);
    const a = await writeTestSignal(join(inDir, 'a.wav'), 48_000, 3.3, 1);
    const b = await writeTestSignal(join(inDir, 'b.wav'), 44_100, 2.05, 2);
    const result = await quell(['process', inDir, '--out-dir', join(dir, 'out'), '--fast', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { files: number; frames: number; framesIn: number; framesWritten: number; drops: number; gaps: number; realtimeFactor: number };
    assert.equal(summary.files, 2);
    assert.equal(summary.frames, a.length + b.length / 2);
    assert.equal(summary.framesIn, a.length + b.length / 2);
    assert.equal(summary.framesWritten, a.length + b.length / 2);
    assert.equal(summary.drops, 0);
    assert.equal(summary.gaps, 0);
    assert.ok(summary.realtimeFactor > 1, `x real time ${summary.realtimeFactor}`);
    for (const [name, input, rate, channels] of [['a.wav', a, 48_000, 1], ['b.wav', b, 44_100, 2]] as const) {
      const out = await readWav(join(dir, 'out', name));
      assert.equal(out.sampleRateHz, rate);
      assert.equal(out.channelCount, channels);
      assert.equal(out.samples.length, input.length);
      assert.ok(out.samples.every((x, i) => x === input[i]), `${name} identical`);
    }
  });

  it('removes the model latency: gain output lines up with the input sample for sample', async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), 16_000, 2, 1);
    const result = await quell(['process', join(dir, 'in.wav'), join(dir, 'out.wav'), '--model', 'gain', '--fast']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /drops 0, gaps 0, latency p50 [\d.]+ ms p99 [\d.]+ ms, wall [\d.]+ s, [\d.]+x real time/);
    const out = await readWav(join(dir, 'out.wav'));
    assert.ok(out.samples.every((x, i) => x === Math.fround(input[i] * 0.5)));
  });

  for (const [model, spike] of [['gtcrn', 1e30], ['dtln', 1e6], ['gtcrn', 1e6]] as const) {
    it(`one ${spike.toExponential(0)} sample in a float WAV through ${model}: clipped to full scale and counted, every output sample finite, the second after it below 0 dBFS`, async () => {
      const dir = await tempDir();
      const input = testSignal(48_000, 3, 1);
      const at = 48_000;
      input[at] = spike;
      await writeWav(join(dir, 'in.wav'), input, 48_000, 1, 'float32');
      const result = await quell(['process', join(dir, 'in.wav'), join(dir, 'out.wav'), '--model', model, '--fast', '--json']);
      assert.equal(result.code, 0, result.stderr);
      const out = await readWav(join(dir, 'out.wav'));
      assert.equal(out.frameCount, input.length);
      assert.ok(out.samples.every(Number.isFinite), 'non-finite output');
      let peak = 0;
      for (let i = at; i < at + 48_000; i++) peak = Math.max(peak, Math.abs(out.samples[i]));
      assert.ok(peak < 1, `peak ${peak} (${(20 * Math.log10(peak)).toFixed(1)} dBFS) in the second after the spike`);
    });
  }

  it(`--fast beside two busy loops, ${FAST_RUNS} runs of a 60 s file through passthrough: every output sample-identical to its input (no block lost at the file writer)`, { timeout: 600_000 }, async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), 48_000, 60, 1);
    // Two processes spinning on the two cores, as a busy machine (the writer's disk writes then lag the pipeline).
    const spinners = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
    try {
      for (let run = 0; run < FAST_RUNS; run++) {
        const out = join(dir, `out-${run}.wav`);
        const result = await quell(['process', join(dir, 'in.wav'), out, '--fast', '--json'], { timeoutMs: 120_000 });
        assert.equal(result.code, 0, result.stderr);
        const audio = await readWav(out);
        assert.equal(audio.samples.length, input.length, `run ${run}: ${audio.samples.length} of ${input.length} samples`);
        const firstDiff = audio.samples.findIndex((x, i) => x !== input[i]);
        assert.equal(firstDiff, -1, `run ${run}: first difference at sample ${firstDiff}`);
        await rm(out);
      }
    } finally {
      for (const s of spinners) s.kill('SIGKILL');
    }
  });

  it(`--fast's default chunk gives DTLN output bit-identical to 10 ms chunks (48 kHz with resampling and the high band, and 16 kHz)`, async () => {
    const dir = await tempDir();
    const inDir = join(dir, 'in');
    await mkdir(inDir);
    const speech = (await testAudio('speech_noisy_snr0_48k.wav')).samples;
    // Lengths that end in a partial chunk at either chunk size.
    await writeWav(join(inDir, 'speech48k.wav'), speech.subarray(0, 4 * 48_000 + 1234), 48_000, 1, 'float32');
    await writeWav(join(inDir, 'speech16k.wav'), resampleWhole(speech, 48_000, 16_000).subarray(0, 2 * 16_000 + 77), 16_000, 1, 'float32');
    const outputs: Buffer[][] = [];
    for (const chunk of [[], ['--chunk-ms', '10']]) {
      const outDir = join(dir, `out-${outputs.length}`);
      const result = await quell(['process', inDir, '--out-dir', outDir, '--model', 'dtln', '--fast', '--jobs', '1', '--json', ...chunk]);
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout) as { chunkMs: number };
      assert.equal(summary.chunkMs, chunk.length === 0 ? FAST_CHUNK_MS : 10);
      outputs.push(await Promise.all(['speech48k.wav', 'speech16k.wav'].map((n) => readFile(join(outDir, n)))));
    }
    assert.ok(FAST_CHUNK_MS > 10);
    for (const k of [0, 1]) assert.ok(outputs[0][k].equals(outputs[1][k]), `output ${k} differs between ${FAST_CHUNK_MS} ms and 10 ms chunks`);
  });

  it('a folder of 4 short files with --jobs 2 gives the same outputs as --jobs 1, and the summary lists all four', async () => {
    const dir = await tempDir();
    const inDir = join(dir, 'in');
    await mkdir(inDir);
    const files = [
      ['a.wav', 48_000, 1.5, 1],
      ['b.wav', 44_100, 1.0, 2],
      ['c.wav', 16_000, 2.0, 1],
      ['d.wav', 48_000, 0.7, 1],
    ] as const;
    for (const [name, rate, seconds, channels] of files) await writeTestSignal(join(inDir, name), rate, seconds, channels);
    const outputs: Buffer[][] = [];
    for (const jobs of [1, 2]) {
      const outDir = join(dir, `out-${jobs}`);
      const result = await quell(['process', inDir, '--out-dir', outDir, '--model', 'dtln', '--fast', '--jobs', String(jobs), '--json']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '', '--json prints no progress');
      const summary = JSON.parse(result.stdout) as { files: number; jobs: number; failed: unknown[]; outputs: string[]; results: { input: string; output: string; framesIn: number; framesWritten: number; imbalances: string[] }[] };
      assert.equal(summary.files, 4);
      assert.equal(summary.jobs, jobs);
      assert.deepEqual(summary.failed, []);
      assert.deepEqual(summary.results.map((r) => basename(r.input)), files.map(([name]) => name));
      assert.deepEqual(summary.results.map((r) => r.output), files.map(([name]) => join(outDir, name)));
      assert.deepEqual(summary.outputs, files.map(([name]) => join(outDir, name)));
      for (const [k, [, rate, seconds]] of files.entries()) {
        assert.equal(summary.results[k].framesIn, Math.round(rate * seconds));
        assert.equal(summary.results[k].framesWritten, summary.results[k].framesIn);
        assert.deepEqual(summary.results[k].imbalances, []);
      }
      outputs.push(await Promise.all(files.map(([name]) => readFile(join(outDir, name)))));
    }
    for (const [k, [name]] of files.entries()) assert.ok(outputs[0][k].equals(outputs[1][k]), `${name}: --jobs 2 output differs from --jobs 1`);
  });

  it('--jobs that is not a whole number of 1 or more is refused: exit 2, one line', async () => {
    const dir = await tempDir();
    await writeTestSignal(join(dir, 'in.wav'), 16_000, 0.2, 1);
    for (const jobs of ['0', '1.5', 'x']) {
      const result = await quell(['process', join(dir, 'in.wav'), join(dir, 'out.wav'), '--jobs', jobs]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr.trim(), /^quell: --jobs must be a whole number of 1 or more/);
    }
  });

  it('output equal to the input (same path, a symlink to it, a hard link, --out-dir its own folder) is refused: exit 2, one line, the input byte-identical', async () => {
    const dir = await tempDir();
    const inPath = join(dir, 'in.wav');
    await writeWav(inPath, testSignal(16_000, 1, 1), 16_000, 1, 'int16');
    const before = await readFile(inPath);
    await symlink(inPath, join(dir, 'alias.wav'));
    await link(inPath, join(dir, 'hard.wav'));
    for (const args of [[inPath, inPath], [inPath, join(dir, 'alias.wav')], [join(dir, 'alias.wav'), inPath], [inPath, join(dir, 'hard.wav')], [inPath, '--out-dir', dir]]) {
      const result = await quell(['process', ...args, '--model', 'gain', '--fast']);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^quell: output .* is the input .*--in-place/);
      assert.ok((await readFile(inPath)).equals(before), `${args.join(' ')}: input changed`);
    }
  });

  it('--in-place replaces the input only with a complete, verified output; a run that loses a chunk leaves it byte-identical (exit 1)', async () => {
    const dir = await tempDir();
    const inPath = join(dir, 'in.wav');
    const input = testSignal(16_000, 2, 1);
    await writeWav(inPath, input, 16_000, 1, 'float32');
    const before = await readFile(inPath);
    // 10 ms chunks (200 of them), so the injected 5% loss hits some.
    const lossy = await quell(['process', inPath, '--in-place', '--model', 'gain', '--fast', '--chunk-ms', '10'], { env: { QUELL_INFERENCE_TEST_DROP_RATE: '0.05' } });
    assert.equal(lossy.code, 1, lossy.stderr);
    assert.match(lossy.stderr, /in\.wav: .*chunks dropped \(inference injected \d+\)/);
    assert.ok((await readFile(inPath)).equals(before), 'input changed by a failed in-place run');
    assert.deepEqual((await readdir(dir)).sort(), ['in.wav'], 'no partial file left');
    const clean = await quell(['process', inPath, '--in-place', '--model', 'gain', '--fast']);
    assert.equal(clean.code, 0, clean.stderr);
    const out = await readWav(inPath);
    assert.equal(out.frameCount, input.length);
    assert.ok(out.samples.every((x, i) => x === Math.fround(input[i] * 0.5)), 'replaced by the gain output');
    assert.deepEqual((await readdir(dir)).sort(), ['in.wav']);
  });

  it('a stream whose last chunk is lost: exit 1 naming the file and the frames missing, nothing under the output name, no partial file', async () => {
    const dir = await tempDir();
    // The drop injector is deterministic (xorshift32, seed 0x9e3779b9): find a chunk past the first hundred it drops and end the file there.
    let state = 0x9e3779b9;
    let lastChunk = 0;
    for (let k = 1; lastChunk === 0; k++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      if (k > 100 && state / 0x1_0000_0000 < 0.05) lastChunk = k;
    }
    // In 10 ms chunks (480 frames at 48 kHz).
    const frames = lastChunk * 480 - 100;
    await writeWav(join(dir, 'in.wav'), testSignal(48_000, frames / 48_000, 1), 48_000, 1, 'float32');
    const result = await quell(['process', join(dir, 'in.wav'), join(dir, 'out.wav'), '--model', 'gain', '--fast', '--chunk-ms', '10', '--json'], { env: { QUELL_INFERENCE_TEST_DROP_RATE: '0.05' } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`in\\.wav: .*output has ${frames - 380} of ${frames} frames \\(380 missing\\)`));
    const summary = JSON.parse(result.stdout) as { framesIn: number; framesWritten: number };
    assert.deepEqual([summary.framesIn, summary.framesWritten], [frames, frames - 380]);
    assert.deepEqual((await readdir(dir)).sort(), ['in.wav'], 'neither out.wav nor a partial file');
  });

  it('a 5 GiB plain RIFF WAV (sparse; its 32-bit sizes wrapped) is refused at once with one line naming RF64 (exit 2), no output', async () => {
    const dir = await tempDir();
    const big = join(dir, 'big.wav');
    const header = encodeWav(new Float32Array(0), 48_000, 1, 'float32');
    assert.equal(header.toString('ascii', 0, 4), 'RIFF');
    const dataBytes = 5 * 2 ** 30;
    // The RIFF and data sizes as a writer that overflowed leaves them (the data chunk's size is the header's last 4 bytes).
    header.writeUInt32LE((header.length - 8 + dataBytes) % 2 ** 32, 4);
    header.writeUInt32LE(dataBytes % 2 ** 32, header.length - 4);
    const file = await open(big, 'w');
    await file.write(header, 0, header.length, 0);
    await file.truncate(header.length + dataBytes);
    await file.close();
    const started = performance.now();
    const result = await quell(['process', big, join(dir, 'out.wav'), '--fast']);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /^quell: .*big\.wav is 5\.00 GiB, more than a RIFF WAV's 32-bit sizes can describe .*RF64/);
    assert.ok(performance.now() - started < 10_000, 'refused from the header, not after reading the file');
    assert.deepEqual((await readdir(dir)).sort(), ['big.wav']);
  });

  it('IN OUT with a folder as input asks for --out-dir (exit 2, one line)', async () => {
    const dir = await tempDir();
    const result = await quell(['process', dir, join(dir, 'x.wav')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr.trim(), /^quell: .*--out-dir/);
  });
});
