import { RealFft } from '../dsp/real-fft.js';
import { floatTensorOver, type OrtFeeds, type OrtSession } from '../onnx/session-factory.js';
import { DTLN_BINS as BINS, DTLN_BLOCK_FRAMES, DTLN_HOP_FRAMES, DTLN_STATE_SIZE as STATE_SIZE, dtlnAnalyse, dtlnApplyMask, dtlnMagnitude, dtlnOverlapAdd } from './dtln-model.js';
import type { HopModelState } from './hop-model.js';


/** The feeds and fetches of both graphs for one batch size, over the batch's shared buffers. */
interface BatchCall {
  feeds1: OrtFeeds;
  fetches1: OrtFeeds;
  feeds2: OrtFeeds;
  fetches2: OrtFeeds;
}

/**
 * DTLN for many streams at once: the hops that streams have waiting run
 * through each of the two graphs (rewritten for a batch axis by
 * `batchDtlnGraph`) in one call, which costs about a quarter per stream of one
 * call each at 16 to 24 streams (186 µs per hop alone, 41-46 µs per stream in
 * a batch, on the reference machine). A stream's hop waits in the batch until
 * that stream has its next hop, or until the batch is full: so each stream
 * hears its output one hop (8 ms) later than unbatched DTLN, and a stream
 * never waits on another.
 */
export class DtlnBatch {
  readonly maxStreams: number;
  /** Batch calls (each runs both graphs once) and the hops they ran; hops / calls is the mean batch. */
  readonly counts = { calls: 0, hops: 0 };
  readonly #stage1: OrtSession;
  readonly #stage2: OrtSession;
  readonly #fft = RealFft.ofSize(DTLN_BLOCK_FRAMES);
  readonly #waiting: BatchedDtlnState[] = [];
  readonly #magnitude: Float32Array;
  readonly #state1In: Float32Array;
  readonly #mask: Float32Array;
  readonly #state1Out: Float32Array;
  readonly #block: Float32Array;
  /** One view per batch row of #block, made once, for the inverse FFT to write into. */
  readonly #blockRows: Float32Array[] = [];
  readonly #state2In: Float32Array;
  readonly #stage2Out: Float32Array;
  readonly #state2Out: Float32Array;
  /** Tensors of each batch size run so far (at most maxStreams), all over the buffers above. */
  readonly #calls: (BatchCall | undefined)[];

  constructor(stage1: OrtSession, stage2: OrtSession, maxStreams = 64) {
    this.maxStreams = maxStreams;
    this.#stage1 = stage1;
    this.#stage2 = stage2;
    this.#magnitude = new Float32Array(maxStreams * BINS);
    this.#state1In = new Float32Array(maxStreams * STATE_SIZE);
    this.#mask = new Float32Array(maxStreams * BINS);
    this.#state1Out = new Float32Array(maxStreams * STATE_SIZE);
    this.#block = new Float32Array(maxStreams * DTLN_BLOCK_FRAMES);
    for (let b = 0; b < maxStreams; b++) this.#blockRows.push(this.#block.subarray(b * DTLN_BLOCK_FRAMES, (b + 1) * DTLN_BLOCK_FRAMES));
    this.#state2In = new Float32Array(maxStreams * STATE_SIZE);
    this.#stage2Out = new Float32Array(maxStreams * DTLN_BLOCK_FRAMES);
    this.#state2Out = new Float32Array(maxStreams * STATE_SIZE);
    this.#calls = new Array<BatchCall | undefined>(maxStreams + 1);
  }

  /** A new stream channel's state in this batch. */
  createState(): BatchedDtlnState {
    return new BatchedDtlnState(this);
  }

  /** How many hops are waiting for the next batch call. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Queues `state`'s hop (its spectrum is ready); runs the batch first when it is full. */
  enqueue(state: BatchedDtlnState): void {
    if (this.#waiting.length === this.maxStreams) this.flush();
    this.#waiting.push(state);
  }

  /** Takes `state`'s waiting hop out of the batch (its stream closed); rare, so a search is fine. */
  remove(state: BatchedDtlnState): void {
    const at = this.#waiting.indexOf(state);
    if (at >= 0) this.#waiting.splice(at, 1);
  }

  /** Runs every waiting hop, each stream's output left in its state. */
  flush(): void {
    const waiting = this.#waiting;
    const n = waiting.length;
    if (n === 0) return;
    const call = this.#callFor(n);
    this.counts.calls++;
    this.counts.hops += n;
    for (let b = 0; b < n; b++) {
      dtlnMagnitude(waiting[b].spectrum, this.#magnitude, b * BINS);
      this.#state1In.set(waiting[b].state1, b * STATE_SIZE);
    }
    this.#stage1.run(call.feeds1, call.fetches1);

    for (let b = 0; b < n; b++) {
      const state = waiting[b];
      copyRow(this.#state1Out, b * STATE_SIZE, state.state1);
      dtlnApplyMask(state.spectrum, this.#mask, b * BINS);
      this.#fft.inverse(state.spectrum, this.#blockRows[b], 1 / DTLN_BLOCK_FRAMES);
      this.#state2In.set(state.state2, b * STATE_SIZE);
    }
    this.#stage2.run(call.feeds2, call.fetches2);

    const y = this.#stage2Out;
    for (let b = 0; b < n; b++) {
      const state = waiting[b];
      copyRow(this.#state2Out, b * STATE_SIZE, state.state2);
      state.overlapAdd(y, b * DTLN_BLOCK_FRAMES);
      state.queued = false;
    }
    waiting.length = 0;
  }

  #callFor(n: number): BatchCall {
    let call = this.#calls[n];
    if (!call) {
      const state = [n, 2, 128, 2];
      call = {
        feeds1: { input_2: floatTensorOver(this.#magnitude, [n, 1, BINS]), input_3: floatTensorOver(this.#state1In, state) },
        fetches1: { activation_2: floatTensorOver(this.#mask, [n, 1, BINS]), tf_op_layer_stack_2: floatTensorOver(this.#state1Out, state) },
        feeds2: { input_4: floatTensorOver(this.#block, [n, 1, DTLN_BLOCK_FRAMES]), input_5: floatTensorOver(this.#state2In, state) },
        fetches2: { conv1d_3: floatTensorOver(this.#stage2Out, [n, 1, DTLN_BLOCK_FRAMES]), tf_op_layer_stack_5: floatTensorOver(this.#state2Out, state) },
      };
      this.#calls[n] = call;
    }
    return call;
  }
}

/** Copies one batch row of `from` (starting at `offset`) into `to`, without making a view. */
function copyRow(from: Float32Array, offset: number, to: Float32Array): void {
  for (let i = 0; i < to.length; i++) to[i] = from[offset + i];
}

/**
 * One stream channel's DTLN state in a `DtlnBatch`. Its `runHop` gives the
 * output of the previous hop (running the batch first if that hop is still
 * waiting) and queues this one: a model that lags one hop more than DTLN
 * itself, which `HopStream` turns into a chunk-size invariant stream.
 */
export class BatchedDtlnState implements HopModelState {
  readonly hopFrames = DTLN_HOP_FRAMES;
  /** DTLN's overlap-add delay (block − hop), plus the hop it waits in the batch. */
  readonly modelDelayFrames = DTLN_BLOCK_FRAMES - DTLN_HOP_FRAMES + DTLN_HOP_FRAMES;
  readonly spectrum = new Float32Array(DTLN_BLOCK_FRAMES + 2);
  readonly state1 = new Float32Array(STATE_SIZE);
  readonly state2 = new Float32Array(STATE_SIZE);
  /** Whether this state's last hop is waiting in the batch. */
  queued = false;
  readonly #batch: DtlnBatch;
  readonly #fft = RealFft.ofSize(DTLN_BLOCK_FRAMES);
  readonly #inBlock = new Float32Array(DTLN_BLOCK_FRAMES);
  readonly #outBlock = new Float32Array(DTLN_BLOCK_FRAMES);

  constructor(batch: DtlnBatch) {
    this.#batch = batch;
  }

  runHop(input: Float32Array, output: Float32Array): void {
    if (this.queued) this.#batch.flush();
    const out = this.#outBlock;
    for (let i = 0; i < DTLN_HOP_FRAMES; i++) output[i] = out[i];
    dtlnAnalyse(this.#fft, this.#inBlock, input, this.spectrum);
    this.queued = true;
    this.#batch.enqueue(this);
  }

  /** Adds the graph's output block (row `offset` of `y`) to the output block, shifted by one hop; its first hop is the hop's output. */
  overlapAdd(y: Float32Array, offset: number): void {
    dtlnOverlapAdd(this.#outBlock, y, offset);
  }

  close(): void {
    if (this.queued) this.#batch.remove(this);
    this.queued = false;
  }
}
