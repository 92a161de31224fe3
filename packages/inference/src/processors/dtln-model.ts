import { RealFft } from '../dsp/real-fft.js';
import { FeedbackRun } from '../onnx/feedback-run.js';
import { createFloatTensor, tensorData, type OrtSession } from '../onnx/session-factory.js';
import type { HopModelState } from './hop-model.js';

/** DTLN at 16 kHz: block 512, shift 128 (see shared/models/README.md). */
export const DTLN_BLOCK_FRAMES = 512;
export const DTLN_HOP_FRAMES = 128;
/** Bins of the real FFT of one block. */
export const DTLN_BINS = DTLN_BLOCK_FRAMES / 2 + 1;
/** Floats in one stream's LSTM state of either graph: [2 layers, 128 units, h and c]. */
export const DTLN_STATE_SIZE = 2 * 128 * 2;
const STATE_DIMS = [1, 2, 128, 2];

/** Shifts one hop of `input` into the end of `block` and takes the block's spectrum (no analysis window). */
export function dtlnAnalyse(fft: RealFft, block: Float32Array, input: Float32Array, spectrum: Float32Array): void {
  block.copyWithin(0, DTLN_HOP_FRAMES);
  block.set(input, DTLN_BLOCK_FRAMES - DTLN_HOP_FRAMES);
  fft.forward(block, spectrum);
}

/** The magnitude of each bin of `spectrum`, into `magnitude` from `offset` (stage 1's input). */
export function dtlnMagnitude(spectrum: Float32Array, magnitude: Float32Array, offset: number): void {
  for (let k = 0; k < DTLN_BINS; k++) {
    const re = spectrum[2 * k];
    const im = spectrum[2 * k + 1];
    magnitude[offset + k] = Math.sqrt(re * re + im * im);
  }
}

/** Scales each bin of `spectrum` by stage 1's mask (from `offset`): magnitude × mask with the input phase. */
export function dtlnApplyMask(spectrum: Float32Array, mask: Float32Array, offset: number): void {
  for (let k = 0; k < DTLN_BINS; k++) {
    spectrum[2 * k] *= mask[offset + k];
    spectrum[2 * k + 1] *= mask[offset + k];
  }
}

/** Overlap-add: shifts `out` by one hop and adds stage 2's block (from `offset` of `y`); `out`'s first hop is the hop's output. */
export function dtlnOverlapAdd(out: Float32Array, y: Float32Array, offset: number): void {
  out.copyWithin(0, DTLN_HOP_FRAMES);
  out.fill(0, DTLN_BLOCK_FRAMES - DTLN_HOP_FRAMES);
  for (let i = 0; i < DTLN_BLOCK_FRAMES; i++) out[i] += y[offset + i];
}

/**
 * One stream's DTLN state: the input and output blocks, the spectrum, both
 * LSTM states and the tensors fed to the two sessions, all allocated once.
 */
export class DtlnModelState implements HopModelState {
  readonly hopFrames = DTLN_HOP_FRAMES;
  readonly modelDelayFrames = DTLN_BLOCK_FRAMES - DTLN_HOP_FRAMES;
  readonly #fft = RealFft.ofSize(DTLN_BLOCK_FRAMES);
  readonly #spectrum = new Float32Array(DTLN_BLOCK_FRAMES + 2);
  readonly #inBlock = new Float32Array(DTLN_BLOCK_FRAMES);
  readonly #outBlock = new Float32Array(DTLN_BLOCK_FRAMES);
  readonly #magnitude: Float32Array;
  readonly #mask: Float32Array;
  readonly #maskedBlock: Float32Array;
  readonly #stage2Out: Float32Array;
  readonly #stage1: FeedbackRun;
  readonly #stage2: FeedbackRun;

  constructor(stage1: OrtSession, stage2: OrtSession) {
    const magnitude = createFloatTensor([1, 1, 257]);
    const mask = createFloatTensor([1, 1, 257]);
    const maskedBlock = createFloatTensor([1, 1, DTLN_BLOCK_FRAMES]);
    const stage2Out = createFloatTensor([1, 1, DTLN_BLOCK_FRAMES]);
    this.#magnitude = tensorData(magnitude);
    this.#mask = tensorData(mask);
    this.#maskedBlock = tensorData(maskedBlock);
    this.#stage2Out = tensorData(stage2Out);
    this.#stage1 = new FeedbackRun(stage1, { input_2: magnitude }, { activation_2: mask }, [{ inputName: 'input_3', outputName: 'tf_op_layer_stack_2', dims: STATE_DIMS }]);
    this.#stage2 = new FeedbackRun(stage2, { input_4: maskedBlock }, { conv1d_3: stage2Out }, [{ inputName: 'input_5', outputName: 'tf_op_layer_stack_5', dims: STATE_DIMS }]);
  }

  runHop(input: Float32Array, output: Float32Array): void {
    const spec = this.#spectrum;
    dtlnAnalyse(this.#fft, this.#inBlock, input, spec);
    dtlnMagnitude(spec, this.#magnitude, 0);
    this.#stage1.run();
    dtlnApplyMask(spec, this.#mask, 0);
    this.#fft.inverse(spec, this.#maskedBlock, 1 / DTLN_BLOCK_FRAMES);
    this.#stage2.run();
    const out = this.#outBlock;
    dtlnOverlapAdd(out, this.#stage2Out, 0);
    for (let i = 0; i < DTLN_HOP_FRAMES; i++) output[i] = out[i];
  }
}
