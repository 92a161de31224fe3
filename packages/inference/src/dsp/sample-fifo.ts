/**
 * A first-in first-out queue of float32 samples over one preallocated array.
 * It grows (doubling) only when a caller pushes more than it ever held, so in
 * steady state it never allocates.
 */
export class SampleFifo {
  #buf: Float32Array;
  #readPos = 0;
  #writePos = 0;

  constructor(initialCapacity: number) {
    this.#buf = new Float32Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.#writePos - this.#readPos;
  }

  /** Appends `count` zeros. */
  pushZeros(count: number): void {
    this.#reserve(count);
    this.#buf.fill(0, this.#writePos, this.#writePos + count);
    this.#writePos += count;
  }

  push(samples: Float32Array | Float64Array): void {
    this.#reserve(samples.length);
    this.#buf.set(samples, this.#writePos);
    this.#writePos += samples.length;
  }

  /** Moves `out.length` samples into `out`; throws when fewer are queued (a bug in the caller's latency). */
  pop(out: Float32Array): void {
    if (out.length > this.length) throw new Error(`SampleFifo underflow: ${out.length} > ${this.length}`);
    const buf = this.#buf;
    const from = this.#readPos;
    for (let i = 0; i < out.length; i++) out[i] = buf[from + i];
    this.#readPos = from + out.length;
  }

  #reserve(count: number): void {
    if (this.#writePos + count <= this.#buf.length) return;
    const len = this.length;
    if (len + count <= this.#buf.length) {
      this.#buf.copyWithin(0, this.#readPos, this.#writePos);
    } else {
      let cap = this.#buf.length * 2;
      while (cap < len + count) cap *= 2;
      const next = new Float32Array(cap);
      next.set(this.#buf.subarray(this.#readPos, this.#writePos));
      this.#buf = next;
    }
    this.#readPos = 0;
    this.#writePos = len;
  }
}
