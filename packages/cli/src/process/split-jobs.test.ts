import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitJobs } from './split-jobs.js';

describe('splitJobs', () => {
  it('splitJobs() gives each group about the same total length, longest inputs first, indices ascending', () => {
    assert.deepEqual(splitJobs([1, 5, 2, 4, 3], 2), [[0, 1, 2], [3, 4]]);
  });

  it('splitJobs() never makes more groups than inputs, nor an empty group', () => {
    assert.deepEqual(splitJobs([3, 1], 8), [[0], [1]]);
    assert.deepEqual(splitJobs([0, 0, 0, 0], 2), [[0, 2], [1, 3]]);
  });

  it('splitJobs() with one job keeps every input in order in one group', () => {
    assert.deepEqual(splitJobs([2, 9, 1], 1), [[0, 1, 2]]);
  });
});
