import { TRPCError, initTRPC } from '@trpc/server';
import { agentErrorData, agentErrorMessage, toTRPCError } from './errors';
import {
  type ChangeInput,
  type CreateInput,
  type DeleteInput,
  type StatsInput,
  changeInputSchema,
  createInputSchema,
  deleteInputSchema,
  statsInputSchema,
} from './schemas';
import type { AgentEvent, ApplyResult, HostInfo, Inventory, PlanResult, StatsResult } from './types';

/** What every call knows about its request. The agent builds it after checking the bearer token. */
export interface AgentContext {
  /** True once the request's bearer token matched; every procedure checks it again. */
  authenticated: boolean;
}

/**
 * The work behind each procedure. The agent implements it with the link engine; the router only
 * checks authentication, validates input and maps errors, so the contract lives here while
 * `packages/` never imports from `apps/`.
 */
export interface AgentHandlers {
  hostInfo(): Promise<HostInfo>;
  inventory(): Promise<Inventory>;
  plan(input: ChangeInput): Promise<PlanResult>;
  create(input: CreateInput): Promise<ApplyResult>;
  delete(input: DeleteInput): Promise<ApplyResult>;
  applyBatch(input: ChangeInput): Promise<ApplyResult>;
  stats(input: StatsInput): Promise<StatsResult>;
  /** Yields host changes until `signal` aborts. */
  changes(signal: AbortSignal): AsyncIterable<AgentEvent>;
}

/** How long an idle change stream stays open before the server sends a keep-alive comment, in milliseconds. */
const SSE_PING_MS = 10_000;

const t = initTRPC.context<AgentContext>().create({
  sse: { ping: { enabled: true, intervalMs: SSE_PING_MS }, client: { reconnectAfterInactivityMs: SSE_PING_MS * 3 } },
  errorFormatter({ shape, error }) {
    return { ...shape, message: agentErrorMessage(error), data: { ...shape.data, stack: undefined, ...agentErrorData(error) } };
  },
});

/** Rejects the call unless the context says its token matched; runs before input validation. */
const authenticated = t.procedure.use(({ ctx, next }) => {
  if (!ctx.authenticated) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'missing or wrong bearer token; send Authorization: Bearer <token from the agent token file>' });
  return next();
});

async function mapErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toTRPCError(error);
  }
}

/** Builds the agent's tRPC router around `handlers`. */
export function createAgentRouter(handlers: AgentHandlers) {
  return t.router({
    hostInfo: authenticated.query(() => mapErrors(() => handlers.hostInfo())),
    inventory: authenticated.query(() => mapErrors(() => handlers.inventory())),
    /** Dry run: the exact commands `apply` would run for the same input. A mutation, because a batch can be too long for a URL. */
    plan: authenticated.input(changeInputSchema).mutation(({ input }) => mapErrors(() => handlers.plan(input))),
    create: authenticated.input(createInputSchema).mutation(({ input }) => mapErrors(() => handlers.create(input))),
    delete: authenticated.input(deleteInputSchema).mutation(({ input }) => mapErrors(() => handlers.delete(input))),
    /** Named so because tRPC reserves `apply` (a Function method on its client proxies). */
    applyBatch: authenticated.input(changeInputSchema).mutation(({ input }) => mapErrors(() => handlers.applyBatch(input))),
    stats: authenticated.input(statsInputSchema).query(({ input }) => mapErrors(() => handlers.stats(input))),
    changes: authenticated.subscription(async function* ({ signal }) {
      const abort = new AbortController();
      signal?.addEventListener('abort', () => abort.abort(), { once: true });
      try {
        yield* handlers.changes(abort.signal);
      } finally {
        abort.abort();
      }
    }),
  });
}

export type AgentRouter = ReturnType<typeof createAgentRouter>;

/** Procedure names, for tests and tools that call each one. */
export const AGENT_PROCEDURES = ['hostInfo', 'inventory', 'plan', 'create', 'delete', 'applyBatch', 'stats', 'changes'] as const;
