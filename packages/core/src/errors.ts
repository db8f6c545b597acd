/**
 * Error categories, so callers can map them to exit codes and API errors:
 * `invalid` for bad input, `conflict` for a clash with what exists, `not-found`
 * for a missing node or interface, `unsupported` for a missing kernel feature,
 * `failed` for a command that failed while a plan ran.
 */
export type KokoErrorCode = 'invalid' | 'conflict' | 'not-found' | 'unsupported' | 'failed';

/** An error meant for the user: it names the value that is wrong and, where one exists, the fix. */
export class KokoError extends Error {
  override readonly name = 'KokoError';

  constructor(
    readonly code: KokoErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function isKokoError(error: unknown): error is KokoError {
  return error instanceof KokoError;
}
