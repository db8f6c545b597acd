import type { ActorInput } from '@koko/db';
import { saveNodePosition } from '@koko/db';
import {
  addHostInput,
  agentUrlOf,
  connectInput,
  connectManyInput,
  createLabInput,
  deleteLabInput,
  deleteLinkInput,
  exportLabInput,
  historyEntryInput,
  historyListInput,
  hostIdInput,
  importLabInput,
  linkIdInput,
  restoreInput,
  savePositionInput,
  suggestInput,
  topologyInput,
  updateHostInput,
} from './schemas';
import { type ControllerContext, publicProcedure, router } from './trpc';
import { nodeViewOf } from './views';

function actorOf(ctx: ControllerContext): ActorInput {
  return { name: ctx.actor, ...(ctx.sessionId !== undefined && { sessionId: ctx.sessionId }) };
}

const hostsRouter = router({
  /** Every registered host with its status; never the token. */
  list: publicProcedure.query(({ ctx }) => ctx.controller.hosts.list()),
  /** Registers a host after checking that its agent accepts the token. */
  add: publicProcedure.input(addHostInput).mutation(({ ctx, input }) =>
    ctx.controller.hosts.add(
      { name: input.name, agentUrl: agentUrlOf(input.agent), token: input.token, ...(input.underlay !== undefined && { underlay: input.underlay }) },
      actorOf(ctx),
    ),
  ),
  /** Changes a host's agent address, token or underlay address. */
  update: publicProcedure.input(updateHostInput).mutation(({ ctx, input }) =>
    ctx.controller.hosts.update(
      input.id,
      {
        ...(input.agent !== undefined && { agentUrl: agentUrlOf(input.agent) }),
        ...(input.token !== undefined && { token: input.token }),
        ...(input.underlay !== undefined && { underlay: input.underlay }),
      },
      actorOf(ctx),
    ),
  ),
  remove: publicProcedure.input(hostIdInput).mutation(({ ctx, input }) => ctx.controller.hosts.remove(input.id, actorOf(ctx))),
  /** Reads a host's agent now instead of at the next poll. */
  refresh: publicProcedure.input(hostIdInput).mutation(({ ctx, input }) => ctx.controller.hosts.refresh(input.id)),
});

const topologyRouter = router({
  get: publicProcedure.input(topologyInput).query(({ ctx, input }) => ctx.controller.topology.get(input.labId)),
});

const linksRouter = router({
  list: publicProcedure.input(topologyInput).query(({ ctx, input }) => ctx.controller.links.list(input.labId)),
  /** Free interface names and addresses for a new link between two nodes, and its kind. */
  suggest: publicProcedure.input(suggestInput).query(({ ctx, input }) => ctx.controller.links.suggest(input)),
  /** The exact commands connect would run on each host; changes nothing. */
  plan: publicProcedure.input(connectInput).mutation(({ ctx, input }) => ctx.controller.links.plan(input)),
  /** The exact commands deleting a stored link would run on each host; changes nothing. */
  planDelete: publicProcedure.input(linkIdInput).mutation(({ ctx, input }) => ctx.controller.links.planDelete(input.id)),
  /** Stores the link as pending, creates it through the agents, and returns it up or failed. */
  connect: publicProcedure.input(connectInput).mutation(({ ctx, input }) => ctx.controller.links.connect(input, actorOf(ctx))),
  /**
   * Connects many node pairs in one request: checks them all, stores them, then creates them with
   * one agent batch per host. Returns each link up or failed, in the order given.
   */
  connectMany: publicProcedure.input(connectManyInput).mutation(({ ctx, input }) => ctx.controller.links.connectMany(input, actorOf(ctx))),
  delete: publicProcedure.input(deleteLinkInput).mutation(({ ctx, input }) => ctx.controller.links.delete(input, actorOf(ctx))),
  /** Creates a failed or drifted link again. */
  retry: publicProcedure.input(linkIdInput).mutation(({ ctx, input }) => ctx.controller.links.retry(input.id, actorOf(ctx))),
  /** A link with the counters of its ends, read from the agents now. */
  get: publicProcedure.input(linkIdInput).query(({ ctx, input }) => ctx.controller.links.get(input.id)),
});

const nodesRouter = router({
  savePosition: publicProcedure.input(savePositionInput).mutation(async ({ ctx, input }) => {
    const node = await saveNodePosition(ctx.controller.db, input.nodeId, { x: input.x, y: input.y }, actorOf(ctx));
    ctx.controller.events.publish({ changed: ['nodes', 'history'], hostIds: [node.hostId] });
    return nodeViewOf(node, ctx.controller.hosts.onlineHostIds().has(node.hostId), null);
  }),
});

const labsRouter = router({
  list: publicProcedure.query(({ ctx }) => ctx.controller.labs.list()),
  create: publicProcedure.input(createLabInput).mutation(({ ctx, input }) => ctx.controller.labs.create(input, actorOf(ctx))),
  /** Removes the lab's interfaces with one batch delete per host, then the lab. */
  delete: publicProcedure.input(deleteLabInput).mutation(({ ctx, input }) => ctx.controller.labs.delete(input, actorOf(ctx))),
  /** The lab as a JSON file (for import) or a shell script of koko commands. */
  export: publicProcedure.input(exportLabInput).query(({ ctx, input }) => ctx.controller.labs.export(input)),
  import: publicProcedure.input(importLabInput).mutation(({ ctx, input }) =>
    ctx.controller.labs.import({ json: input.json, apply: input.apply, ...(input.name !== undefined && { name: input.name }) }, actorOf(ctx)),
  ),
});

const historyRouter = router({
  /** Entries newest first, filtered by lab, link, person, action, outcome and time. */
  list: publicProcedure.input(historyListInput).query(({ ctx, input }) =>
    ctx.controller.history.list({
      ...(input.labId !== undefined && { labId: input.labId }),
      ...(input.linkId !== undefined && { linkId: input.linkId }),
      ...(input.actor !== undefined && { actorName: input.actor }),
      ...(input.action !== undefined && { action: input.action }),
      ...(input.outcome !== undefined && { outcome: input.outcome }),
      ...(input.since !== undefined && { since: input.since }),
      ...(input.until !== undefined && { until: input.until }),
      ...(input.beforeId !== undefined && { beforeId: input.beforeId }),
      limit: input.limit,
    }),
  ),
  /** One entry with the state before and after it. */
  get: publicProcedure.input(historyEntryInput).query(({ ctx, input }) => ctx.controller.history.get(input.id)),
  /** Lists the links that restoring the lab to its state after this entry would add and remove. */
  restorePreview: publicProcedure.input(restoreInput).query(({ ctx, input }) => ctx.controller.history.preview(input)),
  restore: publicProcedure.input(restoreInput).mutation(({ ctx, input }) => ctx.controller.history.restore(input, actorOf(ctx))),
});

/** The controller's tRPC router: the dashboard's only way to read and change the lab. */
export const controllerRouter = router({
  health: publicProcedure.query(() => ({ ok: true as const })),
  hosts: hostsRouter,
  topology: topologyRouter,
  links: linksRouter,
  nodes: nodesRouter,
  labs: labsRouter,
  history: historyRouter,
  /** Server-sent events: `ready`, then one `topology` event per change of hosts, nodes, links, labs or history. */
  changes: publicProcedure.subscription(async function* ({ ctx, signal }) {
    const abort = new AbortController();
    signal?.addEventListener('abort', () => abort.abort(), { once: true });
    try {
      yield* ctx.controller.events.subscribe(abort.signal);
    } finally {
      abort.abort();
    }
  }),
});

export type ControllerRouter = typeof controllerRouter;
