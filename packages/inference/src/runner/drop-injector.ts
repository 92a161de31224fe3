/**
 * Test hook: decides deterministically (xorshift32, fixed seed) whether to
 * drop a chunk, so injected-loss tests are reproducible.
 */
export class DropInjector {
  readonly #rate: number;
  #state: number;

  constructor(rate: number, seed = 0x9e3779b9) {
    this.#rate = rate;
    this.#state = seed >>> 0 || 1;
  }

  get enabled(): boolean {
    return this.#rate > 0;
  }

  shouldDrop(): boolean {
    if (this.#rate <= 0) return false;
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state / 0x1_0000_0000 < this.#rate;
  }
}
