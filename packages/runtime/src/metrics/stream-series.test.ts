import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BucketCounts } from './bucket-counts.js';
import { parseMetricsText, sumSamples } from './scrape.js';
import { StageRegistry, zeroCounts } from './stage-registry.js';
import { streamCounter, streamCounterByLabel, streamGauge, streamHistogram } from './stream-metrics.js';
import { StreamSeries } from './stream-series.js';

interface Counts {
  chunks: number;
}

function labelsOf<E>(series: StreamSeries<E>): string[] {
  return [...series.exported()].map((t) => t.label);
}

describe('StreamSeries', () => {
  it('keeps an ended stream for the linger time, then drops it; a stream that starts again keeps its counts', () => {
    let now = 0;
    const series = new StreamSeries<Counts>(() => ({ chunks: 0 }), { lingerMs: 1000, now: () => now });
    series.open(1).chunks += 5;
    series.open(2).chunks += 7;
    series.end(1);
    now = 999;
    assert.deepEqual(labelsOf(series), ['1', '2']);
    assert.equal(series.get(1)?.chunks, 5);
    now = 1000;
    assert.deepEqual(labelsOf(series), ['2']);
    assert.equal(series.get(1), undefined);
    series.end(2);
    now = 1500;
    assert.equal(series.open(2).chunks, 7, 'reopened within the linger: same counters');
    now = 5000;
    assert.deepEqual(labelsOf(series), ['2'], 'live again, so it does not expire');
  });

  it('tracks at most `capacity` streams: the oldest ended one makes room, a stream finding every slot live is not exported', () => {
    let now = 0;
    const series = new StreamSeries<Counts>(() => ({ chunks: 0 }), { capacity: 3, lingerMs: 60_000, now: () => now });
    for (const id of [1, 2, 3]) series.open(id);
    series.end(2);
    now = 10;
    series.end(1);
    series.open(4);
    assert.deepEqual(labelsOf(series), ['1', '3', '4'], 'stream 2 ended first, so it went first');
    series.open(3).chunks = 1;
    series.open(4);
    series.open(1);
    const extra = series.open(5);
    extra.chunks = 99;
    assert.equal(series.untracked, 1);
    assert.equal(series.size, 3);
    assert.equal(series.get(5), undefined);
    assert.deepEqual(labelsOf(series), ['1', '3', '4']);
  });
});

describe('BucketCounts', () => {
  it('counts a value equal to a bound in that bucket (le), larger ones in +Inf', () => {
    const b = new BucketCounts([0.1, 0.2]);
    for (const v of [0.05, 0.1, 0.15, 0.2, 0.3]) b.record(v);
    assert.deepEqual([...b.counts], [2, 2, 1]);
    assert.equal(b.count, 5);
    assert.ok(Math.abs(b.sum - 0.8) < 1e-12);
  });
});

describe('per-stream metrics', () => {
  it('export a stream label per tracked stream at scrape time and nothing for a stream once it expired', async () => {
    let now = 0;
    const stage = new StageRegistry({ stage: 'playback' });
    const series = new StreamSeries(() => ({ played: 0, depth: 0, drops: zeroCounts(['late', 'stale'] as const), latency: new BucketCounts([0.01, 0.02]) }), { lingerMs: 1000, now: () => now });
    streamCounter(stage.registry, 'quell_playback_stream_chunks_played_total', series, (e) => e.played);
    streamGauge(stage.registry, 'quell_playback_stream_jitter_buffer_depth_chunks', series, (e) => e.depth);
    streamCounterByLabel(stage.registry, 'quell_playback_stream_drops_total', series, (e) => e.drops);
    streamHistogram(stage.registry, 'quell_playback_stream_latency_seconds', series, [0.01, 0.02], (e) => e.latency);
    const a = series.open(7);
    const b = series.open(8);
    a.played = 100;
    a.depth = 3;
    a.drops.late = 2;
    b.played = 50;
    for (const v of [0.005, 0.015, 0.015, 0.5]) a.latency.record(v);
    let samples = parseMetricsText(await stage.registry.metrics());
    assert.equal(sumSamples(samples, 'quell_playback_stream_chunks_played_total', { stream: '7', stage: 'playback' }), 100);
    assert.equal(sumSamples(samples, 'quell_playback_stream_chunks_played_total', { stream: '8' }), 50);
    assert.equal(sumSamples(samples, 'quell_playback_stream_jitter_buffer_depth_chunks', { stream: '7' }), 3);
    assert.equal(sumSamples(samples, 'quell_playback_stream_drops_total', { stream: '7', reason: 'late' }), 2);
    assert.ok(samples.some((s) => s.name === 'quell_playback_stream_drops_total' && s.labels.stream === '8' && s.labels.reason === 'stale' && s.value === 0));
    const buckets = samples.filter((s) => s.name === 'quell_playback_stream_latency_seconds_bucket' && s.labels.stream === '7').map((s) => [s.labels.le, s.value]);
    assert.deepEqual(buckets, [['0.01', 1], ['0.02', 3], ['+Inf', 4]]);
    assert.equal(sumSamples(samples, 'quell_playback_stream_latency_seconds_count', { stream: '7' }), 4);
    assert.ok(Math.abs(sumSamples(samples, 'quell_playback_stream_latency_seconds_sum', { stream: '7' }) - 0.535) < 1e-9);
    assert.equal(sumSamples(samples, 'quell_playback_stream_latency_seconds_count', { stream: '8' }), 0);

    series.end(7);
    now = 2000;
    const text = await stage.registry.metrics();
    assert.match(text, /# TYPE quell_playback_stream_latency_seconds histogram/);
    samples = parseMetricsText(text);
    assert.ok(!samples.some((s) => s.labels.stream === '7'), 'stream 7 still exported after it expired');
    assert.equal(sumSamples(samples, 'quell_playback_stream_chunks_played_total', { stream: '8' }), 50);
  });

  it('refuses a metric that is not declared with a stream label', () => {
    const stage = new StageRegistry();
    const series = new StreamSeries(() => ({ n: 0 }));
    assert.throws(() => streamCounter(stage.registry, 'quell_playback_gaps_total', series, (e) => e.n), /not declared with labels \[stream\]/);
  });
});
