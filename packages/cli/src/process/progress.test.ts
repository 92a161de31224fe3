import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { formatEta, ProgressReporter } from './progress.js';

/** A non-TTY stream that keeps what is written. */
function collector(): Writable & { text: string; isTTY: false } {
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string; isTTY: false };
  out.text = '';
  out.isTTY = false;
  return out;
}

const FILES = [
  { name: 'a.wav', frameCount: 48_000 * 10, sampleRateHz: 48_000 },
  { name: 'b.wav', frameCount: 16_000 * 10, sampleRateHz: 16_000 },
];

describe('ProgressReporter', () => {
  it('formatEta() gives seconds, minutes or hours, and ? without a rate', () => {
    assert.equal(formatEta(4.2), '5 s');
    assert.equal(formatEta(125), '2 min 05 s');
    assert.equal(formatEta(3 * 3600 + 120), '3 h 02 min');
    assert.equal(formatEta(NaN), '?');
  });

  it('update() off a terminal writes a line with the total, the ETA and each file in progress, at most every interval', () => {
    let now = 0;
    const out = collector();
    const progress = new ProgressReporter(FILES, { mode: 'auto', out, nowMs: () => now, plainIntervalMs: 2000 });
    progress.update(0, 0);
    progress.update(1, 0);
    now = 1000;
    progress.update(0, 48_000 * 2);
    assert.equal(out.text.split('\n').length - 1, 1, 'one line within the interval');
    now = 2500;
    progress.update(1, 16_000 * 3);
    const last = out.text.trim().split('\n').at(-1)!;
    // 5 s of 20 s done in 2.5 s: 15 s left at 2 s of audio per second.
    assert.equal(last, 'quell process: 25.0% of 20.0 s audio, 0/2 files, eta 8 s; a.wav 20%, b.wav 30%');
    progress.stop();
  });

  it('finish() writes a line per file done and a last total line when all are', () => {
    let now = 0;
    const out = collector();
    const progress = new ProgressReporter(FILES, { mode: 'auto', out, nowMs: () => now });
    progress.update(0, 0);
    now = 500;
    progress.finish(1);
    now = 1000;
    progress.finish(0);
    const lines = out.text.trim().split('\n');
    assert.ok(lines.includes('quell process: b.wav done (1/2 files)'), out.text);
    assert.ok(lines.includes('quell process: a.wav done (2/2 files)'), out.text);
    assert.equal(lines.at(-1), 'quell process: 100.0% of 20.0 s audio, 2/2 files, eta 0 s');
    progress.stop();
  });

  it('quiet writes nothing', () => {
    const out = collector();
    const progress = new ProgressReporter(FILES, { mode: 'quiet', out });
    progress.update(0, 1000);
    progress.finish(0);
    progress.finish(1);
    progress.stop();
    assert.equal(out.text, '');
  });
});
