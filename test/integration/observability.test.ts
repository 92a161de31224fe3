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
    for (const name of ['quell_playback_latency_seconds', 'quell_inference_realtime_factor', 'quell_inference_model_info', 'quell_capture_pacer_lateness_seconds', 'quell_playback_underruns_total', 'quell_playback_gaps_total', 'quell_playback_jitter_buffer_target_chunks']) {
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

describe('dashboard and alerts against a live pipeline scraped by a real Prometheus', { timeout: 180_000 }, () => {
  let pipeline: RunningPipeline;
  let prom: RunningPrometheus;

  before(async () => {
    pipeline = await startPipeline({
      capture: ['--source', 'synth'],
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
      const snapshot = JSON.parse(r.stdout) as { stages: Record<StageName, { up: boolean; chunks: Record<string, number>; model: string | null; drops: { total: number } }> };
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
