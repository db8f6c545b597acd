import { getController } from './controller';
import type { ControllerContext } from './trpc';

/** Display name used when a request carries no `x-koko-user` header. */
export const ANONYMOUS = 'anonymous';

/** Reads a header that a browser may have percent-encoded, since header values cannot carry most non-ASCII text. */
function decodedHeader(request: Request, name: string): string | undefined {
  const value = request.headers.get(name);
  if (value === null || value === '') return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
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
