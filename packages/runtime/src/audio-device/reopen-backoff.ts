/**
 * Delays between attempts to reopen a failed device: 100 ms doubling up to `maxDelayMs` (5 s by default),
 * so an unplugged device is retried quickly at first without spinning while it stays away.
 */
export class ReopenBackoff {
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  #nextDelayMs: number;

  constructor(maxDelayMs = 5000, initialDelayMs = 100) {
    if (!(initialDelayMs > 0) || !(maxDelayMs >= initialDelayMs)) {
      throw new TypeError(`ReopenBackoff needs 0 < initialDelayMs <= maxDelayMs, got ${initialDelayMs}, ${maxDelayMs}`);
    }
    this.#initialDelayMs = initialDelayMs;
    this.#maxDelayMs = maxDelayMs;
    this.#nextDelayMs = initialDelayMs;
  }

  /** Delay before the next attempt, ms; each call doubles the following one, up to the maximum. */
  nextDelayMs(): number {
    const delayMs = this.#nextDelayMs;
    this.#nextDelayMs = Math.min(this.#maxDelayMs, delayMs * 2);
    return delayMs;
  }

  /** Call once the device has worked for a while, so the next failure is retried quickly again. */
  reset(): void {
    this.#nextDelayMs = this.#initialDelayMs;
  }
}
