import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Percentiles of a sample array (sorted copy), in the samples' unit. */
export function percentiles(values: ArrayLike<number>): { p50: number; p99: number; max: number; mean: number; count: number } {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0, mean: sorted.length ? sum / sorted.length : 0, count: sorted.length };
}

/** The middle value (the upper one of an even count), as `percentiles(values).p50`. */
export function median(values: ArrayLike<number>): number {
  return percentiles(values).p50;
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Writes a scenario's result as JSON at bench/results/<scenario>/<date>-<sha>.json
 * with the machine and commit it ran on, and returns the path.
 */
export function writeResult(scenario: string, config: Record<string, unknown>, results: Record<string, unknown>): string {
  const sha = commit();
  const date = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(REPO_ROOT, 'bench', 'results', scenario);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${date}-${sha}.json`);
  const body = {
    scenario,
    commit: sha,
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    config,
    results,
  };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
  return path;
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]);
  const cell = (v: string | number): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  console.log(`\n${title}`);
  console.log(keys.map((k, i) => k.padEnd(widths[i])).join('  '));
  for (const r of rows) console.log(keys.map((k, i) => cell(r[k]).padStart(widths[i])).join('  '));
}
