import { RealFft } from '../dsp/real-fft.js';
import { createFloatTensor, tensorData, type OrtSession } from '../onnx/session-factory.js';
import type { HopModelState } from './hop-model.js';

/** DTLN at 16 kHz: block 512, shift 128 (see shared/models/README.md). */
export const DTLN_BLOCK_FRAMES = 512;
export const DTLN_HOP_FRAMES = 128;
const STATE_DIMS = [1, 2, 128, 2];

/**
 * One stream's DTLN state: the input and output blocks, both LSTM states and
 * the tensors fed to the two sessions, all allocated once.
 */
export class DtlnModelState implements HopModelState {
  readonly hopFrames = DTLN_HOP_FRAMES;
  readonly modelDelayFrames = DTLN_BLOCK_FRAMES - DTLN_HOP_FRAMES;
  readonly #stage1: OrtSession;
  readonly #stage2: OrtSession;
  readonly #fft = new RealFft(DTLN_BLOCK_FRAMES);
  readonly #inBlock = new Float32Array(DTLN_BLOCK_FRAMES);
  readonly #outBlock = new Float32Array(DTLN_BLOCK_FRAMES);
  readonly #magnitude = createFloatTensor([1, 1, 257]);
  readonly #mask = createFloatTensor([1, 1, 257]);
  readonly #maskedBlock = createFloatTensor([1, 1, DTLN_BLOCK_FRAMES]);
  readonly #stage2Out = createFloatTensor([1, 1, DTLN_BLOCK_FRAMES]);
  // States are double-buffered: a run reads one and writes the other, then they swap (plain swaps: no temporary arrays).
  #state1 = createFloatTensor(STATE_DIMS);
  #state1Next = createFloatTensor(STATE_DIMS);
  #state2 = createFloatTensor(STATE_DIMS);
  #state2Next = createFloatTensor(STATE_DIMS);

  constructor(stage1: OrtSession, stage2: OrtSession) {
    this.#stage1 = stage1;
    this.#stage2 = stage2;
  }

  runHop(input: Float32Array, output: Float32Array): void {
    const hop = DTLN_HOP_FRAMES;
    const block = this.#inBlock;
    block.copyWithin(0, hop);
    block.set(input, DTLN_BLOCK_FRAMES - hop);

    const fft = this.#fft;
    fft.forward(block);
    const spec = fft.spectrum;
    const mag = tensorData(this.#magnitude);
    for (let k = 0; k < 257; k++) mag[k] = Math.hypot(spec[2 * k], spec[2 * k + 1]);
    this.#stage1.run(
      { input_2: this.#magnitude, input_3: this.#state1 },
      { activation_2: this.#mask, tf_op_layer_stack_2: this.#state1Next },
    );
    {
      const t = this.#state1;
      this.#state1 = this.#state1Next;
      this.#state1Next = t;
    }

    // magnitude * mask with the input phase is the input bin scaled by the mask.
    const mask = tensorData(this.#mask);
    for (let k = 0; k < 257; k++) {
      spec[2 * k] *= mask[k];
      spec[2 * k + 1] *= mask[k];
    }
    fft.inverse(tensorData(this.#maskedBlock));
    this.#stage2.run(
      { input_4: this.#maskedBlock, input_5: this.#state2 },
      { conv1d_3: this.#stage2Out, tf_op_layer_stack_5: this.#state2Next },
    );
    {
      const t = this.#state2;
      this.#state2 = this.#state2Next;
      this.#state2Next = t;
    }

    const out = this.#outBlock;
    out.copyWithin(0, hop);
    out.fill(0, DTLN_BLOCK_FRAMES - hop);
    const y = tensorData(this.#stage2Out);
    for (let i = 0; i < DTLN_BLOCK_FRAMES; i++) out[i] += y[i];
    output.set(out.subarray(0, hop));
  }
}

