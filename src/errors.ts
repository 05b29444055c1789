/**
 * Errors as values with a cause and a fix, made in one place.
 *
 * Every failure that reaches the assistant is a `UserFacingError`: what went wrong (`message`), what to
 * do about it (`hint`), and, for platform calls, the HTTP `status`. Tools never build error text
 * themselves; `runTool`'s `errorResult` (tools/tool.ts) turns these into `isError` results, led by
 * the stable `kind` (e.g. `put_batch failed (not_confirmed): ...`). Callers branch on `kind`, never
 * on the words.
 */
export class UserFacingError extends Error {
  readonly hint: string | undefined;
  readonly status: number | undefined;
  /** A short machine-readable kind, e.g. `api_error`, `invalid_input`, `not_confirmed`. */
  readonly kind: string;

  constructor(kind: string, message: string, opts: { hint?: string; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UserFacingError';
    this.kind = kind;
    this.hint = opts.hint;
    this.status = opts.status;
  }
}

export function invalidInput(message: string, hint?: string): UserFacingError {
  return new UserFacingError('invalid_input', message, hint === undefined ? {} : { hint });
}

/** A readable one-line description of anything thrown, without a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
