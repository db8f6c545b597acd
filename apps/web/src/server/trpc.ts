import { initTRPC, TRPCError } from '@trpc/server';
import type { Controller } from './controller';
import { controllerErrorData, toTRPCError } from './errors';

/** Context of every controller procedure: who is acting, for the history record, and the controller. */
export interface ControllerContext {
  /** Display name from the `x-koko-user` header; `anonymous` when the header is missing. */
  actor: string;
  /** Browser session id from the `x-koko-session` header, kept with each history entry. */
  sessionId?: string;
  controller: Controller;
}

/** How often an idle `changes` stream gets a keep-alive comment, in milliseconds. */
const SSE_PING_MS = 10_000;

const t = initTRPC.context<ControllerContext>().create({
  sse: { ping: { enabled: true, intervalMs: SSE_PING_MS }, client: { reconnectAfterInactivityMs: SSE_PING_MS * 3 } },
  errorFormatter({ shape, error }) {
    return { ...shape, data: { ...shape.data, stack: undefined, ...controllerErrorData(error) } };
  },
});

/**
 * Turns every KokoError a procedure throws into a TRPCError with the matching code and the same
 * message. Other errors keep the TRPCError tRPC made, such as PARSE_ERROR for a body that is not JSON.
 */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTRPCError(result.error.cause);
    throw mapped instanceof TRPCError ? mapped : result.error;
  }
  return result;
});

export const router = t.router;
export const publicProcedure = t.procedure.use(mapErrors);
