/**
 * One stream's state of a model that runs on fixed hops of mono samples at
 * its native rate (DTLN: 128, GTCRN: 256). `HopStream` drives it.
 */
export interface HopModelState {
  /** Samples per hop. */
  readonly hopFrames: number;
  /**
   * How many samples the hop output lags the hop input inside the model
   * (overlap-add delay: DTLN 384, GTCRN 256).
   */
  readonly modelDelayFrames: number;
  /** Consumes exactly one hop of `input` and fills one hop of `output`, synchronously (no event-loop turn inside a chunk). */
  runHop(input: Float32Array, output: Float32Array): void;
  /** Releases what the state holds outside itself (a place in a batch); optional. */
  close?(): void;
}
