import { setTimeout as sleep } from 'node:timers/promises';
import { formatStatus } from './format-status.js';
import type { StatusStage } from './status-stage.js';
import { StatusPoller } from './status-poller.js';

export interface StatusOptions {
  urls: Record<StatusStage, string>;
  /** Time between redraws, ms (> 0). */
  intervalMs: number;
  /** Print one snapshot as JSON and return instead of redrawing. */
  json: boolean;
  out: NodeJS.WriteStream;
  /** Stops the live view (main.ts aborts it on SIGINT/SIGTERM). */
  signal: AbortSignal;
}

const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/**
 * `quell status`: reads every stage's /metrics and shows one line per stage.
 * With `json`, prints one snapshot and resolves. Otherwise redraws in place
 * every `intervalMs` on a terminal (plain successive tables when stdout is
 * not a TTY) until `signal` aborts. A stage that does not answer is shown as
 * down; nothing here throws for an unreachable stage.
 */
export async function runStatus(options: StatusOptions): Promise<void> {
  if (!(options.intervalMs > 0)) throw new TypeError(`intervalMs must be > 0, got ${options.intervalMs}`);
  const poller = new StatusPoller(options.urls, Math.min(800, options.intervalMs));
  if (options.json) {
    options.out.write(`${JSON.stringify(await poller.poll(), null, 2)}\n`);
    return;
  }
  const tty = options.out.isTTY === true;
  if (tty) options.out.write(`${HIDE_CURSOR}\x1b[2J`);
  try {
    while (!options.signal.aborted) {
      const started = performance.now();
      const text = formatStatus(await poller.poll(), { color: tty, intervalMs: options.intervalMs });
      if (tty) options.out.write(`${HOME}${text.split('\n').join(`${CLEAR_LINE_END}\n`)}${CLEAR_LINE_END}\n${CLEAR_BELOW}`);
      else options.out.write(`${text}\n\n`);
      const waitMs = options.intervalMs - (performance.now() - started);
      if (waitMs > 0) await sleep(waitMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    if (tty) options.out.write(SHOW_CURSOR);
  }
}
