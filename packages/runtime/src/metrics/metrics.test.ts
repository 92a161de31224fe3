import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StageHistogram, TIMING_BUCKETS_S } from './stage-histogram.js';
import { LatencySketch } from './latency-sketch.js';
import { parseMetricsText, sumSamples } from './scrape.js';
import { StageRegistry, zeroCounts } from './stage-registry.js';

describe('stage metrics', () => {
  it('export plain counters, zero-valued reasons and plain-count histograms at scrape time', async () => {
    const stage = new StageRegistry({ stage: 'capture' });
    let sent = 0;
    const drops = zeroCounts(['queue-full', 'other'] as const);
    stage.counter('quell_capture_chunks_sent_total', () => sent);
    stage.counterByLabel('quell_capture_drops_total', drops);
    const h = new StageHistogram(stage.registry, 'quell_capture_pacer_lateness_seconds', TIMING_BUCKETS_S);
    sent = 42;
    drops['queue-full'] = 3;
    for (let i = 0; i < 10; i++) h.record(0.0003);
    const text = await stage.registry.metrics();
    const samples = parseMetricsText(text);
    assert.equal(sumSamples(samples, 'quell_capture_chunks_sent_total'), 42);
    assert.equal(sumSamples(samples, 'quell_capture_drops_total', { reason: 'queue-full' }), 3);
    assert.ok(samples.some((s) => s.name === 'quell_capture_drops_total' && s.labels.reason === 'other' && s.value === 0));
    assert.equal(sumSamples(samples, 'quell_capture_pacer_lateness_seconds_count'), 10);
    assert.ok(Math.abs(sumSamples(samples, 'quell_capture_pacer_lateness_seconds_sum') - 0.003) < 1e-12);
    assert.equal(sumSamples(samples, 'quell_capture_pacer_lateness_seconds_bucket', { le: '0.0001' }), 0);
    assert.equal(sumSamples(samples, 'quell_capture_pacer_lateness_seconds_bucket', { le: '0.0005' }), 10);
    assert.ok(text.includes('# TYPE quell_capture_pacer_lateness_seconds histogram'));
    assert.ok(samples.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds'));
    assert.ok(text.includes('# TYPE nodejs_gc_duration_seconds histogram'));
  });
});

describe('LatencySketch', () => {
  it('gives quantiles within one 2% bucket', () => {
    const sketch = new LatencySketch();
    for (let i = 1; i <= 1000; i++) sketch.record(i / 1000);
    assert.ok(Math.abs(sketch.quantile(0.5) - 0.5) / 0.5 < 0.025);
    assert.ok(Math.abs(sketch.quantile(0.99) - 0.99) / 0.99 < 0.025);
    assert.equal(sketch.max, 1);
    assert.equal(new LatencySketch().quantile(0.5), 0);
  });
});
