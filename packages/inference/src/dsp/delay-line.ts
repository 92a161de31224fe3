/** A fixed delay of `delayFrames` samples over one preallocated ring (starts with zeros). */
export class DelayLine {
  readonly delayFrames: number;
  readonly #ring: Float32Array;
  #pos = 0;

  constructor(delayFrames: number) {
    this.delayFrames = delayFrames;
    this.#ring = new Float32Array(Math.max(1, delayFrames));
  }

  /** Writes `input` delayed into `output` (same length; may not alias). */
  process(input: Float32Array, output: Float32Array): void {
    if (this.delayFrames === 0) {
      output.set(input);
      return;
    }
    const ring = this.#ring;
    let pos = this.#pos;
    for (let i = 0; i < input.length; i++) {
      output[i] = ring[pos];
      ring[pos] = input[i];
      pos = pos + 1 === ring.length ? 0 : pos + 1;
    }
    this.#pos = pos;
  }
}
