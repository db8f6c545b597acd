import { publicProcedure, router } from './trpc';

/** The controller's tRPC router: the dashboard's only way to read and change the lab. */
export const controllerRouter = router({
  health: publicProcedure.query(() => ({ ok: true as const })),
});

export type ControllerRouter = typeof controllerRouter;
