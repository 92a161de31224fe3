import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '@quell/runtime';
import { OverloadGuard, RESET_MODEL, RUN_MODEL } from './overload-guard.js';

/** Records log lines (message only). */
function fakeLog(lines: string[]): Logger {
  const record = (_fields: unknown, message?: string): void => {
    lines.push(message ?? String(_fields));
  };
  return { info: record, warn: record, error: record, debug: record, fatal: record, trace: record } as unknown as Logger;
}

const RATE = 1000;
const FRAMES = 10;
const LATENCY = 3;

/** Runs one chunk through the guard with a fake model that outputs -1 (so dry and processed are told apart). */
function chunk(guard: OverloadGuard, input: Float32Array, nowMs: number, ageMs: number): { flags: number; out: Float32Array } {
  guard.observe(ageMs, nowMs);
  const flags = guard.plan(1, RATE, 1, LATENCY, nowMs);
  const out = new Float32Array(input.length);
  if (flags & RUN_MODEL) out.fill(-1);
  guard.mix(1, input, out, (flags & RUN_MODEL) !== 0);
  return { flags, out };
}

function ramp(start: number): Float32Array {
  return Float32Array.from({ length: FRAMES }, (_, i) => start + i);
}

describe('OverloadGuard', () => {
  const options = { policy: 'passthrough' as const, enterAgeMs: 100, exitAgeMs: 20, holdMs: 50, recoverMs: 100, fadeMs: 10, warmUpMs: 20 };

  it('plan() runs the model and mix() leaves its output alone while input is fresh', () => {
    const guard = new OverloadGuard(options, fakeLog([]));
    for (let t = 0; t < 100; t += 10) {
      const { flags, out } = chunk(guard, ramp(t), t, 5);
      assert.equal(flags, RUN_MODEL);
      assert.ok(out.every((x) => x === -1));
    }
    assert.equal(guard.counts.degradedChunks, 0);
  });

  it('a short stall (age high for less than holdMs) does not degrade', () => {
    const guard = new OverloadGuard(options, fakeLog([]));
    chunk(guard, ramp(0), 0, 500);
    chunk(guard, ramp(10), 10, 400);
    chunk(guard, ramp(20), 20, 5);
    assert.equal(guard.degraded, false);
  });

  it('degrades after holdMs behind: output becomes the input delayed by latencyFrames, continuous, one log line; recovers with a model reset', () => {
    const lines: string[] = [];
    const guard = new OverloadGuard(options, fakeLog(lines));
    let t = 0;
    let next = 0;
    const outputs: number[] = [];
    const step = (ageMs: number): number => {
      const r = chunk(guard, ramp(next), t, ageMs);
      next += FRAMES;
      t += 10;
      outputs.push(...r.out);
      return r.flags;
    };
    for (let i = 0; i < 3; i++) step(5);
    for (let i = 0; i < 10; i++) step(200);
    assert.equal(guard.degraded, true);
    assert.equal(guard.counts.degraded, 1);
    assert.equal(guard.counts.transitions, 1);
    // Fully dry now: the model is skipped and the output is the input LATENCY frames earlier.
    assert.equal(step(200), 0);
    const last = outputs.slice(-FRAMES);
    assert.deepEqual(last, Array.from({ length: FRAMES }, (_, i) => next - FRAMES - LATENCY + i));
    // Still behind while recovering (age between exit and enter): stays degraded.
    for (let i = 0; i < 20; i++) step(50);
    assert.equal(guard.degraded, true);
    const flags: number[] = [];
    for (let i = 0; i < 30; i++) flags.push(step(5));
    assert.equal(guard.degraded, false);
    assert.equal(guard.counts.degraded, 0);
    // The first chunk after recovery resets the model; then it runs, dry during warm-up, and fades in.
    const firstBack = flags.findIndex((f) => f !== 0);
    assert.equal(flags[firstBack], RUN_MODEL | RESET_MODEL);
    assert.ok(flags.slice(firstBack + 1).every((f) => f === RUN_MODEL));
    assert.ok(outputs.slice(-FRAMES).every((x) => x === -1), 'processed output is back');
    assert.deepEqual(lines, ['inference is behind real time: passing audio through unprocessed', 'inference caught up: model back (state reset, warming up)']);
    assert.ok(guard.counts.degradedChunks > 0);
  });

  it('crossfades over fadeMs: no sample jumps by more than the fade step between processed and dry', () => {
    const guard = new OverloadGuard({ ...options, fadeMs: 10 }, fakeLog([]));
    const constant = new Float32Array(FRAMES).fill(1);
    const out: number[] = [];
    let t = 0;
    for (let i = 0; i < 12; i++) {
      out.push(...chunk(guard, constant, t, i < 2 ? 5 : 200).out);
      t += 10;
    }
    // Processed = -1, dry = 1 (after the delay line filled): the change is spread over 10 frames (step 0.2 each).
    for (let i = LATENCY + 1; i < out.length; i++) assert.ok(Math.abs(out[i] - out[i - 1]) <= 0.2 + 1e-6, `jump at ${i}: ${out[i - 1]} -> ${out[i]}`);
    assert.equal(out[out.length - 1], 1);
  });

  it('relapsing soon after recovering doubles the recovery hold', () => {
    const lines: string[] = [];
    const guard = new OverloadGuard(options, fakeLog(lines));
    let t = 0;
    const run = (ms: number, ageMs: number): void => {
      for (const end = t + ms; t < end; t += 10) chunk(guard, ramp(0), t, ageMs);
    };
    run(100, 200);
    run(150, 5);
    assert.equal(guard.degraded, false);
    run(100, 200);
    assert.equal(guard.degraded, true);
    run(150, 5);
    assert.equal(guard.degraded, true, 'hold is now 200 ms');
    run(100, 5);
    assert.equal(guard.degraded, false);
    assert.equal(guard.counts.transitions, 2);
  });

  it("policy 'none' never degrades and never touches the output", () => {
    const guard = new OverloadGuard({ ...options, policy: 'none' }, fakeLog([]));
    for (let t = 0; t < 1000; t += 10) assert.ok(chunk(guard, ramp(t), t, 1000).out.every((x) => x === -1));
    assert.equal(guard.degraded, false);
  });
});
