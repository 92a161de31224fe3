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

export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;

/**
 * Creates one CPU `InferenceSession` with explicit thread counts, full graph
 * optimisation and errors-only logging (per-run log checks cost time).
 */
export async function createSession(modelPath: string, tuning: SessionTuning = {}): Promise<OrtSession> {
  return ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: tuning.intraOpThreads ?? 1,
    interOpNumThreads: tuning.interOpThreads ?? 1,
    graphOptimizationLevel: tuning.graphOptimizationLevel ?? 'all',
    executionMode: tuning.executionMode ?? 'sequential',
    logSeverityLevel: 3,
    enableCpuMemArena: true,
    enableMemPattern: true,
  });
}

/** A float32 tensor over a preallocated array; the array is reused for every run. */
export function createFloatTensor(dims: readonly number[]): OrtTensor {
  let size = 1;
  for (const d of dims) size *= d;
  return new ort.Tensor('float32', new Float32Array(size), dims);
}

/** The Float32Array behind a tensor made by `createFloatTensor`. */
export function tensorData(tensor: OrtTensor): Float32Array {
  return tensor.data as Float32Array;
}
