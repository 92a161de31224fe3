import { sumSamples, type MetricSample } from '@quell/runtime';

/** End-to-end latency of the real chunks played between two playback scrapes. */
export interface LatencyWindow {
  /** Chunks that reached the sink in the window (concealment not included). */
  count: number;
  /** Their mean latency, s (0 when none). */
  meanS: number;
  /** How many of them took longer than `overS` (a histogram bucket bound). */
  over: number;
}

/**
 * Reads playback's latency histogram scrape by scrape and returns each
 * window's count, mean and how many chunks exceeded `overS`, which must be
 * one of LATENCY_BUCKETS_S (runtime) so it is a bucket bound.
 */
export class LatencyWindows {
  readonly #overS: string;
  #sum = 0;
  #count = 0;
  #under = 0;

  constructor(overS: number) {
    this.#overS = String(overS);
  }

  next(m: MetricSample[]): LatencyWindow {
    const sum = sumSamples(m, 'quell_playback_latency_seconds_sum');
    const count = sumSamples(m, 'quell_playback_latency_seconds_count');
    const under = sumSamples(m, 'quell_playback_latency_seconds_bucket', { le: this.#overS });
    const n = count - this.#count;
    const window = { count: n, meanS: n > 0 ? (sum - this.#sum) / n : 0, over: n - (under - this.#under) };
    this.#sum = sum;
    this.#count = count;
    this.#under = under;
    return window;
  }
}

/** Stops and continues a process: `SIGSTOP` now, `SIGCONT` after `ms`. */
export async function freeze(pid: number, ms: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}
