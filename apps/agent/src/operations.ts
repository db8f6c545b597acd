import type { ApplyResult, ChangeInput, PlanResult, PlannedLink, StatsResult } from '@koko/agent-api';
import { type InterfaceRef, KokoError, type LinkRequest, describeNode, endpointsOf, quote } from '@koko/core';
import {
  type CreatePlan,
  type Namespace,
  NamespaceLock,
  type Plan,
  applyPlan,
  currentNamespaceKey,
  describeBatches,
  planCreate,
  planDelete,
  readInterfaceStatistics,
  resolveNamespace,
} from '@koko/linux';
import { TRPCError } from '@trpc/server';
import type { Logger } from 'pino';

/** The plans of one batch: deletions run before creations. */
interface BatchPlans {
  deletePlan: Plan | undefined;
  createPlan: CreatePlan | undefined;
}

function linksOf(plan: CreatePlan | undefined): PlannedLink[] {
  return (plan?.links ?? []).map(({ id, kind, summary, interfaces }) => ({ id, kind, summary, interfaces }));
}

/**
 * Runs plans and changes for the agent: one namespace lock per namespace key, so two requests on
 * one namespace never interleave their plans, and a stop switch that lets the running changes
 * finish while it rejects new ones.
 */
export class Operations {
  private readonly lock = new NamespaceLock();
  private readonly running = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly log: Logger) {}

  /** Resolves every node the batch names, so the right namespaces can be locked before planning. */
  private async lockRequest(input: ChangeInput): Promise<{ exclusive: string[]; shared: string[] }> {
    const nodes = [...input.create.flatMap(endpointsOf).map((endpoint) => endpoint.node), ...input.delete.map((ref) => ref.node)];
    const unique = new Map(nodes.map((node) => [describeNode(node), node]));
    const namespaces = await Promise.all([...unique.values()].map(resolveNamespace));
    // vxlan, vlan and macvlan need their parent in the agent's namespace to stay while they are planned and made.
    const shared = input.create.some((link) => link.kind !== 'veth') ? [await currentNamespaceKey()] : [];
    return { exclusive: namespaces.map((namespace: Namespace) => namespace.key), shared };
  }

  /** Plans a batch under the namespace lock and passes the plans to `work`, still under the lock. */
  private async withPlans<T>(input: ChangeInput, work: (plans: BatchPlans) => Promise<T>): Promise<T> {
    const request = await this.lockRequest(input);
    return this.lock.run(request, async () => {
      const deletePlan = input.delete.length > 0 ? await planDelete(input.delete) : undefined;
      if (deletePlan) await rejectReusedNames(input.create, input.delete);
      const createPlan = input.create.length > 0 ? await planCreate(input.create, input.options) : undefined;
      return work({ deletePlan, createPlan });
    });
  }

  async plan(input: ChangeInput): Promise<PlanResult> {
    return this.withPlans(input, async ({ deletePlan, createPlan }) => {
      const steps = [...(deletePlan?.steps ?? []), ...(createPlan?.steps ?? [])];
      return {
        links: linksOf(createPlan),
        deleted: deletePlan?.summary ?? [],
        steps: steps.length,
        batches: [...(deletePlan ? describeBatches(deletePlan) : []), ...(createPlan ? describeBatches(createPlan) : [])],
      };
    });
  }

  /** Applies a batch: the deletions, then the creations. A failed creation is rolled back; the deletions before it stay done. */
  async apply(operation: string, input: ChangeInput): Promise<ApplyResult> {
    this.rejectIfStopping();
    const started = performance.now();
    const task = this.withPlans(input, async ({ deletePlan, createPlan }) => {
      this.rejectIfStopping();
      const links = linksOf(createPlan);
      const linkIds = links.map((link) => link.id);
      let steps = 0;
      let batches = 0;
      if (deletePlan) {
        const result = await applyPlan(deletePlan);
        steps += result.steps;
        batches += result.batches;
      }
      if (createPlan) {
        try {
          const result = await applyPlan(createPlan);
          steps += result.steps;
          batches += result.batches;
        } catch (error) {
          if (deletePlan && error instanceof KokoError) {
            throw new KokoError(error.code, `${error.message} The ${deletePlan.summary.length} deletion(s) before it were applied and stay done.`, error.field);
          }
          throw error;
        }
      }
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      this.log.info({ operation, linkIds, deleted: deletePlan?.summary.length ?? 0, steps, batches, durationMs }, `${operation} done`);
      return { links, deleted: deletePlan?.summary ?? [], steps, batches, durationMs };
    });
    return this.track(task);
  }

  async create(link: LinkRequest, options: ChangeInput['options']): Promise<ApplyResult> {
    return this.apply('create', { create: [link], delete: [], options });
  }

  async delete(interfaces: InterfaceRef[]): Promise<ApplyResult> {
    return this.apply('delete', { create: [], delete: interfaces, options: {} });
  }

  async stats(interfaces: InterfaceRef[]): Promise<StatsResult> {
    const found = await readInterfaceStatistics(interfaces);
    return {
      readAt: Date.now(),
      interfaces: found.map(({ ref, namespace, info }) => ({
        node: ref.node,
        ifname: ref.ifname,
        namespace: namespace.label,
        state: info.state,
        up: info.up,
        counters: info.counters,
      })),
    };
  }

  /** Rejects new changes from now on and waits until the running ones finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  get runningChanges(): number {
    return this.running.size;
  }

  private rejectIfStopping(): void {
    if (this.stopping) throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'the agent is stopping and accepts no new changes; send the request again once it is back' });
  }

  private async track<T>(task: Promise<T>): Promise<T> {
    this.running.add(task);
    try {
      return await task;
    } finally {
      this.running.delete(task);
    }
  }
}

/**
 * Rejects a batch that deletes an interface and creates one of the same name in the same
 * namespace: creations are checked against the namespaces as they are before the deletions run.
 */
async function rejectReusedNames(creates: LinkRequest[], deletes: InterfaceRef[]): Promise<void> {
  const deleted = new Set<string>();
  for (const ref of deletes) deleted.add(`${(await resolveNamespace(ref.node)).key}/${ref.ifname}`);
  for (const endpoint of creates.flatMap(endpointsOf)) {
    const namespace = await resolveNamespace(endpoint.node);
    if (deleted.has(`${namespace.key}/${endpoint.ifname}`)) {
      throw new KokoError(
        'invalid',
        `interface ${quote(endpoint.ifname)} in ${namespace.label} is both deleted and created by this batch; send the deletion and the creation as two requests`,
      );
    }
  }
}
