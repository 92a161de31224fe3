import { createFloatTensor, type OrtFeeds, type OrtSession } from './session-factory.js';

/** A graph's recurrent state: read from `inputName`, its next value written to `outputName`; zeros at first. */
export interface FedBackState {
  readonly inputName: string;
  readonly outputName: string;
  readonly dims: readonly number[];
}

/**
 * One stream's call of a graph whose states feed back into the next call.
 * The states are double-buffered, because ONNX Runtime must not read and
 * write one buffer: a run reads one set and writes the other, and the next
 * run swaps them. Both halves' feed and fetch maps are built here, once, so a
 * run allocates nothing.
 */
export class FeedbackRun {
  readonly #session: OrtSession;
  readonly #feeds: [OrtFeeds, OrtFeeds];
  readonly #fetches: [OrtFeeds, OrtFeeds];
  #half: 0 | 1 = 0;

  /** `inputs` and `outputs` are the stream's other tensors, the same for every call. */
  constructor(session: OrtSession, inputs: OrtFeeds, outputs: OrtFeeds, states: readonly FedBackState[]) {
    this.#session = session;
    this.#feeds = [{ ...inputs }, { ...inputs }];
    this.#fetches = [{ ...outputs }, { ...outputs }];
    for (const state of states) {
      const sets = [createFloatTensor(state.dims), createFloatTensor(state.dims)];
      // Half 0 reads set 0 and writes set 1; half 1 the other way round.
      this.#feeds[0][state.inputName] = sets[0];
      this.#fetches[0][state.outputName] = sets[1];
      this.#feeds[1][state.inputName] = sets[1];
      this.#fetches[1][state.outputName] = sets[0];
    }
  }

  run(): void {
    const half = this.#half;
    this.#session.run(this.#feeds[half], this.#fetches[half]);
    this.#half = half === 0 ? 1 : 0;
  }
}
