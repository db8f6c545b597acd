import { initTRPC } from '@trpc/server';

/** What every controller procedure receives: who is acting, for the history record. */
export interface ControllerContext {
  actor: string;
}

const t = initTRPC.context<ControllerContext>().create();

export const router = t.router;
export const publicProcedure = t.procedure;
