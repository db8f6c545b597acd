/**
 * Error categories, so callers can map them to exit codes and API errors:
 * `invalid` for bad input, `conflict` for a clash with what exists, `not-found`
 * for a missing node or interface, `unsupported` for a missing kernel feature,
 * `failed` for a command that failed while a plan ran.
 */
export type KokoErrorCode = 'invalid' | 'conflict' | 'not-found' | 'unsupported' | 'failed';

/** An error meant for the user: it names the value that is wrong and, where one exists, the fix. */
/**
 * Marks KokoError objects. A bundler may put two copies of this module into one program (Next.js
 * did, in separate server chunks), and then `instanceof` fails for errors made by the other copy.
 * `Symbol.for` returns the same symbol in every copy, so isKokoError recognises them all.
 */
const KOKO_ERROR_BRAND = Symbol.for('koko.KokoError');

export class KokoError extends Error {
  override readonly name = 'KokoError';
  readonly [KOKO_ERROR_BRAND] = true;

  constructor(
    readonly code: KokoErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Returns `error` with `field` as its input path; a field the error already has is taken as relative to it. Other errors pass unchanged. */
export function withField(error: unknown, field: string): unknown {
  if (!isKokoError(error)) return error;
  return new KokoError(error.code, error.message, error.field ? `${field}.${error.field}` : field);
}

/**
 * Returns `error` as the error of item `index` of a batch of `count`: its message starts with
 * `link 3 of 200: ` (counting from 1, as people do) and its field with `links.2`. Other errors pass unchanged.
 */
export function withBatchPosition(error: unknown, index: number, count: number): unknown {
  if (!isKokoError(error)) return error;
  const positioned = withField(error, `links.${index}`) as KokoError;
  return new KokoError(positioned.code, `link ${index + 1} of ${count}: ${positioned.message}`, positioned.field);
}

/** Returns whether `error` is a KokoError, from this copy of the module or any other. Use it instead of `instanceof`. */
export function isKokoError(error: unknown): error is KokoError {
  return error instanceof KokoError || (typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[KOKO_ERROR_BRAND] === true);
}
