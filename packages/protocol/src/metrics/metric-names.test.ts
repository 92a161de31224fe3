import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METRICS, type MetricSpec } from './metric-names.js';

const NAME = /^quell_(capture|inference|playback)_[a-z0-9_]+$/;
/** Name segments that mark a quantity of time, which must then be in seconds. */
const TIME_WORDS = new Set(['time', 'duration', 'latency', 'lateness', 'delay', 'lag', 'elapsed', 'processing', 'wait', 'age', 'uptime']);
/** Units that are not base units. */
const NON_BASE_UNITS = new Set(['ms', 'us', 'ns', 'millis', 'milliseconds', 'microseconds', 'nanoseconds', 'minutes', 'hours', 'kb', 'mb', 'kib', 'mib']);

/** Every convention violation of one table, so a failure lists them all. */
function violations(metrics: Record<string, MetricSpec>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [name, spec] of Object.entries(metrics)) {
    const segments = name.split('_');
    if (!NAME.test(name)) problems.push(`${name}: does not match ${NAME}`);
    if (seen.has(name)) problems.push(`${name}: repeated`);
    seen.add(name);
    if (spec.type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: counter without _total`);
    if (spec.type !== 'counter' && name.endsWith('_total')) problems.push(`${name}: ${spec.type} ending in _total`);
    const base = spec.type === 'counter' ? name.replace(/_total$/, '') : name;
    if (segments.some((s) => TIME_WORDS.has(s)) && !base.endsWith('_seconds')) problems.push(`${name}: time metric not in _seconds`);
    if (spec.type === 'histogram' && !/_(seconds|bytes|chunks|frames)$/.test(name)) problems.push(`${name}: histogram without a unit suffix`);
    for (const s of segments) if (NON_BASE_UNITS.has(s)) problems.push(`${name}: '${s}' is not a base unit`);
    if (/_(bucket|sum|count)$/.test(name)) problems.push(`${name}: ends in a suffix Prometheus reserves for histograms`);
    if (spec.help.trim() === '') problems.push(`${name}: empty help`);
    for (const label of spec.labels) if (!/^[a-z][a-z0-9_]*$/.test(label) || label === 'le' || label === 'stage') problems.push(`${name}: bad label '${label}'`);
    if (new Set(spec.labels).size !== spec.labels.length) problems.push(`${name}: repeated label`);
  }
  return problems;
}

describe('METRICS (metric-names.ts)', () => {
  it('every name matches quell_<stage>_..., counters end in _total, time metrics in _seconds, no name repeats', () => {
    assert.deepEqual(violations(METRICS), []);
  });

  it('the table is not empty and has metrics for every stage', () => {
    for (const stage of ['capture', 'inference', 'playback']) {
      assert.ok(Object.keys(METRICS).some((n) => n.startsWith(`quell_${stage}_`)), `no ${stage} metrics`);
    }
  });

  it('violations() reports each broken convention', () => {
    const bad: Record<string, MetricSpec> = {
      quell_capture_chunks_sent: { type: 'counter', help: 'x', labels: [] },
      quell_mixer_level: { type: 'gauge', help: 'x', labels: [] },
      quell_inference_latency_ms: { type: 'histogram', help: 'x', labels: [] },
      quell_playback_depth_total: { type: 'gauge', help: 'x', labels: [] },
      quell_playback_wait: { type: 'gauge', help: '', labels: ['Reason'] },
    };
    const found = violations(bad);
    assert.ok(found.some((p) => p.startsWith('quell_capture_chunks_sent: counter without _total')));
    assert.ok(found.some((p) => p.startsWith('quell_mixer_level: does not match')));
    assert.ok(found.some((p) => p.startsWith('quell_inference_latency_ms: time metric not in _seconds')));
    assert.ok(found.some((p) => p.startsWith("quell_inference_latency_ms: 'ms' is not a base unit")));
    assert.ok(found.some((p) => p.startsWith('quell_playback_depth_total: gauge ending in _total')));
    assert.ok(found.some((p) => p.startsWith('quell_playback_wait: empty help')));
    assert.ok(found.some((p) => p.startsWith("quell_playback_wait: bad label 'Reason'")));
  });
});
