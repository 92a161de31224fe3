import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { num, type ConfigOf } from '../config/options.js';
import type { Logger } from '../log/logger.js';

/** Scheduling options every stage takes, spread into its option table like LINK_SECURITY_OPTIONS. */
export const PROCESS_OPTIONS = {
  priority: num(0, 'Scheduling niceness of the whole stage, -20 (most favoured) to 19. Below 0 keeps audio flowing when other work loads the CPU; it needs root or CAP_SYS_NICE, and a refusal is a warning, not an error', { min: -20, max: 19, int: true }),
};

export type ProcessConfig = ConfigOf<typeof PROCESS_OPTIONS>;

/**
 * Sets the niceness of every thread the process has now. On Linux niceness
 * belongs to a thread, and setpriority(0) changes only the caller's; threads
 * made later (ONNX Runtime's pool, libuv's) inherit it from the main thread.
 * Returns the threads changed; a refusal is logged once and leaves the rest.
 */
export function applyProcessPriority(priority: number, log: Logger): number {
  if (priority === 0) return 0;
  let threadIds: number[] = [0];
  try {
    threadIds = readdirSync('/proc/self/task').map(Number);
  } catch {
    // No procfs (macOS, Windows): the calling thread is all we can reach.
  }
  let changed = 0;
  for (const tid of threadIds) {
    try {
      setPriority(tid, priority);
      changed += 1;
    } catch (err) {
      log.warn({ priority, reason: (err as Error).message }, 'priority refused, running at normal priority: run as root, grant CAP_SYS_NICE, or set priority 0');
      return changed;
    }
  }
  log.info({ priority, threads: changed }, 'scheduling priority set');
  return changed;
}
