import { CONFIG_EXIT_CODE, HelpRequested } from '../config/options.js';
import { QuellError } from '../errors.js';

/** A started stage: close() stops the source, drains in-flight audio and flushes sinks. */
export interface StageHandle {
  close(): Promise<void>;
  /** Where the stage ended up listening (bound endpoints, metrics port), reported when ready. */
  readonly info?: Record<string, unknown>;
  /**
   * Resolves when the stage has finished its work by itself (an inference node
   * told to drain after a hand-over); runStage then closes it and exits with
   * RETIRED_EXIT_CODE.
   */
  readonly done?: Promise<void>;
  /**
   * Resolves with the error when a loop the stage cannot do without (its
   * receive loop, its source loop) has died: runStage then closes the stage and
   * exits with LOOP_FAILED_EXIT_CODE so the supervisor restarts it, instead of
   * leaving a process that is up, ready and deaf.
   */
  readonly failed?: Promise<Error>;
}

/** Exit code of a stage whose essential loop failed (`StageHandle.failed`): not in pm2's stop_exit_codes, so pm2 restarts it. */
export const LOOP_FAILED_EXIT_CODE = 1;

/** A stage's `failed` promise and the function its loops call when they die (the first call wins). */
export function loopFailure(): { failed: Promise<Error>; fail(err: unknown): void } {
  let fail: (err: unknown) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => {
    fail = (err) => resolve(err instanceof Error ? err : new Error(String(err)));
  });
  return { failed, fail };
}

/** A start-up failure the user can fix (missing file, port in use...): one line, exit 2. */
export class StartupError extends QuellError {}

/**
 * Exit code of a stage that finished its work by itself (`StageHandle.done`:
 * an inference node drained after its streams moved to another node). Not 0,
 * so a supervisor can be told not to restart it (pm2 `stop_exit_codes`):
 * a restarted node would register again and take the streams back.
 */
export const RETIRED_EXIT_CODE = 3;

/** Longest a stage may take to shut down before it exits anyway. */
const SHUTDOWN_BUDGET_MS = 1800;

/**
 * The only place that installs signal handlers and exits. Bad configuration
 * and start-up errors print one line and exit with code 2; SIGINT/SIGTERM
 * close the stage and exit 0 within the 2 s budget.
 */
export async function runStage(stage: string, start: () => Promise<StageHandle>): Promise<void> {
  let handle: StageHandle;
  try {
    handle = await start();
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.text);
      process.exit(0);
    }
    if (err instanceof QuellError) {
      process.stderr.write(`quell ${stage}: ${(err as Error).message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw err;
  }
  let stopping = false;
  const stop = (exitCode = 0): void => {
    if (stopping) return;
    stopping = true;
    const guard = setTimeout(() => process.exit(exitCode), SHUTDOWN_BUDGET_MS);
    guard.unref();
    handle.close().then(
      () => process.exit(exitCode),
      (err: unknown) => {
        process.stderr.write(`quell ${stage}: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop());
  process.on('SIGTERM', () => stop());
  void handle.done?.then(() => stop(RETIRED_EXIT_CODE), () => stop());
  void handle.failed?.then((err) => {
    if (stopping) return;
    process.stderr.write(`quell ${stage}: ${err.message}: exiting with ${LOOP_FAILED_EXIT_CODE} so that it is restarted\n`);
    stop(LOOP_FAILED_EXIT_CODE);
  });
  // pm2 (wait_ready) and `quell process` both wait for this message.
  process.send?.('ready');
  notifyParent({ type: 'ready', stage, ...handle.info });
}

/** Reports to the `quell process` orchestrator when it asked for reports (QUELL_REPORT_IPC=1). */
export function notifyParent(message: Record<string, unknown>): void {
  if (process.env.QUELL_REPORT_IPC === '1' && process.send) process.send(message);
}
