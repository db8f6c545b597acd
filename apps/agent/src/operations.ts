import type { ApplyResult, ChangeInput, InterfaceStats, MissingInterface, PlanResult, PlannedLink, StatsResult } from '@koko/agent-api';
import { describeNode, endpointsOf, type InterfaceRef, isKokoError, KokoError, type LinkRequest, type NodeRef, quote, withField } from '@koko/core';
import {
  type CreatePlan,
  type Namespace,
  NamespaceLock,
  type Plan,
  applyPlan,
  currentNamespaceKey,
  describeBatches,
  planCreate,
  type ReaderLookup,
  planDelete,
  readInterfaceStatistics,
  resolveNamespace,
} from '@koko/linux';
import { TRPCError } from '@trpc/server';
import type { Logger } from 'pino';
import { BATCH_PATHS, CREATE_PATHS, DELETE_PATHS, type ItemPaths, nodePaths, planNamingItem } from './failing-item';

/** Most link ids an operation's log line lists; the line always has the full count. */
const LOGGED_LINK_IDS = 10;

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

  /** `readerFor` lends the change feed's namespace readers to the plans, while the feed runs. */
  constructor(
    private readonly log: Logger,
    private readonly readerFor?: ReaderLookup,
  ) {}

  /**
   * Resolves every node the batch names, so the right namespaces can be locked before planning.
   * A node that does not resolve fails the request with the input path of the first field naming it.
   */
  private async lockRequest(input: ChangeInput, paths: ItemPaths): Promise<{ exclusive: string[]; shared: string[] }> {
    const unique = new Map<string, { node: NodeRef; field: string }>();
    for (const entry of nodePaths(input.create, input.delete, paths)) {
      if (!unique.has(describeNode(entry.node))) unique.set(describeNode(entry.node), entry);
    }
    const entries = [...unique.values()];
    const results = await Promise.allSettled(entries.map((entry) => resolveNamespace(entry.node)));
    const namespaces = results.map((result, index) => {
      if (result.status === 'rejected') throw withField(result.reason, entries[index]!.field);
      return result.value;
    });
    // vxlan, vlan and macvlan need their parent in the agent's namespace to stay while they are planned and made.
    const shared = input.create.some((link) => link.kind !== 'veth') ? [await currentNamespaceKey()] : [];
    return { exclusive: namespaces.map((namespace: Namespace) => namespace.key), shared };
  }

  /** Plans a batch under the namespace lock and passes the plans to `work`, still under the lock. */
  private async withPlans<T>(input: ChangeInput, paths: ItemPaths, work: (plans: BatchPlans) => Promise<T>): Promise<T> {
    const request = await this.lockRequest(input, paths);
    return this.lock.run(request, async () => {
      const deletePlan = input.delete.length > 0 ? await planNamingItem(input.delete, planDelete, paths.delete) : undefined;
      if (deletePlan) await rejectReusedNames(input.create, input.delete, paths);
      const createPlan =
        input.create.length > 0 ? await planNamingItem(input.create, (links) => planCreate(links, input.options, this.readerFor), paths.create) : undefined;
      return work({ deletePlan, createPlan });
    });
  }

  async plan(input: ChangeInput): Promise<PlanResult> {
    return this.withPlans(input, BATCH_PATHS, async ({ deletePlan, createPlan }) => {
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
  async apply(operation: string, input: ChangeInput, paths: ItemPaths = BATCH_PATHS): Promise<ApplyResult> {
    this.rejectIfStopping();
    const started = performance.now();
    const task = this.withPlans(input, paths, async ({ deletePlan, createPlan }) => {
      this.rejectIfStopping();
      const links = linksOf(createPlan);
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
          if (deletePlan && isKokoError(error)) {
            throw new KokoError(error.code, `${error.message} The ${deletePlan.summary.length} deletion(s) before it were applied and stay done.`, error.field);
          }
          throw error;
        }
      }
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      const linkIds = links.slice(0, LOGGED_LINK_IDS).map((link) => link.id);
      this.log.info({ operation, links: links.length, linkIds, deleted: deletePlan?.summary.length ?? 0, steps, batches, durationMs }, `${operation} done`);
      return { links, deleted: deletePlan?.summary ?? [], steps, batches, durationMs };
    });
    return this.track(task);
  }

  async create(link: LinkRequest, options: ChangeInput['options']): Promise<ApplyResult> {
    return this.apply('create', { create: [link], delete: [], options }, CREATE_PATHS);
  }

  async delete(interfaces: InterfaceRef[]): Promise<ApplyResult> {
    return this.apply('delete', { create: [], delete: interfaces, options: {} }, DELETE_PATHS);
  }

  /**
   * Reads the counters of each interface. A missing interface or node is listed in `missing`
   * rather than failing the query, unless no interface at all was found.
   */
  async stats(interfaces: InterfaceRef[]): Promise<StatsResult> {
    const results = await readInterfaceStatistics(interfaces);
    const found: InterfaceStats[] = [];
    const missing: MissingInterface[] = [];
    results.forEach((result, index) => {
      const { node, ifname } = result.ref;
      if (result.found) {
        const { info } = result;
        found.push({ index, node, ifname, namespace: result.namespace.label, state: info.state, up: info.up, counters: info.counters });
      } else {
        missing.push({ index, node, ifname, message: result.error.message });
      }
    });

    if (found.length === 0) {
      const first = results[0] as Extract<(typeof results)[number], { found: false }>;
      const others = results.length > 1 ? ` (none of the ${results.length} requested interfaces was found)` : '';
      throw new KokoError(first.error.code, `${first.error.message}${others}`, 'interfaces.0');
    }
    return { readAt: Date.now(), interfaces: found, missing };
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
async function rejectReusedNames(creates: LinkRequest[], deletes: InterfaceRef[], paths: ItemPaths): Promise<void> {
  const deleted = new Set<string>();
  for (const ref of deletes) deleted.add(`${(await resolveNamespace(ref.node)).key}/${ref.ifname}`);
  for (const [index, link] of creates.entries()) {
    for (const endpoint of endpointsOf(link)) {
      const namespace = await resolveNamespace(endpoint.node);
      if (deleted.has(`${namespace.key}/${endpoint.ifname}`)) {
        throw new KokoError(
          'invalid',
          `interface ${quote(endpoint.ifname)} in ${namespace.label} is both deleted and created by this batch; send the deletion and the creation as two requests`,
          paths.create(index),
        );
      }
    }
  }
}
