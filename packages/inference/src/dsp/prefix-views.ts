/** Distinct lengths kept before the cache starts afresh (a stream's chunk sizes take a few values). */
const MAX_VIEWS = 64;

/**
 * Scratch space handed out as views of its first n values, each view made
 * once per length: chunk sizes repeat, so in steady state `prefix(n)` returns
 * an existing view where `subarray()` would allocate one per chunk.
 */
export class PrefixViews {
  #buffer: Float32Array;
  readonly #views = new Map<number, Float32Array>();

  constructor(initialLength = 0) {
    this.#buffer = new Float32Array(initialLength);
  }

  /** A view of the first `n` values. Growing (only for an n longer than ever before) discards the contents. */
  prefix(n: number): Float32Array {
    let view = this.#views.get(n);
    if (view !== undefined) return view;
    if (n > this.#buffer.length) {
      this.#buffer = new Float32Array(n);
      this.#views.clear();
    }
    if (this.#views.size >= MAX_VIEWS) this.#views.clear();
    view = this.#buffer.subarray(0, n);
    this.#views.set(n, view);
    return view;
  }
}
