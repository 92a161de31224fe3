import { QuellError } from '@quell/runtime';

export type ModelErrorCode = 'MODEL_UNKNOWN' | 'MODEL_NOT_INSTALLED' | 'MODEL_CORRUPT' | 'MODEL_FETCH_FAILED';

/**
 * A model file that cannot be used. `code` is stable; the
 * message is one line naming the fix. `retryable` is true only for download
 * failures.
 */
export class ModelError extends QuellError {
  declare readonly code: ModelErrorCode;

  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { cause: options?.cause, retryable: code === 'MODEL_FETCH_FAILED' });
  }
}
