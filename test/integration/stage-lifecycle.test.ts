import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { StageProcess } from '@quell/cli';
import { readWav } from '@quell/runtime';
import { startPipeline, tempDir } from '../helpers/pipeline.js';
import { writeMono } from '../helpers/audio-fixtures.js';
import { quell, REPO_ROOT, run } from '../helpers/run.js';

describe('stage start-up and shutdown', { timeout: 60_000 }, () => {
  const badStarts: [string, string[], RegExp][] = [
    ['capture', ['--chunk-ms', 'abc'], /--chunk-ms/],
    ['capture', ['--source', 'file', '--files', '/no/such.wav'], /\/no\/such\.wav/],
    ['capture', ['--endpoint', 'localhost:5555'], /--endpoint/],
    ['inference', ['--model', 'nope'], /unknown model 'nope'.*dtln/],
    ['inference', ['--model', 'dtln', '--model-dir', '/no/models'], /quell models fetch dtln/],
    ['playback', ['--sink', 'speaker'], /--sink.*file, null/],
    ['playback', ['--no-such-flag'], /--no-such-flag/],
  ];
  for (const stage of ['capture', 'inference', 'playback'] as const) {
    it(`node packages/${stage}/dist/main.js --help exits 0 listing every option (what the package README tells people to run)`, async () => {
      const result = await run(process.execPath, [join(REPO_ROOT, 'packages', stage, 'dist', 'main.js'), '--help']);
      assert.equal(result.code, 0, result.stderr);
      const options = Object.keys((await import(`@quell/${stage}`))[`${stage.toUpperCase()}_OPTIONS`] as object);
      assert.ok(options.length > 10);
      for (const key of options) assert.match(result.stdout, new RegExp(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}\\b`), key);
    });
  }

  for (const [stage, args, message] of badStarts) {
    it(`${stage} ${args.join(' ')} exits 2 with one clear line`, async () => {
      const result = await quell([stage, ...args, '--metrics-port', '0']);
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], message);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    });
  }

  it('SIGTERM: every stage exits 0 within 2 s and the WAV is finalised', async () => {
    const dir = await tempDir();
    const pipeline = await startPipeline({
      capture: ['--source', 'synth'],
      inference: ['--model', 'gain'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    await sleep(1500);
    const stopped = performance.now();
    const codes = await Promise.all([pipeline.capture.stop(5000), pipeline.inference.stop(5000), pipeline.playback.stop(5000)]);
    const elapsedMs = performance.now() - stopped;
    assert.deepEqual(codes, [0, 0, 0]);
    assert.ok(elapsedMs < 2000, `took ${elapsedMs} ms`);
    const out = await readWav(join(dir, 'out-1.wav'));
    assert.ok(out.frameCount > 48_000 * 0.5, `${out.frameCount} frames`);
    // A sine at 0.25 * 0.5 gain, with nothing concealed: no sample beyond the amplitude.
    assert.ok(out.samples.every((x) => Math.abs(x) <= 0.125 + 1e-6));
  });

  for (const pace of ['fast', 'realtime']) {
    it(`SIGTERM: capture (--pace ${pace}) still waiting for its first inference node exits 0 within 2 s without growing`, async () => {
      const dir = await tempDir();
      const input = await writeMono(dir, 'in.wav', new Float32Array(48_000), 48_000);
      const capture = new StageProcess('capture', ['--control', 'tcp://127.0.0.1:*', '--source', 'file', '--files', input, '--pace', pace, '--metrics-port', '0', '--log-level', 'warn']);
      await capture.ready;
      await sleep(300);
      const rssMiB = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${capture.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      const before = rssMiB();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 50);
      const stopped = performance.now();
      const code = await capture.stop(5000);
      clearInterval(sampler);
      const elapsedMs = performance.now() - stopped;
      assert.equal(code, 0);
      assert.ok(elapsedMs < 2000, `took ${elapsedMs} ms`);
      assert.ok(peak - before < 50, `RSS grew from ${before.toFixed(0)} to ${peak.toFixed(0)} MiB while stopping`);
    });
  }
});

describe('scheduling priority', { timeout: 60_000 }, () => {
  /** Niceness of every thread of a process, from /proc/<pid>/task/<tid>/stat (field 19). */
  async function threadNiceness(pid: number): Promise<number[]> {
    const tids = await readdir(`/proc/${pid}/task`);
    const stats = await Promise.all(tids.map((tid) => readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
    // Fields after the parenthesised command name (which may hold spaces) start at field 3.
    return stats.map((stat) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }

  it('--priority sets every thread of every stage, ONNX Runtime pool included', async () => {
    const dir = await tempDir();
    const pipeline = await startPipeline({
      capture: ['--source', 'synth', '--priority', '5'],
      inference: ['--model', 'dtln', '--priority', '5'],
      playback: ['--output', join(dir, 'out-{stream}.wav'), '--priority', '5'],
    });
    try {
      await sleep(1000);
      for (const stage of [pipeline.capture, pipeline.inference, pipeline.playback]) {
        const niceness = await threadNiceness(stage.child.pid!);
        assert.ok(niceness.length > 1, `${stage.stage}: ${niceness.length} threads`);
        assert.deepEqual(new Set(niceness), new Set([5]), `${stage.stage}: ${niceness.join(' ')}`);
      }
    } finally {
      await pipeline.stop();
    }
  });
});

describe('bad files and models fail at start-up', { timeout: 60_000 }, () => {
  /** Runs a stage that must refuse to start: exit 2, one line matching `message`, no stack trace. */
  async function refuses(stage: string, args: string[], message: RegExp): Promise<void> {
    const result = await quell([stage, ...args, '--metrics-port', '0']);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], message);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  }

  for (const rateHz of [7000, 500_000]) {
    it(`capture --source file with a WAV at ${rateHz} Hz exits 2 at start-up naming the rate`, async () => {
      const dir = await tempDir();
      const path = await writeMono(dir, `at-${rateHz}.wav`, new Float32Array(rateHz / 10), rateHz);
      await refuses('capture', ['--source', 'file', '--files', path], new RegExp(`${rateHz} Hz.*8000\\.\\.384000`));
    });
  }

  it('capture --source file with a file that is not a WAV exits 2 naming the file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'notes.wav');
    await writeFile(path, 'this is not audio\n'.repeat(100));
    await refuses('capture', ['--source', 'file', '--files', path], /notes\.wav is not a valid WAV file/);
  });

  for (const bytes of [12, 22, 30, 40]) {
    it(`capture --source file with a WAV cut to ${bytes} bytes exits 2 naming the file (no stack trace, no restart loop)`, async () => {
      const dir = await tempDir();
      const whole = await readFile(await writeMono(dir, 'whole.wav', new Float32Array(4800), 48_000));
      const path = join(dir, 'cut.wav');
      await writeFile(path, whole.subarray(0, bytes));
      await refuses('capture', ['--source', 'file', '--files', path], /cut\.wav (is truncated|has no data chunk|is not a valid WAV)/);
    });
  }

  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`inference --model ${name} exits 2 listing the models`, async () => {
      await refuses('inference', ['--model', name], new RegExp(`unknown model '${name}'.*dtln`));
    });
  }

  it('capture --source file with an empty file exits 2', async () => {
    const dir = await tempDir();
    const path = join(dir, 'empty.wav');
    await writeFile(path, '');
    await refuses('capture', ['--source', 'file', '--files', path], /empty\.wav/);
  });

  it('inference with a corrupt model file (wrong sha256) exits 2 naming the fix', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'gtcrn'));
    const bytes = await readFile(join(REPO_ROOT, 'models', 'gtcrn', 'gtcrn_simple.onnx'));
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(join(dir, 'gtcrn', 'gtcrn_simple.onnx'), bytes);
    await refuses('inference', ['--model', 'gtcrn', '--model-dir', dir], /corrupt.*quell models fetch gtcrn/);
  });

  it('inference with a model file that is not ONNX at all exits 2', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'gtcrn'));
    await writeFile(join(dir, 'gtcrn', 'gtcrn_simple.onnx'), 'not a model');
    await refuses('inference', ['--model', 'gtcrn', '--model-dir', dir], /gtcrn/);
  });

  it('inference --max-input-age-ms -1 and --overload-policy skip exit 2', async () => {
    await refuses('inference', ['--max-input-age-ms', '-1'], /--max-input-age-ms/);
    await refuses('inference', ['--overload-policy', 'skip'], /--overload-policy.*none, passthrough/);
  });
});
