// fft.js ships no types; the part fft.bench.ts compares against.
declare module 'fft.js' {
  export default class FFT {
    constructor(size: number);
    /** Real-input forward FFT into the left half of `out` (interleaved re/im). */
    realTransform(out: Float64Array, data: Float64Array): void;
    /** Inverse complex FFT, scaled by 1/size. */
    inverseTransform(out: Float64Array, data: Float64Array): void;
  }
}
