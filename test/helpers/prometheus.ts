// A real Prometheus for integration tests: started on a free loopback port
// with its own temp storage, scraping a test pipeline with the shipped config
// (same jobs, same rule files) at a 1 s interval.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageName } from '@quell/cli';
import { tempDir } from './pipeline.js';
import { freePort } from './ports.js';
import { REPO_ROOT } from './run.js';

export const PROMETHEUS_CONFIG = join(REPO_ROOT, 'deploy/prometheus/prometheus.yml');
export const ALERT_RULES = join(REPO_ROOT, 'deploy/prometheus/rules/quell-alerts.yml');
export const DASHBOARD = join(REPO_ROOT, 'deploy/grafana/dashboards/quell.json');

/** The stages' default metrics ports, as the shipped prometheus.yml lists them. */
const DEFAULT_PORTS: Record<StageName, number> = { capture: 9101, inference: 9102, playback: 9103 };

function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one '${from}' in ${PROMETHEUS_CONFIG}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/**
 * The shipped prometheus.yml with each stage's target moved to the test
 * pipeline's metrics port, scrape and rule evaluation every second, the rule
 * file as an absolute path and the file_sd glob pointed at an empty folder.
 * Throws if the shipped file no longer has what it replaces.
 */
export async function testPrometheusConfig(ports: Record<StageName, number>, sdDir: string): Promise<string> {
  let text = await readFile(PROMETHEUS_CONFIG, 'utf8');
  for (const stage of Object.keys(DEFAULT_PORTS) as StageName[]) {
    text = replaceOnce(text, `targets: ['127.0.0.1:${DEFAULT_PORTS[stage]}']`, `targets: ['127.0.0.1:${ports[stage]}']`);
  }
  text = replaceOnce(text, 'scrape_interval: 5s', 'scrape_interval: 1s');
  text = replaceOnce(text, 'evaluation_interval: 5s', 'evaluation_interval: 1s');
  text = replaceOnce(text, '- rules/quell-alerts.yml', `- '${ALERT_RULES}'`);
  text = replaceOnce(text, "'targets/inference-*.yml'", `'${join(sdDir, 'inference-*.yml')}'`);
  return text;
}

export interface PromResult {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string] }[] };
}

export interface RunningPrometheus {
  url: string;
  configPath: string;
  /** Instant query via /api/v1/query; HTTP 400/422 answers (parse errors) resolve with status 'error'. */
  query(expr: string): Promise<PromResult>;
  /** /api/v1/rules: every loaded rule with its expr, health and last error. */
  rules(): Promise<{ name: string; query: string; health: string; lastError?: string; type: string }[]>;
  /** /api/v1/alerts: active (pending or firing) alerts. */
  alerts(): Promise<{ labels: Record<string, string>; state: string }[]>;
  stop(): Promise<void>;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return res.json();
}

/** Starts `prometheus` against the test pipeline's metrics ports; resolves once it is ready. */
export async function startPrometheus(ports: Record<StageName, number>): Promise<RunningPrometheus> {
  const dir = await tempDir('quell-prometheus-');
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(configPath, await testPrometheusConfig(ports, dir));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('prometheus', [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`cannot start prometheus (apt-get install prometheus): ${err.message}`))));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    const ready = await Promise.race([
      spawnError,
      fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false),
    ]);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready after 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    configPath,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: expr }),
        signal: AbortSignal.timeout(5000),
      });
      return (await res.json()) as PromResult;
    },
    async rules() {
      const body = (await getJson(`${url}/api/v1/rules`)) as { data: { groups: { rules: { name: string; query: string; health: string; lastError?: string; type: string }[] }[] } };
      return body.data.groups.flatMap((g) => g.rules);
    },
    async alerts() {
      const body = (await getJson(`${url}/api/v1/alerts`)) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      return body.data.alerts;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` every 250 ms until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---- Grafana dashboard JSON ----

export interface DashboardTarget {
  panelId: number;
  panelTitle: string;
  refId: string;
  expr: string;
  datasource: unknown;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: unknown;
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: { refId: string; expr?: string; datasource?: unknown }[];
  panels?: DashboardPanel[];
}

export interface Dashboard {
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query?: unknown; current?: { value?: unknown } }[] };
}

export async function readDashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested (collapsed) panels included. */
export function allPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function dashboardTargets(dashboard: Dashboard): DashboardTarget[] {
  return allPanels(dashboard).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panelId: p.id, panelTitle: p.title, refId: t.refId, expr: t.expr ?? '', datasource: t.datasource })),
  );
}

/**
 * Replaces the Grafana variables a panel query may use with what Grafana
 * would send for "last few minutes, all instances, all streams", so Prometheus can run it.
 * Throws on a variable it does not know, so a new one cannot slip through untested.
 */
export function expandGrafanaVariables(expr: string, values: { rateInterval: string; range: string }): string {
  const out = expr
    .replaceAll('$__rate_interval', values.rateInterval)
    .replaceAll('$__range', values.range)
    .replaceAll('$instance', '.*')
    .replaceAll('$stream', '.*');
  const left = /\$\{?[A-Za-z_]\w*/.exec(out);
  if (left) throw new Error(`unknown Grafana variable ${left[0]} in: ${expr}`);
  return out;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * Metric names a PromQL expression selects: identifiers that are not
 * functions, keywords, label names (inside {} or by/on/...()), durations or
 * number exponents. Good enough for the dashboard and the rules; not a parser.
 */
export function metricNamesIn(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const at = m.index ?? 0;
    if (at > 0 && /[0-9.]/.test(s[at - 1])) continue;
    if (PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    if (s.slice(at + m[0].length).trimStart().startsWith('(')) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

/** The name of every alert in the shipped rules file, from its `- alert:` lines (to compare with what Prometheus loaded). */
export async function alertNamesInRulesFile(): Promise<string[]> {
  const text = await readFile(ALERT_RULES, 'utf8');
  return [...text.matchAll(/^\s*- alert:\s*(\S+)\s*$/gm)].map((m) => m[1]);
}
