import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leastLoaded, rebalanceDonors, type PoolMember } from './pool-balance.js';

const member = (id: string, streams: number, load?: number, loadStreams = streams): PoolMember => ({ id, streams, load, loadStreams });

describe('leastLoaded', () => {
  it('is null for an empty pool', () => {
    assert.equal(leastLoaded([]), null);
  });

  it('spreads streams by count while no node has measured a cost', () => {
    const counts = new Map([['a', 0], ['b', 0], ['c', 0]]);
    for (let i = 0; i < 9; i++) {
      const pick = leastLoaded([...counts].map(([id, n]) => member(id, n)))!;
      counts.set(pick.id, counts.get(pick.id)! + 1);
    }
    assert.deepEqual([...counts.values()], [3, 3, 3]);
  });

  it('gives a node twice as fast twice the streams', () => {
    // a: 0.02 s/s per stream, b: 0.04 s/s per stream.
    const counts = new Map([['a', 1], ['b', 1]]);
    for (let i = 0; i < 10; i++) {
      const pick = leastLoaded([member('a', counts.get('a')!, 0.02, 1), member('b', counts.get('b')!, 0.04, 1)])!;
      counts.set(pick.id, counts.get(pick.id)! + 1);
    }
    assert.deepEqual([counts.get('a'), counts.get('b')], [8, 4]);
  });

  it('counts a node without a measurement at the mean cost of the others, not at zero', () => {
    // b just joined (no report yet) with 2 streams assigned: with a's cost, b's load with one more (0.3) exceeds a's with one more (0.2).
    assert.equal(leastLoaded([member('a', 1, 0.1, 1), member('b', 2)])!.id, 'a');
    assert.equal(leastLoaded([member('a', 3, 0.3, 3), member('b', 0)])!.id, 'b');
  });

  it('breaks ties by fewer streams, then by id', () => {
    assert.equal(leastLoaded([member('b', 1), member('a', 1)])!.id, 'a');
    assert.equal(leastLoaded([member('a', 2, 0, 2), member('b', 0, 0, 0)])!.id, 'b');
  });
});

describe('rebalanceDonors', () => {
  it('moves from the fullest until no one holds two more than the joiner', () => {
    assert.deepEqual(rebalanceDonors([{ id: 'a', streams: 4 }], 0), ['a', 'a']);
    assert.deepEqual(rebalanceDonors([{ id: 'a', streams: 5 }, { id: 'b', streams: 4 }], 0), ['a', 'a', 'b']);
    assert.deepEqual(rebalanceDonors([{ id: 'a', streams: 1 }], 0), []);
    assert.deepEqual(rebalanceDonors([], 0), []);
  });
});
