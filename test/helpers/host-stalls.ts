/**
 * Watches this process's own timer for lateness: a test runner that is idle
 * between scrapes wakes late only when the whole machine stalls (a paused VM,
 * both cores saturated), which a real-time test cannot blame on the system
 * under test. Lateness above `thresholdMs` is recorded with when it ended.
 */
export class HostStallWatch {
  readonly #periodMs: number;
  readonly #thresholdMs: number;
  readonly #timer: NodeJS.Timeout;
  readonly stalls: { atMs: number; lateMs: number }[] = [];
  #lastMs = performance.now();

  constructor(periodMs = 10, thresholdMs = 40) {
    this.#periodMs = periodMs;
    this.#thresholdMs = thresholdMs;
    this.#timer = setInterval(() => this.#tick(), periodMs);
  }

  /** Largest lateness, ms, of the stalls that ended in [fromMs, toMs) (performance.now() times); 0 if none. */
  worstBetween(fromMs: number, toMs: number): number {
    let worst = 0;
    for (const s of this.stalls) if (s.atMs >= fromMs && s.atMs < toMs && s.lateMs > worst) worst = s.lateMs;
    return worst;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = performance.now();
    const lateMs = now - this.#lastMs - this.#periodMs;
    this.#lastMs = now;
    if (lateMs > this.#thresholdMs) this.stalls.push({ atMs: now, lateMs });
  }
}
