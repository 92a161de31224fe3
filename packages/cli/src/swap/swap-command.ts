import { spawn } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ControlOf, SwapOutcome } from '@quell/protocol';
import { createLinkSecurity, type LinkSecurityConfig } from '@quell/runtime';
import { stageEntry } from '../process/stage-process.js';
import { ControlClient } from './control-client.js';

export interface SwapOptions {
  model: string;
  /** Capture's control endpoint. */
  control: string;
  modelDir?: string;
  /** Id of the new node; default `<model>-<time>`. */
  nodeId?: string;
  /** Where the new node sends its output; default: where the active node sends. */
  outputEndpoint?: string;
  /** Folder for the new node's log. */
  logDir: string;
  /** Longest wait for the outcome, ms. */
  timeoutMs: number;
  /** More flags for the new inference node. */
  extraArgs?: string[];
  /** How this client proves itself to capture's control socket (by default this user's local key). */
  linkSecurity: LinkSecurityConfig;
}

export interface SwapResult {
  outcome: SwapOutcome;
  from: string;
  to: string;
  model: string;
  reason: string;
  durationS: number;
  /** The new node's process id (it keeps running after a completed swap). */
  pid: number;
  logPath: string;
  /** Capture's routing table after the swap. */
  status: ControlOf<'status'> | null;
}

/** Last non-empty line of a log, for a reason to show. */
async function lastLine(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
  return lines.at(-1)?.trim() ?? '';
}

/**
 * `quell swap`: starts a second inference node beside the running one,
 * detached, with its log in `logDir`, and waits on capture's control socket
 * until capture reports the swap completed (the new node serves every
 * stream) or rolled back (the old node kept them), or the new node exits
 * first (it could not load its model, for example). See docs/SWAP.md.
 */
export async function runSwap(options: SwapOptions): Promise<SwapResult> {
  const security = await createLinkSecurity(options.linkSecurity, 'swap', [{ endpoint: options.control, mode: 'connect' }]);
  const client = new ControlClient(options.control, security.curve[0]);
  try {
    const before = await client.status();
    const active = before.nodes.find((n) => n.role === 'active');
    const outputEndpoint = options.outputEndpoint ?? active?.outputEndpoint ?? 'tcp://127.0.0.1:5556';
    const nodeId = options.nodeId ?? `${options.model}-${Date.now().toString(36)}`;
    const outcome = client.next('swap', options.timeoutMs, (m) => m.to === nodeId);
    client.send({ type: 'watch' });
    // Let the watch land before the node can say hello.
    await new Promise((r) => setTimeout(r, 50));
    await mkdir(options.logDir, { recursive: true });
    const logPath = resolve(join(options.logDir, `inference-${nodeId.replace(/[^A-Za-z0-9._-]/g, '_')}.log`));
    const log = await open(logPath, 'a');
    const args = [
      stageEntry('inference'),
      '--model', options.model,
      '--control', options.control,
      '--output-endpoint', outputEndpoint,
      '--node-id', nodeId,
      '--metrics-port', '0',
      ...(options.modelDir ? ['--model-dir', options.modelDir] : []),
      ...(options.extraArgs ?? []),
    ];
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
    await log.close();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.unref();
    const first = await Promise.race([outcome.then((m) => ({ kind: 'swap' as const, m })), exited.then((code) => ({ kind: 'exit' as const, code }))]);
    const base = { to: nodeId, model: options.model, pid: child.pid ?? 0, logPath };
    let result: SwapResult;
    if (first.kind === 'swap' && first.m) {
      result = { ...base, outcome: first.m.outcome, from: first.m.from, reason: first.m.reason, durationS: first.m.durationS, status: null };
    } else if (first.kind === 'exit') {
      // Capture's own verdict may still be on its way (an aborted candidate exits right after hearing it).
      const late = await Promise.race([outcome, new Promise<null>((r) => setTimeout(() => r(null), 300))]);
      const reason = late?.reason ?? `the new node exited with code ${first.code} before serving: ${await lastLine(logPath)}`;
      result = { ...base, outcome: 'rolled-back', from: active?.node ?? '', reason, durationS: late?.durationS ?? 0, status: null };
    } else {
      child.kill('SIGTERM');
      result = { ...base, outcome: 'rolled-back', from: active?.node ?? '', reason: `no outcome within ${options.timeoutMs} ms; the new node was stopped`, durationS: options.timeoutMs / 1000, status: null };
    }
    result.status = await client.status().catch(() => null);
    return result;
  } finally {
    await client.close();
    await security.close();
  }
}

/** Human-readable routing table: which node and model serve each stream, and every node's role. */
export function formatRouting(status: ControlOf<'status'> | null): string {
  if (!status) return 'routing: capture did not answer';
  const lines = status.streams.map((s) => `stream ${s.stream}: node ${s.node} (${s.model}), seq ${s.seq}`);
  if (lines.length === 0) lines.push('no live streams');
  for (const n of status.nodes) lines.push(`node ${n.node}: ${n.model}, ${n.role}, pid ${n.pid}, metrics :${n.metricsPort}`);
  return lines.join('\n');
}

export function formatSwap(r: SwapResult): string {
  const head =
    r.outcome === 'completed'
      ? `swap completed in ${r.durationS.toFixed(2)} s: ${r.to} (${r.model}) now serves${r.from ? `, ${r.from} drained` : ''}`
      : `swap rolled back${r.from ? `: ${r.from} keeps serving` : ''}; reason: ${r.reason}`;
  return `${head}\n${formatRouting(r.status)}\nnew node log: ${r.logPath}`;
}
