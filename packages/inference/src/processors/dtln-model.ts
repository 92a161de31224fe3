import { RealFft } from '../dsp/real-fft.js';
import { FeedbackRun } from '../onnx/feedback-run.js';
import { createFloatTensor, tensorData, type OrtSession } from '../onnx/session-factory.js';
import type { HopModelState } from './hop-model.js';

/** DTLN at 16 kHz: block 512, shift 128 (see shared/models/README.md). */
export const DTLN_BLOCK_FRAMES = 512;
export const DTLN_HOP_FRAMES = 128;
const STATE_DIMS = [1, 2, 128, 2];

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
    const hop = DTLN_HOP_FRAMES;
    const block = this.#inBlock;
    block.copyWithin(0, hop);
    block.set(input, DTLN_BLOCK_FRAMES - hop);

    const spec = this.#spectrum;
    this.#fft.forward(block, spec);
    const mag = this.#magnitude;
    for (let k = 0; k < 257; k++) {
      const re = spec[2 * k];
      const im = spec[2 * k + 1];
      mag[k] = Math.sqrt(re * re + im * im);
    }
    this.#stage1.run();

    // magnitude * mask with the input phase is the input bin scaled by the mask.
    const mask = this.#mask;
    for (let k = 0; k < 257; k++) {
      spec[2 * k] *= mask[k];
      spec[2 * k + 1] *= mask[k];
    }
    this.#fft.inverse(spec, this.#maskedBlock, 1 / DTLN_BLOCK_FRAMES);
    this.#stage2.run();

    const out = this.#outBlock;
    out.copyWithin(0, hop);
    out.fill(0, DTLN_BLOCK_FRAMES - hop);
    const y = this.#stage2Out;
    for (let i = 0; i < DTLN_BLOCK_FRAMES; i++) out[i] += y[i];
    for (let i = 0; i < hop; i++) output[i] = out[i];
  }
}
