import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';

/** ORT CPU session settings; each field's default is the measured best for one stream per process. */
export interface SessionTuning {
  /** Intra-op threads (default 1: the models are tiny, more threads only add wake-up cost). */
  intraOpThreads?: number;
  /** Inter-op threads (default 1; only matters with executionMode 'parallel'). */
  interOpThreads?: number;
  /** Graph optimisation level (default 'all'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Execution mode (default 'sequential'). */
  executionMode?: 'sequential' | 'parallel';
}

export type OrtTensor = ort.Tensor;
export type OrtFeeds = Record<string, OrtTensor>;

/** What onnxruntime-node's native addon exposes per session (its JS layer wraps the same object). */
interface NativeSession {
  loadModel(path: string, options: object): void;
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: OrtFeeds, fetches: Record<string, OrtTensor | null>, options: object): Record<string, { type: ort.Tensor.Type; data: ort.Tensor.DataType; dims: readonly number[] }>;
  dispose(): void;
  readonly inputMetadata: { name: string }[];
  readonly outputMetadata: { name: string }[];
}

interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

// onnxruntime-node's public run() is async only because it defers the same
// synchronous native call with setImmediate. On the hot path that is one
// event-loop turn per call (two per DTLN hop), in which other I/O runs inside
// the chunk's time; bench/scenarios/inference.bench.ts measures the cost. The
// native session is reached through the package's own binding module, pinned
// by package-lock; session-factory.test.ts checks it against the public API.
const native = createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as NativeBinding;

/**
 * One CPU ONNX Runtime session whose `run()` is synchronous and writes into
 * preallocated output tensors, so a hop runs without allocation or an
 * event-loop turn.
 */
export class OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly #session: NativeSession;
  readonly #noOptions = {};
  #released = false;

  constructor(session: NativeSession) {
    this.#session = session;
    this.inputNames = session.inputMetadata.map((m) => m.name);
    this.outputNames = session.outputMetadata.map((m) => m.name);
  }

  /** Runs the graph: every input in `feeds`, every wanted output preallocated in `fetches` (filled in place). */
  run(feeds: OrtFeeds, fetches: OrtFeeds): void {
    this.#session.run(feeds, fetches, this.#noOptions);
  }

  /** Runs the graph with ORT allocating every output; for load-time probing, never per hop. */
  runAllocating(feeds: OrtFeeds): OrtFeeds {
    const fetches: Record<string, null> = {};
    for (const name of this.outputNames) fetches[name] = null;
    const raw = this.#session.run(feeds, fetches, this.#noOptions);
    const out: OrtFeeds = {};
    for (const name of this.outputNames) out[name] = new ort.Tensor(raw[name].type, raw[name].data, raw[name].dims);
    return out;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#session.dispose();
  }
}

/**
 * Creates one CPU session from a model file or bytes with explicit thread
 * counts, full graph optimisation and errors-only logging (per-run log checks
 * cost time).
 */
export async function createSession(model: string | Uint8Array, tuning: SessionTuning = {}): Promise<OrtSession> {
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: tuning.intraOpThreads ?? 1,
    interOpNumThreads: tuning.interOpThreads ?? 1,
    graphOptimizationLevel: tuning.graphOptimizationLevel ?? 'all',
    executionMode: tuning.executionMode ?? 'sequential',
    logSeverityLevel: 3,
    enableCpuMemArena: true,
    enableMemPattern: true,
  };
  native.initOrt();
  const session = new native.binding.InferenceSession();
  // Loading blocks like the public API's (which defers the same call); yield once so callers stay responsive.
  await new Promise((resolve) => setImmediate(resolve));
  if (typeof model === 'string') session.loadModel(model, options);
  else session.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
  return new OrtSession(session);
}

/** A float32 tensor over a preallocated array; the array is reused for every run. */
export function createFloatTensor(dims: readonly number[]): OrtTensor {
  let size = 1;
  for (const d of dims) size *= d;
  return new ort.Tensor('float32', new Float32Array(size), dims);
}

/** A float32 tensor of `dims` over the start of `data` (shared, not copied): one buffer can back tensors of several batch sizes. */
export function floatTensorOver(data: Float32Array, dims: readonly number[]): OrtTensor {
  let size = 1;
  for (const d of dims) size *= d;
  return new ort.Tensor('float32', data.subarray(0, size), dims);
}

/** The Float32Array behind a tensor made by `createFloatTensor`. */
export function tensorData(tensor: OrtTensor): Float32Array {
  return tensor.data as Float32Array;
}
