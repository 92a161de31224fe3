// @echogarden/pffft-wasm ships no types: the Emscripten module factory and the
// exports Quell calls (pffft.h documents them).
declare module '@echogarden/pffft-wasm/simd' {
  export interface PffftModule {
    HEAPF32: Float32Array;
    /** Returns 0 for a size PFFFT cannot do. `transform`: 0 real, 1 complex. */
    _pffft_new_setup(size: number, transform: number): number;
    _pffft_destroy_setup(setup: number): void;
    /** Interleaved-order transform; `direction`: 0 forward, 1 backward (unscaled). Input and output may alias; work may be 0. */
    _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
    /** 16-byte aligned buffer of `bytes`. */
    _pffft_aligned_malloc(bytes: number): number;
    _pffft_aligned_free(pointer: number): void;
  }
  export default function PFFFT(): Promise<PffftModule>;
}
