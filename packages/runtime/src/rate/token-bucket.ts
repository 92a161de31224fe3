/**
 * A token bucket: `ratePerS` tokens a second, at most `burst` held, full at the start. Pure: the caller passes
 * the time (ms on one monotonic clock).
 */
export class TokenBucket {
  readonly ratePerS: number;
  readonly burst: number;
  #tokens: number;
  #lastMs: number;

  /** `nowMs`: when the bucket starts filling; left out, the first call starts it. */
  constructor(ratePerS: number, burst: number, nowMs = Number.NaN) {
    this.ratePerS = ratePerS;
    this.burst = burst;
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  /** Takes one token if there is one. */
  take(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** How long until `take()` succeeds, ms (0: now). */
  msUntilToken(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens >= 1 ? 0 : ((1 - this.#tokens) * 1000) / this.ratePerS;
  }

  /** True when the bucket holds `burst` tokens: nothing taken recently. */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.burst;
  }

  #refill(nowMs: number): void {
    if (!Number.isNaN(this.#lastMs)) this.#tokens = Math.min(this.burst, this.#tokens + ((nowMs - this.#lastMs) * this.ratePerS) / 1000);
    this.#lastMs = nowMs;
  }
}
