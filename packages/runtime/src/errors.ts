/**
 * An operational failure the user can fix (bad config, missing file or
 * model, busy port, missing device). `code` is stable for tests and
 * scripts; the message is one line that names the fix. Entry points print
 * it without a stack and exit with code 2. Anything else is a bug.
 */
export class QuellError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}
