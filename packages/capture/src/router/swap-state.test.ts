import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwapState, type SwapView } from './swap-state.js';

const LIMITS = { warmUpTimeoutMs: 5000, swapTimeoutMs: 30_000, maxLagChunks: 50, fadeChunks: 3 };

/** The live streams as the router sees them: next seq per stream, what the candidate processed. */
function view(nextSeq: Record<number, number>, processed: Record<number, number> = {}): SwapView {
  return { nextSeq: (s) => nextSeq[s], processed: (s) => processed[s] };
}

describe('SwapState (fake clock)', () => {
  it('a stream warms up, goes live on both nodes at the next seq, and is done once the candidate is past the crossfade', () => {
    const swap = new SwapState('B', 1000, LIMITS);
    assert.equal(swap.warmUp(7, 100), 99, 'the warm-up ends on the last chunk sent');
    assert.equal(swap.copyFor(7), 'warm-up');
    assert.equal(swap.complete, false);
    assert.equal(swap.warmed(7, 98, 105, 'A'), null, 'an ack short of the warm-up (a late one of an earlier warm-up) starts nothing');
    assert.equal(swap.copyFor(7), 'warm-up');
    assert.deepEqual(swap.warmed(7, 99, 105, 'A'), { from: 'A', to: 'B', atSeq: 105, fadeChunks: 3 });
    assert.equal(swap.copyFor(7), 'handover');
    assert.equal(swap.warmed(7, 104, 110, 'A'), null, 'a second ack changes nothing');
    swap.progress(7, 107);
    assert.equal(swap.complete, false, 'inside the crossfade');
    swap.progress(7, 108);
    assert.equal(swap.complete, true);
    assert.equal(swap.copyFor(7), 'handover', 'live copies go on until the router completes the swap');
  });

  it('a swap with no stream is complete at once; a stream that starts during it must warm up', () => {
    const swap = new SwapState('B', 0, LIMITS);
    assert.equal(swap.complete, true);
    assert.equal(swap.copyFor(3), 'new-stream');
    swap.warmUp(3, 1);
    assert.equal(swap.complete, false);
  });

  it('a stream that ends before it is warmed is done and gets no more copies', () => {
    const swap = new SwapState('B', 0, LIMITS);
    swap.warmUp(1, 10);
    swap.warmUp(2, 20);
    swap.ended(1);
    assert.equal(swap.copyFor(1), 'none');
    assert.equal(swap.warmed(2, 19, undefined, 'A'), null, 'acked after it ended: done, no hand-over');
    assert.equal(swap.complete, true);
  });

  it('the active node gone: every stream is done at once', () => {
    const swap = new SwapState('B', 0, LIMITS);
    swap.warmUp(1, 10);
    swap.warmUp(2, 20);
    swap.warmed(1, 9, 12, 'A');
    swap.activeGone();
    assert.equal(swap.complete, true);
  });

  it('check(): warm-up timeout, then swap timeout, measured from the start', () => {
    const swap = new SwapState('B', 1000, LIMITS);
    swap.warmUp(1, 10);
    const live = view({ 1: 10 });
    assert.equal(swap.check(6000, live), null, 'exactly at the warm-up limit');
    assert.match(swap.check(6001, live) ?? '', /did not warm up within 5000 ms/);
    swap.warmed(1, 9, 10, 'A');
    assert.equal(swap.check(6001, live), null, 'warmed: the warm-up limit no longer applies');
    assert.match(swap.check(31_001, live) ?? '', /did not complete within 30000 ms/);
  });

  it('check(): a warmed candidate lagging more than maxLagChunks behind the live stream (across the seq wrap)', () => {
    const swap = new SwapState('B', 0, LIMITS);
    const start = 0xffff_fff0;
    swap.warmUp(1, start);
    swap.warmed(1, start - 1, start, 'A');
    assert.equal(swap.check(10, view({ 1: 40 }, {})), null, 'no heartbeat yet: not judged');
    assert.equal(swap.check(10, view({ 1: 40 }, { 1: 0xffff_fffd })), null, 'lag 42: within the limit');
    assert.match(swap.check(10, view({ 1: 40 }, { 1: 0xffff_ffe0 })) ?? '', /lags 71 chunks behind the live stream \(limit 50\)/);
    assert.equal(swap.check(10, view({}, { 1: 0 })), null, 'an ended stream is not judged');
  });
});
