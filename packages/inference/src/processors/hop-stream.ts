import { SampleFifo } from '../dsp/sample-fifo.js';
import type { StreamProcessor } from './processor.js';
import type { HopModelState } from './hop-model.js';

/**
 * Turns a hop-based mono model into a `StreamProcessor` that takes chunks of
 * any length. Input gathers into one hop; each full hop runs the model and its
 * output joins a FIFO that starts with `hopFrames - 1` zeros: the fewest that
 * keep the FIFO from running dry whatever the chunking, so the output is the
 * model's output stream delayed by a constant (chunk-size invariance).
 */
export class HopStream implements StreamProcessor {
  readonly latencyFrames: number;
  readonly #model: HopModelState;
  readonly #hopIn: Float32Array;
  readonly #hopOut: Float32Array;
  readonly #fifo: SampleFifo;
  #fill = 0;
  #closed = false;

  constructor(model: HopModelState) {
    this.#model = model;
    const hop = model.hopFrames;
    this.latencyFrames = model.modelDelayFrames + hop - 1;
    this.#hopIn = new Float32Array(hop);
    this.#hopOut = new Float32Array(hop);
    this.#fifo = new SampleFifo(4 * hop);
    this.#fifo.pushZeros(hop - 1);
  }

  process(input: Float32Array, output: Float32Array): void {
    if (this.#closed) throw new Error('HopStream.process() after close()');
    const hopIn = this.#hopIn;
    const hop = hopIn.length;
    let pos = 0;
    while (pos < input.length) {
      const take = Math.min(hop - this.#fill, input.length - pos);
      // A plain copy: subarray() would allocate a view per hop.
      const fill = this.#fill;
      for (let i = 0; i < take; i++) hopIn[fill + i] = input[pos + i];
      this.#fill += take;
      pos += take;
      if (this.#fill === hop) {
        this.#model.runHop(this.#hopIn, this.#hopOut);
        this.#fifo.push(this.#hopOut);
        this.#fill = 0;
      }
    }
    this.#fifo.pop(output);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#model.close?.();
  }
}
