import { getController } from './controller';
import type { ControllerContext } from './trpc';

/** Display name used when a request carries no `x-koko-user` header. */
export const ANONYMOUS = 'anonymous';

/**
 * Returns a header value sent as raw UTF-8 (as curl sends what a terminal types) as the text it
 * stands for. HTTP hands header bytes over one character per byte, so `ü` arrives as `Ã¼`. A value
 * whose bytes are not valid UTF-8 is returned as it came.
 */
function fromRawUtf8(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/** Reads a header that a browser may have percent-encoded, since header values cannot carry most non-ASCII text. */
function decodedHeader(request: Request, name: string): string | undefined {
  const value = request.headers.get(name);
  if (value === null || value === '') return undefined;
  try {
    return decodeURIComponent(fromRawUtf8(value));
  } catch {
    return fromRawUtf8(value);
  }
}

/** Builds a procedure's context from an HTTP request: who acts (`x-koko-user`), their session (`x-koko-session`), and the controller. */
export async function createControllerContext(request: Request): Promise<ControllerContext> {
  const sessionId = decodedHeader(request, 'x-koko-session');
  return {
    actor: decodedHeader(request, 'x-koko-user') ?? ANONYMOUS,
    ...(sessionId !== undefined && { sessionId }),
    controller: await getController(),
  };
}
