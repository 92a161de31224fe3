import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type StageName = 'capture' | 'inference' | 'playback';

/** A message a stage sends its parent over IPC (see runtime's notifyParent). */
export type StageMessage = { type: string; [key: string]: unknown };

/** Path of a stage's built entry point. */
export function stageEntry(stage: StageName): string {
  return fileURLToPath(import.meta.resolve(`@quell/${stage}/main`));
}

/**
 * One stage running as a real child process, with an IPC channel for its
 * ready/progress/stream-end reports. stderr is collected for error messages.
 */
export class StageProcess {
  readonly stage: StageName;
  readonly child: ChildProcess;
  readonly ready: Promise<StageMessage>;
  readonly exited: Promise<number | null>;
  #stderr = '';
  #listeners = new Set<(m: StageMessage) => void>();

  /**
   * `launcher`: a command prefix that execs the stage's node, e.g. `['ip', 'netns', 'exec', NS]` or
   * `['taskset', '-c', '1']` (it must exec, not fork, so the IPC channel and the pid are the stage's).
   */
  constructor(stage: StageName, args: string[], env: NodeJS.ProcessEnv = {}, launcher: string[] = []) {
    this.stage = stage;
    this.child = fork(stageEntry(stage), args, {
      env: { ...process.env, ...env, QUELL_REPORT_IPC: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      ...(launcher.length > 0 ? { execPath: launcher[0], execArgv: [...launcher.slice(1), process.execPath] } : {}),
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        if (typeof m === 'object' && m !== null && (m as StageMessage).type === 'ready') resolve(m as StageMessage);
      };
      this.child.on('message', onMessage);
      void this.exited.then((code) => reject(new Error(`${stage} exited with code ${code} before it was ready: ${this.stderrTail}`)));
    });
    this.child.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null) for (const l of this.#listeners) l(m as StageMessage);
    });
  }

  get stderrTail(): string {
    return this.#stderr.trim().split('\n').slice(-3).join(' | ');
  }

  onMessage(listener: (m: StageMessage) => void): void {
    this.#listeners.add(listener);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with the exit code. */
  async stop(graceMs = 3000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
