// fft.js ships no types. Ambient declarations are global to the package, so
// this covers fft.js's whole public API, not only what this folder uses.
declare module 'fft.js' {
  type Writable = { [i: number]: number; readonly length: number };
  export default class FFT {
    constructor(size: number);
    readonly size: number;
    createComplexArray(): number[];
    toComplexArray(input: ArrayLike<number>, storage?: Writable): number[];
    fromComplexArray(complex: ArrayLike<number>, storage?: Writable): number[];
    completeSpectrum(spectrum: Writable): void;
    /** Forward complex FFT (e^-i), interleaved re/im; `out` must not alias `data`. */
    transform(out: Writable, data: ArrayLike<number>): void;
    /** Real-input forward FFT; fills the left half of `out` (interleaved re/im). */
    realTransform(out: Writable, data: ArrayLike<number>): void;
    /** Inverse complex FFT, scaled by 1/size. */
    inverseTransform(out: Writable, data: ArrayLike<number>): void;
  }
}
