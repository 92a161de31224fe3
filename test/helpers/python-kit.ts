import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, run, type RunResult } from './run.js';

/** Debian's Python, which has python3-zmq, python3-msgpack and python3-numpy (the `python3` on PATH may not). */
export const PYTHON = '/usr/bin/python3';
export const PYTHON_KIT = join(REPO_ROOT, 'clients', 'python');
const ENV = { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };

/** Path of one of the kit's example programs. */
export function pythonExample(name: string): string {
  return join(PYTHON_KIT, 'examples', name);
}

/** Runs a Python program of the kit to completion. */
export function runPython(args: string[], timeoutMs = 60_000, input?: string): Promise<RunResult> {
  if (input === undefined) return run(PYTHON, args, { env: ENV, timeoutMs });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(PYTHON, args, { cwd: REPO_ROOT, env: { ...process.env, ...ENV }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, durationMs: performance.now() - started });
    });
    child.stdin.end(input);
  });
}

/** A long-running Python program of the kit (a node, a receiver): its exit code and stdout once it ends. */
export interface PythonProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** The JSON object of its last stdout line (the examples print a summary at exit). */
  summary(): Promise<Record<string, unknown>>;
  kill(): void;
}

export function startPython(args: string[]): PythonProcess {
  const child = spawn(PYTHON, args, { cwd: REPO_ROOT, env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    exited,
    async summary() {
      const { stdout: out, stderr: err } = await exited;
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`no JSON summary from ${args.join(' ')}: stdout '${out}', stderr '${err}'`);
      }
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Polls `check` every 50 ms until it is true or `timeoutMs` passes; returns whether it became true. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
