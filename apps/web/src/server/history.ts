import { KokoError } from '@koko/core';
import {
  appendHistory,
  createLink,
  deleteLink,
  getHistoryEntry,
  listHistory,
  nodeKeyText,
  planRestore,
  type ActorInput,
  type HistoryFilter,
  type KokoDatabase,
  type LinkRecord,
  type LinkSpec,
  type RestorePlan,
} from '@koko/db';
import type { BusyLinks } from './busy-links';
import { messageOf } from './errors';
import type { EventBus } from './events';
import type { LinkApplier } from './link-apply';
import type { Logger } from './log';
import type { LinkService } from './links';
import { historyDetailOf, historyViewOf, type HistoryEntryDetailView, type HistoryEntryView, type LinkView } from './views';

/** A link as a restore would create it: its stored form from the history, with its nodes' row ids where they exist. */
export interface RestoreLinkView {
  id: string;
  kind: LinkSpec['kind'];
  vni: number | null;
  mtu: number | null;
  endpoints: { hostName: string; hostId: string | null; nodeId: string | null; node: LinkSpec['a']['node']; ifname: string; addresses: string[] }[];
}

export interface RestorePreview {
  labId: string;
  labName: string;
  entryId: number;
  /** Links the restore creates. */
  add: RestoreLinkView[];
  /** Stored links the restore deletes: gone at that point, or different then. */
  remove: LinkView[];
  /** Stored links that already match. */
  keep: number;
}

export interface RestoreResult {
  labId: string;
  entryId: number;
  removed: string[];
  created: LinkView[];
  /** Links the restore could not remove or create, with the reason. */
  failed: { linkId: string; error: string }[];
}

/** Lists history, shows one change, and returns a lab to its state after any past change. */
export class HistoryService {
  constructor(
    private readonly db: KokoDatabase,
    private readonly applier: LinkApplier,
    private readonly links: LinkService,
    private readonly busy: BusyLinks,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  async list(filter: HistoryFilter): Promise<HistoryEntryView[]> {
    return (await listHistory(this.db, filter)).map(historyViewOf);
  }

  async get(id: number): Promise<HistoryEntryDetailView> {
    return historyDetailOf(await getHistoryEntry(this.db, id));
  }

  /** Finds the lab a restore applies to: the one given, or the lab of the entry. */
  async #labOf(entryId: number, labId: string | undefined): Promise<string> {
    if (labId !== undefined) return labId;
    const entry = await getHistoryEntry(this.db, entryId);
    if (entry.labId === null) throw new KokoError('invalid', `history entry ${entryId} (${entry.action}) belongs to no lab; give the lab to restore as labId`, 'labId');
    return entry.labId;
  }

  async preview(input: { id: number; labId?: string }): Promise<RestorePreview> {
    const plan = await planRestore(this.db, await this.#labOf(input.id, input.labId), input.id);
    return {
      labId: plan.lab.id,
      labName: plan.lab.name,
      entryId: plan.entryId,
      add: await this.#specViews(plan.create),
      remove: await this.links.views(plan.remove),
      keep: plan.keep.length,
    };
  }

  /**
   * Returns a lab to its state right after history entry `id`: removes the links it did not have
   * then (or had in another form), and creates the ones it had, with their ids and VNIs. Each link
   * that fails is reported and the others go on; the history records the restore as a whole and
   * every step of it.
   */
  async restore(input: { id: number; labId?: string }, actor: ActorInput): Promise<RestoreResult> {
    const plan = await planRestore(this.db, await this.#labOf(input.id, input.labId), input.id);
    const lab = { id: plan.lab.id, name: plan.lab.name, group: plan.lab.group };
    const summary = `restore lab ${plan.lab.name} to its state after change ${plan.entryId}: remove ${plan.remove.length}, create ${plan.create.length} link(s)`;
    await appendHistory(this.db, { actor, action: 'lab.restore', summary, labId: lab.id, labName: lab.name, before: this.#planSummary(plan), after: null, outcome: 'pending' });
    this.log.info({ labId: lab.id, entryId: plan.entryId, remove: plan.remove.length, create: plan.create.length }, 'restoring lab');

    const ids = [...plan.remove.map((link) => link.id), ...plan.create.map((spec) => spec.id)];
    const result = await this.busy.run(ids, 'restore', async () => {
      const failed: RestoreResult['failed'] = [];
      const removed: string[] = [];
      const created: LinkRecord[] = [];

      const failures = plan.remove.length > 0 ? await this.applier.remove(plan.remove, lab, actor) : new Map<string, string>();
      for (const link of plan.remove) {
        const failure = failures.get(link.id);
        if (failure !== undefined) {
          failed.push({ linkId: link.id, error: failure });
          continue;
        }
        await deleteLink(this.db, link.id, actor);
        removed.push(link.id);
      }
      this.events.publish({ changed: ['links', 'history'], labIds: [lab.id], linkIds: removed });

      const stillThere = new Set(failed.map((entry) => entry.linkId));
      for (const spec of plan.create) {
        if (stillThere.has(spec.id)) continue;
        try {
          const pending = await createLink(this.db, { labId: lab.id, link: spec }, actor);
          this.events.publish({ changed: ['links', 'history'], labIds: [lab.id], linkIds: [spec.id] });
          const done = await this.applier.create(pending, lab, actor);
          created.push(done);
          if (done.status === 'failed') failed.push({ linkId: done.id, error: done.lastError ?? 'failed' });
        } catch (error) {
          failed.push({ linkId: spec.id, error: messageOf(error) });
        }
      }
      return { labId: lab.id, entryId: plan.entryId, removed, created: await this.links.views(created), failed };
    });

    await appendHistory(this.db, {
      actor,
      action: 'lab.restore',
      summary: result.failed.length === 0 ? `restored lab ${lab.name} to its state after change ${plan.entryId}` : `restored lab ${lab.name} to its state after change ${plan.entryId} with ${result.failed.length} failure(s)`,
      labId: lab.id,
      labName: lab.name,
      before: this.#planSummary(plan),
      after: { removed: result.removed, created: result.created.map((link) => link.id), failed: result.failed },
      outcome: result.failed.length === 0 ? 'ok' : 'failed',
      error: result.failed.length === 0 ? null : result.failed.map((entry) => `link ${entry.linkId}: ${entry.error}`).join('; '),
    });
    this.events.publish({ changed: ['links', 'labs', 'history'], labIds: [lab.id], linkIds: ids });
    return result;
  }

  #planSummary(plan: RestorePlan) {
    return { entryId: plan.entryId, remove: plan.remove.map((link) => link.id), create: plan.create.map((spec) => spec.id), keep: plan.keep.map((link) => link.id) };
  }

  /** Describes links that are not stored, looking up the row ids of their hosts and nodes. */
  async #specViews(specs: LinkSpec[]): Promise<RestoreLinkView[]> {
    const rows = await this.db.read((client) => client.node.findMany({ select: { id: true, kind: true, name: true, hostId: true, host: { select: { name: true } } } }));
    const nodeIds = new Map(rows.map((row) => [`${row.host.name}/${row.kind}/${row.name}`, row]));
    const hostIds = new Map(rows.map((row) => [row.host.name, row.hostId]));
    return specs.map((spec) => ({
      id: spec.id,
      kind: spec.kind,
      vni: spec.vni ?? null,
      mtu: spec.mtu ?? null,
      endpoints: (spec.b === undefined ? [spec.a] : [spec.a, spec.b]).map((end) => {
        const key = nodeKeyText(end.host, end.node);
        return {
          hostName: end.host,
          hostId: hostIds.get(end.host) ?? null,
          nodeId: nodeIds.get(key)?.id ?? null,
          node: end.node,
          ifname: end.ifname,
          addresses: end.addresses,
        };
      }),
    }));
  }
}
