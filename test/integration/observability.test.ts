// Observability contract: the shipped Prometheus config and alert rules load
// in a real Prometheus, every Grafana panel query and alert expr runs against
// a live pipeline, the dashboard only names metrics from METRICS that a real
// scrape has, and `quell status --json` agrees with the stages' /metrics.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { METRICS } from '@quell/protocol';
import type { StageName } from '@quell/cli';
import { STREAM_SERIES_LINGER_MS, writeWav, type MetricSample } from '@quell/runtime';
import { metric, startPipeline, tempDir, type RunningPipeline } from '../helpers/pipeline.js';
import {
  ALERT_RULES,
  PROMETHEUS_CONFIG,
  allPanels,
  alertNamesInRulesFile,
  dashboardTargets,
  expandGrafanaVariables,
  metricNamesIn,
  readDashboard,
  startPrometheus,
  testPrometheusConfig,
  waitFor,
  type RunningPrometheus,
} from '../helpers/prometheus.js';
import { quell, REPO_ROOT, run } from '../helpers/run.js';

const STAGES: StageName[] = ['capture', 'inference', 'playback'];
/** Names Prometheus itself adds to every target. */
const PROMETHEUS_SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;
/** The live pipeline's two file streams: the first ends early (its series must go), the second flows until the end. */
const RATE_HZ = 16_000;
const CHUNK_FRAMES = 160;
/** Frames of the first file: 6 s and half a chunk, so its last chunk is short. */
const FIRST_STREAM_FRAMES = 6 * RATE_HZ + CHUNK_FRAMES / 2;
const SECOND_STREAM_FRAMES = 150 * RATE_HZ;
/** Metrics exported per stream by the stages themselves (capture's stream_node_info comes from the router's routes). */
const PER_STREAM = (Object.keys(METRICS) as (keyof typeof METRICS)[]).filter((n) => METRICS[n].labels[0] === 'stream' && n !== 'quell_capture_stream_node_info' && n !== 'quell_inference_lsnr_db');

async function writeSine(path: string, frames: number): Promise<void> {
  const samples = new Float32Array(frames);
  for (let i = 0; i < samples.length; i++) samples[i] = 0.25 * Math.sin((2 * Math.PI * 440 * i) / RATE_HZ);
  await writeWav(path, samples, RATE_HZ, 1);
}

/** The series name a scrape shows for a metric (a histogram's _count). */
function seriesName(name: keyof typeof METRICS): string {
  return METRICS[name].type === 'histogram' ? `${name}_count` : name;
}

/** Stream ids with at least one sample of `name` in a scrape. */
function streamsIn(samples: readonly MetricSample[], name: string): Set<string> {
  return new Set(samples.filter((s) => s.name === name && s.labels.stream !== undefined).map((s) => s.labels.stream));
}

/** The METRICS entry a series name belongs to (a histogram's _bucket/_sum/_count map to the histogram). */
function metricSpecOf(series: string): string | undefined {
  if (series in METRICS) return series;
  const base = series.replace(HISTOGRAM_SUFFIX, '');
  return base !== series && (METRICS as Record<string, { type: string }>)[base]?.type === 'histogram' ? base : undefined;
}

async function ruleExprs(): Promise<string[]> {
  // Prometheus parses the file for us in the live test; here a light read is
  // enough to collect metric names: every `expr:` value up to the next key.
  const text = await readFile(ALERT_RULES, 'utf8');
  const exprs: string[] = [];
  for (const m of text.matchAll(/^(\s*)expr:\s*(>-|\|-?|>)?(.*)$/gm)) {
    if (m[3].trim() !== '') {
      exprs.push(m[3].trim());
      continue;
    }
    const rest = text.slice((m.index ?? 0) + m[0].length + 1).split('\n');
    const body: string[] = [];
    for (const line of rest) {
      if (line.trim() !== '' && line.search(/\S/) <= m[1].length) break;
      body.push(line.trim());
    }
    exprs.push(body.join(' ').trim());
  }
  return exprs;
}

describe('shipped Prometheus config and alert rules', () => {
  it('promtool check config accepts deploy/prometheus/prometheus.yml', async () => {
    const r = await run('promtool', ['check', 'config', PROMETHEUS_CONFIG]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /SUCCESS: .*prometheus\.yml is valid/);
    assert.match(r.stdout + r.stderr, /SUCCESS: 1 rule files found/);
  });

  it('promtool check rules accepts the alert rules and finds every alert', async () => {
    const r = await run('promtool', ['check', 'rules', ALERT_RULES]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const alerts = await alertNamesInRulesFile();
    assert.ok(alerts.length >= 5, `only ${alerts.length} alerts`);
    assert.match(r.stdout + r.stderr, new RegExp(`SUCCESS: ${alerts.length} rules found`));
    for (const name of ['QuellStageDown', 'QuellChunksDropped', 'QuellLatencyOverBudget', 'QuellRealtimeFactorHigh', 'QuellCaptureStalled']) {
      assert.ok(alerts.includes(name), `missing alert ${name}`);
    }
  });

  it('the config the tests derive from it (test ports, 1 s intervals) passes promtool too', async () => {
    const dir = await tempDir();
    const path = join(dir, 'prometheus.yml');
    await writeFile(path, await testPrometheusConfig({ capture: 1, inference: 2, playback: 3 }, dir));
    const r = await run('promtool', ['check', 'config', path]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const text = await readFile(path, 'utf8');
    for (const job of ['quell-capture', 'quell-inference', 'quell-playback']) assert.ok(text.includes(`job_name: ${job}`));
  });
});

describe('Grafana dashboard structure', () => {
  it('has unique panel ids, a datasource and an expr on every target, a unit on every timeseries/stat panel', async () => {
    const dashboard = await readDashboard();
    const panels = allPanels(dashboard);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `repeated panel ids: ${ids}`);
    const problems: string[] = [];
    for (const p of panels) {
      if ((p.type === 'timeseries' || p.type === 'stat') && !p.fieldConfig?.defaults?.unit) problems.push(`panel ${p.id} '${p.title}': no unit`);
      if (p.type !== 'row' && p.type !== 'text' && (p.targets ?? []).length === 0) problems.push(`panel ${p.id} '${p.title}': no targets`);
    }
    for (const t of dashboardTargets(dashboard)) {
      const ds = t.datasource as { type?: string; uid?: string } | undefined;
      if (ds?.type !== 'prometheus' || !(ds.uid === '${datasource}' || ds.uid === 'quell-prometheus')) problems.push(`panel ${t.panelId} ${t.refId}: datasource ${JSON.stringify(ds)}`);
      if (t.expr.trim() === '') problems.push(`panel ${t.panelId} ${t.refId}: empty expr`);
    }
    assert.deepEqual(problems, []);
  });

  it('defaults its datasource variable to the uid the provisioning file sets', async () => {
    const dashboard = await readDashboard();
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    assert.equal(variable?.type, 'datasource');
    assert.equal(variable?.query, 'prometheus');
    assert.equal(variable?.current?.value, 'quell-prometheus');
    const provisioning = await readFile(join(REPO_ROOT, 'deploy/grafana/provisioning/datasources/quell.yml'), 'utf8');
    assert.match(provisioning, /^\s*uid: quell-prometheus$/m);
    assert.match(provisioning, /^\s*type: prometheus$/m);
  });

  it('has a multi-value stream variable read from a per-stream metric, used by every panel of the Streams row', async () => {
    const dashboard = await readDashboard();
    const variable = dashboard.templating.list.find((v) => v.name === 'stream') as { type: string; multi?: boolean; includeAll?: boolean; allValue?: string; definition?: string } | undefined;
    assert.equal(variable?.type, 'query');
    assert.equal(variable?.multi, true);
    assert.equal(variable?.includeAll, true);
    assert.equal(variable?.allValue, '.*');
    const m = /^label_values\((\w+)(\{[^}]*\})?, stream\)$/.exec(variable?.definition ?? '');
    assert.ok(m, `unexpected stream variable query ${variable?.definition}`);
    assert.deepEqual((METRICS as Record<string, { labels: readonly string[] }>)[m[1]]?.labels, ['stream']);
    const row = dashboard.panels.findIndex((p) => p.type === 'row' && p.title === 'Streams');
    assert.ok(row >= 0, 'no Streams row');
    const next = dashboard.panels.findIndex((p, i) => i > row && p.type === 'row');
    const streamPanels = dashboard.panels.slice(row + 1, next < 0 ? undefined : next);
    assert.ok(streamPanels.length >= 6, `only ${streamPanels.length} panels in the Streams row`);
    for (const p of streamPanels) {
      for (const t of p.targets ?? []) {
        assert.match(t.expr ?? '', /stream=~"\$stream"/, `panel ${p.id} ${t.refId} does not filter on $stream`);
        assert.match((t as { legendFormat?: string }).legendFormat ?? '', /\{\{stream\}\}/, `panel ${p.id} ${t.refId}: legend without {{stream}}`);
      }
    }
  });

  it('names only quell_* metrics that are in METRICS, in panels and in alert rules', async () => {
    const dashboard = await readDashboard();
    const exprs = [...dashboardTargets(dashboard).map((t) => t.expr), ...(await ruleExprs())];
    assert.ok(exprs.length > 40, `only ${exprs.length} expressions found`);
    const unknown = new Set<string>();
    const used = new Set<string>();
    for (const expr of exprs) {
      for (const name of metricNamesIn(expr)) {
        if (!name.startsWith('quell_')) continue;
        const spec = metricSpecOf(name);
        if (spec) used.add(spec);
        else unknown.add(name);
      }
    }
    assert.deepEqual([...unknown], [], 'names not in METRICS');
    // Every exported metric the issue asks for is on the dashboard.
    for (const name of ['quell_playback_latency_seconds', 'quell_inference_realtime_factor', 'quell_inference_model_info', 'quell_capture_pacer_lateness_seconds', 'quell_playback_underruns_total', 'quell_playback_gaps_total', 'quell_playback_jitter_buffer_target_chunks', 'quell_capture_stream_node_info', ...PER_STREAM]) {
      assert.ok(used.has(name), `${name} is on no panel`);
    }
  });

  it('metricNamesIn() finds selected metrics and skips functions, labels, keywords and numbers', () => {
    assert.deepEqual(
      metricNamesIn('sum by (instance, le) (rate(quell_x_seconds_bucket{le="0.1", a=~"$b"}[$__rate_interval])) / on (instance) group_left clamp_min(up, 1e-9) > bool 0 or vector(1)'),
      ['quell_x_seconds_bucket', 'up'],
    );
  });
});

describe('docs/METRICS.md', () => {
  it('holds the current output of scripts/metrics-table.mjs', async () => {
    const r = await run(process.execPath, ['scripts/metrics-table.mjs']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, Object.keys(METRICS).length + 2);
    const doc = await readFile(join(REPO_ROOT, 'docs/METRICS.md'), 'utf8');
    assert.ok(doc.includes(r.stdout.trim()), 'docs/METRICS.md is stale: run `node scripts/metrics-table.mjs --write docs/METRICS.md`');
  });
});

describe('dashboard and alerts against a live pipeline scraped by a real Prometheus', { timeout: 240_000 }, () => {
  let pipeline: RunningPipeline;
  let prom: RunningPrometheus;

  before(async () => {
    const dir = await tempDir();
    await writeSine(join(dir, 'first.wav'), FIRST_STREAM_FRAMES);
    await writeSine(join(dir, 'second.wav'), SECOND_STREAM_FRAMES);
    // Two streams one after the other (the file source sends its files in turn): ids 1 and 2.
    pipeline = await startPipeline({
      capture: ['--source', 'file', '--files', `${join(dir, 'first.wav')},${join(dir, 'second.wav')}`, '--chunk-frames', String(CHUNK_FRAMES)],
      inference: ['--model', 'passthrough'],
      playback: ['--sink', 'null'],
    });
    const ports = Object.fromEntries(STAGES.map((s) => [s, Number(pipeline.info[s].metricsPort)])) as Record<StageName, number>;
    prom = await startPrometheus(ports);
    // Five scrapes of every stage, all up, so rate() over 10 s has points to work with.
    await waitFor('five scrapes of all three stages', 30_000, async () => {
      const r = await prom.query('min(count_over_time(up{job=~"quell-.*"}[1m])) >= 5 and on () count(up{job=~"quell-.*"} == 1) == 3');
      return r.status === 'success' && (r.data?.result.length ?? 0) > 0 ? true : undefined;
    });
  });

  after(async () => {
    await prom?.stop();
    await pipeline?.stop();
  });

  it('every metric a panel or rule selects exists in a real scrape of the stages', async () => {
    const scrapes = await Promise.all(STAGES.map((s) => pipeline.scrape(s)));
    const present = new Set(scrapes.flat().map((s) => s.name));
    const dashboard = await readDashboard();
    const missing = new Set<string>();
    for (const expr of [...dashboardTargets(dashboard).map((t) => t.expr), ...(await ruleExprs())]) {
      for (const name of metricNamesIn(expr)) if (!present.has(name) && !PROMETHEUS_SYNTHETIC.has(name)) missing.add(name);
    }
    assert.deepEqual([...missing], []);
  });

  it('every panel query parses and returns data with a finite value', async () => {
    const dashboard = await readDashboard();
    const targets = dashboardTargets(dashboard);
    assert.ok(targets.length > 30);
    const problems: string[] = [];
    for (const t of targets) {
      const expr = expandGrafanaVariables(t.expr, { rateInterval: '10s', range: '1m' });
      const r = await prom.query(expr);
      const where = `panel ${t.panelId} '${t.panelTitle}' ${t.refId}`;
      if (r.status !== 'success') problems.push(`${where}: ${r.errorType}: ${r.error}`);
      else if ((r.data?.result.length ?? 0) === 0) problems.push(`${where}: no data for ${expr}`);
      else if (!r.data!.result.some((s) => Number.isFinite(Number(s.value?.[1])))) problems.push(`${where}: only NaN/Inf for ${expr}`);
    }
    assert.deepEqual(problems, []);
  });

  it('every Streams-row panel shows both streams (the first one live or lingering after its end)', async () => {
    const dashboard = await readDashboard();
    const problems: string[] = [];
    for (const t of dashboardTargets(dashboard)) {
      const names = metricNamesIn(t.expr);
      // stream_node_info follows the router's live routes, so only the flowing stream is there.
      if (!names.some((n) => PER_STREAM.some((m) => n.startsWith(m)))) continue;
      const r = await prom.query(expandGrafanaVariables(t.expr, { rateInterval: '1m', range: '1m' }));
      const streams = new Set((r.data?.result ?? []).map((s) => s.metric.stream));
      if (!streams.has('1') || !streams.has('2')) problems.push(`panel ${t.panelId} '${t.panelTitle}' ${t.refId}: streams ${[...streams].join(',') || 'none'}`);
    }
    assert.deepEqual(problems, []);
  });

  it('per-stream counters of the ended stream add up across stages, and its series leave /metrics once it has lingered', async () => {
    await pipeline.streamEnded(1);
    const [cap, inf, pb] = await Promise.all(STAGES.map((s) => pipeline.scrape(s)));
    const one = { stream: '1' };
    // Every chunk of the first file (the last one short, flagged end-of-stream) was sent or counted as dropped.
    const chunks = Math.ceil(FIRST_STREAM_FRAMES / CHUNK_FRAMES);
    assert.equal(metric(cap, 'quell_capture_stream_chunks_sent_total', one) + metric(cap, 'quell_capture_stream_drops_total', one), chunks);
    assert.equal(metric(inf, 'quell_inference_stream_chunks_received_total', one), metric(cap, 'quell_capture_stream_chunks_sent_total', one));
    // Inference sends every chunk it processed unless its send queue was full (or the test hook dropped it).
    const unsent = metric(inf, 'quell_inference_stream_drops_total', { ...one, reason: 'queue-full' }) + metric(inf, 'quell_inference_stream_drops_total', { ...one, reason: 'injected' });
    assert.equal(metric(inf, 'quell_inference_stream_chunk_processing_seconds_count', one) - unsent, metric(pb, 'quell_playback_stream_chunks_received_total', one));
    // Each chunk playback kept was played once (concealed slots are played too).
    const kept = metric(pb, 'quell_playback_stream_chunks_received_total', one) - metric(pb, 'quell_playback_stream_drops_total', one);
    assert.ok(metric(pb, 'quell_playback_stream_chunks_played_total', one) >= kept, 'stream 1 played fewer chunks than playback kept');
    assert.equal(metric(pb, 'quell_playback_stream_jitter_buffer_depth_chunks', one), 0);

    // Prometheus has seen every per-stream metric for both streams (the dashboard's stream variable reads the same labels).
    for (const name of PER_STREAM) {
      const r = await prom.query(`count by (stream) (last_over_time(${seriesName(name)}{job=~"quell-.*"}[5m]))`);
      const streams = new Set((r.data?.result ?? []).map((s) => s.metric.stream));
      assert.ok(streams.has('1') && streams.has('2'), `${name}: streams ${[...streams].join(',')}`);
    }

    const scrapes = await waitFor(`stream 1's series to leave /metrics (${STREAM_SERIES_LINGER_MS} ms after its end)`, STREAM_SERIES_LINGER_MS + 15_000, async () => {
      const all = await Promise.all(STAGES.map((s) => pipeline.scrape(s)));
      return all.some((samples) => samples.some((s) => s.labels.stream === '1')) ? undefined : all;
    });
    const present = new Map(STAGES.map((stage, i) => [stage, scrapes[i]]));
    for (const name of PER_STREAM) {
      const stage = name.split('_')[1] as StageName;
      assert.deepEqual([...streamsIn(present.get(stage)!, seriesName(name))], ['2'], `${name} after stream 1 ended`);
    }
  });

  it('every alert rule loads, evaluates without error, and its expr parses as a query', async () => {
    const names = await alertNamesInRulesFile();
    const rules = await waitFor('every rule evaluated once', 15_000, async () => {
      const loaded = await prom.rules();
      return loaded.length === names.length && loaded.every((r) => r.health !== 'unknown') ? loaded : undefined;
    });
    assert.deepEqual(rules.map((r) => r.name).sort(), [...names].sort());
    for (const rule of rules) {
      assert.equal(rule.type, 'alerting');
      assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
      const r = await prom.query(rule.query);
      assert.equal(r.status, 'success', `${rule.name}: ${r.error}`);
    }
    const active = await prom.alerts();
    assert.ok(!active.some((a) => a.labels.alertname === 'QuellStageDown'), 'QuellStageDown active while every stage is up');
  });

  it('stopping capture makes the stage-down expr return data and QuellStageDown go pending or firing', async () => {
    const stageDown = (await prom.rules()).find((r) => r.name === 'QuellStageDown');
    assert.ok(stageDown);
    const whileUp = await prom.query(stageDown.query);
    assert.equal(whileUp.data?.result.length, 0, 'stage-down expr has data while all stages are up');
    await pipeline.capture.stop();
    const series = await waitFor('stage-down expr to return capture', 15_000, async () => {
      const r = await prom.query(stageDown.query);
      return r.data?.result.find((s) => s.metric.job === 'quell-capture');
    });
    assert.equal(series.metric.job, 'quell-capture');
    const alert = await waitFor('QuellStageDown alert for capture', 15_000, async () =>
      (await prom.alerts()).find((a) => a.labels.alertname === 'QuellStageDown' && a.labels.job === 'quell-capture'),
    );
    assert.ok(alert.state === 'pending' || alert.state === 'firing', alert.state);
    assert.equal(alert.labels.severity, 'critical');
  });
});

describe('quell status', { timeout: 60_000 }, () => {
  it('--json reports the same chunk counts as the stages\' /metrics once a 2 s synth stream has finished', async () => {
    const pipeline = await startPipeline({
      capture: ['--source', 'synth', '--synth-duration-s', '2'],
      inference: ['--model', 'passthrough'],
      playback: ['--sink', 'null'],
    });
    try {
      await pipeline.streamEnded(1);
      const urlArgs = STAGES.flatMap((s) => [`--${s}-url`, `127.0.0.1:${pipeline.info[s].metricsPort}`]);
      const r = await quell(['status', '--json', ...urlArgs], { timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stderr);
      const snapshot = JSON.parse(r.stdout) as {
        stages: Record<StageName, { up: boolean; chunks: Record<string, number>; model: string | null; drops: { total: number }; streams: Record<string, { chunks: number; drops: number }> }>;
      };
      const [cap, inf, pb] = await Promise.all(STAGES.map((s) => pipeline.scrape(s)));
      assert.ok(STAGES.every((s) => snapshot.stages[s].up));
      const sent = metric(cap, 'quell_capture_chunks_sent_total');
      assert.ok(sent >= 200, `capture sent only ${sent} chunks of a 2 s stream`);
      assert.deepEqual(snapshot.stages.capture.chunks, { sent });
      assert.deepEqual(snapshot.stages.inference.chunks, {
        received: metric(inf, 'quell_inference_chunks_received_total'),
        sent: metric(inf, 'quell_inference_chunks_sent_total'),
      });
      assert.deepEqual(snapshot.stages.playback.chunks, {
        received: metric(pb, 'quell_playback_chunks_received_total'),
        played: metric(pb, 'quell_playback_chunks_played_total'),
      });
      assert.equal(snapshot.stages.playback.drops.total, metric(pb, 'quell_playback_drops_total'));
      assert.equal(snapshot.stages.inference.model, 'passthrough');
      // The ended stream is still there (its series linger 30 s), per stage.
      const one = { stream: '1' };
      assert.deepEqual(snapshot.stages.capture.streams['1'], { chunks: metric(cap, 'quell_capture_stream_chunks_sent_total', one), drops: metric(cap, 'quell_capture_stream_drops_total', one), p99S: null });
      assert.equal(snapshot.stages.inference.streams['1'].chunks, metric(inf, 'quell_inference_stream_chunks_received_total', one));
      assert.equal(snapshot.stages.playback.streams['1'].chunks, metric(pb, 'quell_playback_stream_chunks_played_total', one));
      assert.ok(snapshot.stages.playback.streams['1'].chunks >= 200);
    } finally {
      await pipeline.stop();
    }
  });

  it('--json shows a stage that does not answer as down and still exits 0', async () => {
    const r = await quell(['status', '--json', '--capture-url', '127.0.0.1:1', '--inference-url', '127.0.0.1:1', '--playback-url', '127.0.0.1:1'], { timeoutMs: 15_000 });
    assert.equal(r.code, 0, r.stderr);
    const snapshot = JSON.parse(r.stdout) as { stages: Record<StageName, { up: boolean; error: string | null; chunks: unknown }> };
    for (const s of STAGES) {
      assert.equal(snapshot.stages[s].up, false);
      assert.ok(snapshot.stages[s].error);
      assert.equal(snapshot.stages[s].chunks, null);
    }
  });

  it('rejects a bad --interval-ms with the config exit code', async () => {
    const r = await quell(['status', '--interval-ms', 'soon']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--interval-ms/);
  });
});
