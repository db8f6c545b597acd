import type { InterfaceStats, PlanResult } from '@koko/agent-api';
import { describeNode, isKokoError, KokoError, newLinkId, quote, withBatchPosition, withField } from '@koko/core';
import {
  createLink,
  createLinks,
  deleteLink,
  getLink,
  getNode,
  listLinks,
  markLinkDrifted,
  markLinkFailed,
  markLinkPending,
  markLinkUp,
  previewVni,
  suggestInterfaceNames,
  SYSTEM_ACTOR,
  type ActorInput,
  type KokoDatabase,
  type LabRecord,
  type LinkDraftInput,
  type LinkRecord,
  type NodeRecord,
} from '@koko/db';
import { AGENT_TIMEOUTS, type AgentPool } from './agents';
import type { BusyLinks } from './busy-links';
import { judgeLink } from './drift';
import { messageOf } from './errors';
import type { EventBus } from './events';
import type { HostService } from './hosts';
import type { LabService } from './labs';
import { type LabRef, type LinkApplier } from './link-apply';
import { halfRequestsOf } from './link-requests';
import type { Logger } from './log';
import { claimEnd, emptyClaims, LinkDrafter, type LinkSettings, type UnderlayCache } from './link-drafts';
import type { ConnectInput, ConnectManyInput, DeleteLinkInput, LinkToConnect, SuggestInput } from './schemas';
import { linkViewOf, type LinkView } from './views';

export interface LinkSuggestion {
  kind: 'veth' | 'vxlan';
  /** The VNI a vxlan would get now; connect allocates its own, so this is a preview. */
  vni: number | null;
  /** The lab the addresses come from; null when the default lab does not exist yet. */
  labId: string | null;
  a: { ifname: string; addresses: string[] };
  b: { ifname: string; addresses: string[] };
  /** Reason no addresses are suggested (both ends then have none), such as a pool with no free pair; null when they are. */
  addressProblem: string | null;
  /**
   * MTU connect gives both ends when the request sets none, which for a vxlan pair is also the
   * largest it accepts. Null for a veth, whose ends get the kernel's default, or when a host's
   * underlay is not known yet (see `problem`).
   */
  mtu: number | null;
  /** UDP port a vxlan pair gets when the request sets none; null for a veth. */
  port: number | null;
  /** Why connect would reject this pair as it stands, such as underlays of two address families; null when nothing is known to be wrong. */
  problem: string | null;
}

/** The dry run of a link on one host: the exact processes its agent would run. */
export interface HostPlan {
  hostId: string;
  hostName: string;
  plan: PlanResult;
  /** The same processes as shell lines, for people to read or copy. */
  script: string;
}

export interface EndpointStats {
  hostId: string;
  ifname: string;
  /** Counters and state as the agent read them, or null with `error` when it could not. */
  stats: InterfaceStats | null;
  error: string | null;
}

export interface LinkDetail extends LinkView {
  stats: EndpointStats[];
}

/** Renders a plan's processes as shell lines: each argv, with its `ip -batch` input as a here-document. */
export function renderPlanScript(plan: PlanResult): string {
  return plan.batches
    .map((batch) => {
      const command = batch.argv.join(' ');
      return batch.input && batch.input.length > 0 ? `${command} <<'EOF'\n${batch.input.join('\n')}\nEOF` : command;
    })
    .join('\n');
}

/** Connects, deletes, retries and describes links, and keeps their status in line with what the hosts report. */
export class LinkService {
  private readonly drafts: LinkDrafter;

  constructor(
    private readonly db: KokoDatabase,
    private readonly agents: AgentPool,
    private readonly hosts: HostService,
    private readonly labs: LabService,
    private readonly applier: LinkApplier,
    private readonly busy: BusyLinks,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {
    this.drafts = new LinkDrafter(db, hosts, labs);
  }

  /** Suggests free interface names and addresses for a new link between two nodes, and its kind. */
  async suggest(input: SuggestInput): Promise<LinkSuggestion> {
    const [nodeA, nodeB] = await Promise.all([this.#node(input.a.nodeId, 'a.nodeId'), this.#node(input.b.nodeId, 'b.nodeId')]);
    const lab = await this.labs.find(input.labId);
    const kind = nodeA.hostId === nodeB.hostId ? 'veth' : 'vxlan';

    let names: [string, string];
    if (nodeA.id === nodeB.id) {
      const [first, second] = await suggestInterfaceNames(this.db, nodeA.hostName, nodeA.node, { count: 2 });
      names = [first!, second!];
    } else {
      const [[first], [second]] = await Promise.all([
        suggestInterfaceNames(this.db, nodeA.hostName, nodeA.node),
        suggestInterfaceNames(this.db, nodeB.hostName, nodeB.node),
      ]);
      names = [first!, second!];
    }
    let addresses: [string[], string[]] = [[], []];
    let addressProblem: string | null = null;
    try {
      addresses = await this.drafts.addressPairs(lab, nodeA, nodeB, input.ipv6 ? [4, 6] : [4]);
    } catch (error) {
      if (!isKokoError(error) || error.code !== 'conflict') throw error;
      addressProblem = error.message;
    }
    const settings = await this.#defaultSettingsOf(nodeA, nodeB);
    return {
      kind,
      vni: kind === 'vxlan' ? await previewVni(this.db) : null,
      labId: lab?.id ?? null,
      a: { ifname: names[0], addresses: addresses[0] },
      b: { ifname: names[1], addresses: addresses[1] },
      addressProblem,
      mtu: settings.value?.kind === 'vxlan' ? settings.value.mtu : null,
      port: settings.value?.kind === 'vxlan' ? settings.value.port : null,
      problem: settings.problem,
    };
  }

  /** Returns the settings a link between two nodes gets by default, or the reason connect would reject it. */
  async #defaultSettingsOf(nodeA: NodeRecord, nodeB: NodeRecord): Promise<{ value: LinkSettings | null; problem: string | null }> {
    try {
      this.#requireReachable([nodeA, nodeB]);
      return { value: await this.drafts.settingsOf({}, nodeA, nodeB), problem: null };
    } catch (error) {
      if (isKokoError(error)) return { value: null, problem: error.message };
      throw error;
    }
  }

  /** Rejects a change on a host whose agent failed its last read, before anything is stored. */
  #requireReachable(nodes: NodeRecord[]): void {
    const online = this.hosts.onlineHostIds();
    for (const node of nodes) {
      if (online.has(node.hostId)) continue;
      throw new KokoError('unsupported', `host ${quote(node.hostName)} is not online, so nothing was changed; check its agent in the host list and try again once it responds`);
    }
  }

  /**
   * Connects two nodes: stores the link as pending, creates it through the agents, then records
   * up or failed. Two requests for the same interface name cannot both be stored: the second
   * gets a conflict that names the link holding it.
   */
  async connect(input: ConnectInput, actor: ActorInput): Promise<LinkView> {
    const [nodeA, nodeB] = await Promise.all([this.#node(input.a.nodeId, 'a.nodeId'), this.#node(input.b.nodeId, 'b.nodeId')]);
    this.#requireReachable([nodeA, nodeB]);
    const lab = await this.labs.resolve(input.labId, actor);
    const id = newLinkId();

    return this.busy.run([id], 'connect', async () => {
      const draft = await this.drafts.draftOf(input, nodeA, nodeB, id, lab);
      const pending = await createLink(this.db, { labId: lab.id, link: draft }, actor);
      this.log.info({ linkId: id, kind: pending.kind, lab: lab.name }, 'link stored as pending');
      this.events.publish({ changed: ['links', 'history'], linkIds: [id], labIds: [lab.id] });

      const done = await this.applier.create(pending, lab, actor);
      this.events.publish({ changed: ['links', 'history'], linkIds: [id], labIds: [lab.id] });
      return this.view(done);
    });
  }

  /**
   * Connects many node pairs in one request. Every link is checked before any is stored, then all
   * are stored as pending, then created with one agent batch per host, all hosts at once. A link
   * that fails on a host ends failed, and what its other host made is deleted again; the other
   * links are not affected. Returns the links in the order of the request.
   */
  async connectMany(input: ConnectManyInput, actor: ActorInput): Promise<LinkView[]> {
    const nodes = await this.#nodesOf(input.links);
    this.#requireReachable([...nodes.values()]);
    const pairs = input.links.map((link): [NodeRecord, NodeRecord] => [nodes.get(link.a.nodeId)!, nodes.get(link.b.nodeId)!]);
    const underlays: UnderlayCache = new Map();
    for (const [index, link] of input.links.entries()) {
      await inBatch(index, input.links.length, () => this.drafts.settingsOf(link, ...pairs[index]!, underlays));
    }
    rejectRepeatedNames(input.links, pairs);

    const lab = await this.labs.resolve(input.labId, actor);
    const ids = input.links.map(() => newLinkId());
    return this.busy.run(ids, 'connect', async () => {
      const storing = performance.now();
      const stored = await this.#storeAll(input.links, pairs, ids, lab, underlays, actor);
      this.log.info({ links: stored.length, lab: lab.name, durationMs: Math.round(performance.now() - storing) }, 'links stored as pending');
      this.events.publish({ changed: ['links', 'history'], linkIds: ids, labIds: [lab.id] });

      const done = await this.applier.createMany(stored, lab, actor);
      this.events.publish({ changed: ['links', 'history'], linkIds: ids, labIds: [lab.id] });
      return this.views(done);
    });
  }

  /** Returns the node `id`; when it does not exist, the error names `field`, the input that gave it. */
  async #node(id: string, field: string): Promise<NodeRecord> {
    try {
      return await getNode(this.db, id);
    } catch (error) {
      throw withField(error, field);
    }
  }

  async #nodesOf(links: LinkToConnect[]): Promise<Map<string, NodeRecord>> {
    // Each id once, with the first input field that names it.
    const fields = new Map<string, string>();
    for (const [index, link] of links.entries()) {
      if (!fields.has(link.a.nodeId)) fields.set(link.a.nodeId, `links.${index}.a.nodeId`);
      if (!fields.has(link.b.nodeId)) fields.set(link.b.nodeId, `links.${index}.b.nodeId`);
    }
    const nodes = await Promise.all([...fields].map(([id, field]) => this.#node(id, field)));
    return new Map(nodes.map((node) => [node.id, node]));
  }

  /**
   * Stores the links of a batch as pending in one transaction, so a rejected batch leaves no link
   * behind. Each draft's free names and addresses skip those of the drafts before it.
   */
  async #storeAll(links: LinkToConnect[], pairs: [NodeRecord, NodeRecord][], ids: string[], lab: LabRecord, underlays: UnderlayCache, actor: ActorInput): Promise<LinkRecord[]> {
    // Names and addresses the request gives itself are claimed first, so that a link filled in
    // earlier in the batch does not take what a later link names.
    const claims = emptyClaims();
    for (const [index, link] of links.entries()) {
      claimEnd(claims, pairs[index]![0], link.a.ifname, link.a.addresses);
      claimEnd(claims, pairs[index]![1], link.b.ifname, link.b.addresses);
    }
    const drafts: LinkDraftInput[] = [];
    for (const [index, link] of links.entries()) {
      drafts.push(await inBatch(index, links.length, () => this.drafts.draftOf(link, ...pairs[index]!, ids[index]!, lab, underlays, claims)));
    }
    return createLinks(this.db, { labId: lab.id, links: drafts }, actor);
  }

  /** Shows what connect would run on each host, without storing or changing anything. */
  async plan(input: ConnectInput): Promise<HostPlan[]> {
    const [nodeA, nodeB] = await Promise.all([this.#node(input.a.nodeId, 'a.nodeId'), this.#node(input.b.nodeId, 'b.nodeId')]);
    const lab = await this.labs.find(input.labId);
    const draft = await this.drafts.draftOf(input, nodeA, nodeB, newLinkId(), lab);
    const vni = draft.kind === 'vxlan' ? await previewVni(this.db) : undefined;
    const record = previewRecord(draft, nodeA, nodeB, vni, lab?.id ?? '');

    const halves = halfRequestsOf(record, await this.applier.linkHosts());
    return Promise.all(
      halves.map(async (half) => {
        const plan = await this.agents.call(half.host, `plan ${record.kind} link`, AGENT_TIMEOUTS.query, (client, signal) =>
          client.plan.mutate({ create: [half.link], options: lab ? { group: lab.group } : {} }, { signal }),
        );
        return { hostId: half.host.id, hostName: half.host.name, plan, script: renderPlanScript(plan) };
      }),
    );
  }

  /**
   * Returns the exact commands that deleting a stored link would run on each host; changes
   * nothing. A veth whose two ends share a host is one delete, so it shows once.
   */
  async planDelete(id: string): Promise<HostPlan[]> {
    const link = await getLink(this.db, id);
    const plans = await this.applier.planRemoval(link);
    return plans.map(({ host, plan }) => ({ hostId: host.id, hostName: host.name, plan, script: renderPlanScript(plan) }));
  }

  /**
   * Deletes a link from its hosts, then from the database. When a host cannot remove its end,
   * the link stays stored, unless `force` is set: then it is deleted from the database anyway.
   */
  async delete(input: DeleteLinkInput, actor: ActorInput): Promise<LinkView> {
    return this.busy.run([input.id], 'delete', async () => {
      const link = await getLink(this.db, input.id);
      const lab = await this.labs.ref(link.labId);
      const failures = await this.applier.remove([link], lab, actor);
      const failure = failures.get(link.id);
      if (failure !== undefined && !input.force) {
        this.events.publish({ changed: ['history'], linkIds: [link.id], labIds: [lab.id] });
        throw new KokoError('failed', `link ${link.id} was not deleted: ${failure}. Fix the host and delete again, or delete with force to forget the link and leave its interfaces`);
      }
      const deleted = await deleteLink(this.db, link.id, actor);
      this.log.info({ linkId: link.id, forced: failure !== undefined }, 'link deleted');
      this.events.publish({ changed: ['links', 'nodes', 'history'], linkIds: [link.id], labIds: [lab.id] });
      return this.view(deleted);
    });
  }

  /** Creates a failed or drifted link again: removes what is left of it, then creates it anew. */
  async retry(linkId: string, actor: ActorInput): Promise<LinkView> {
    return this.busy.run([linkId], 'retry', async () => {
      const link = await getLink(this.db, linkId);
      const lab = await this.labs.ref(link.labId);
      const failures = await this.applier.remove([link], lab, actor);
      const failure = failures.get(link.id);
      if (failure !== undefined) throw new KokoError('failed', `link ${link.id} was not retried: removing what is left of it failed: ${failure}`);

      const pending = await markLinkPending(this.db, link.id, actor);
      this.events.publish({ changed: ['links', 'history'], linkIds: [link.id], labIds: [lab.id] });
      const done = await this.applier.create(pending, lab, actor);
      this.events.publish({ changed: ['links', 'history'], linkIds: [link.id], labIds: [lab.id] });
      return this.view(done);
    });
  }

  /** Returns a link with the counters of its ends, read from the agents now. */
  async get(linkId: string): Promise<LinkDetail> {
    const link = await getLink(this.db, linkId);
    const hosts = await this.applier.linkHosts();
    const online = this.hosts.onlineHostIds();
    const ends = link.b === undefined ? [link.a] : [link.a, link.b];
    const stats = await Promise.all(
      ends.map(async (end): Promise<EndpointStats> => {
        const host = hosts.get(end.hostId);
        if (!host || !online.has(end.hostId)) return { hostId: end.hostId, ifname: end.ifname, stats: null, error: `host ${quote(end.host)} is not online` };
        try {
          const result = await this.agents.call(host, `statistics of ${end.ifname}`, AGENT_TIMEOUTS.query, (client, signal) =>
            client.stats.query({ interfaces: [{ node: end.node, ifname: end.ifname }] }, { signal }),
          );
          return { hostId: end.hostId, ifname: end.ifname, stats: result.interfaces[0] ?? null, error: null };
        } catch (error) {
          return { hostId: end.hostId, ifname: end.ifname, stats: null, error: messageOf(error) };
        }
      }),
    );
    return { ...(await this.view(link)), stats };
  }

  async list(labId?: string): Promise<LinkView[]> {
    return this.views(await listLinks(this.db, labId === undefined ? {} : { labId }));
  }

  async view(link: LinkRecord): Promise<LinkView> {
    return (await this.views([link]))[0]!;
  }

  async views(links: LinkRecord[]): Promise<LinkView[]> {
    const creators = await this.#creatorsOf(links.map((link) => link.id));
    const online = this.hosts.onlineHostIds();
    return links.map((link) => linkViewOf(link, creators.get(link.id) ?? 'unknown', online));
  }

  /** Maps each link id to the display name in its newest link.create entry. */
  async #creatorsOf(linkIds: string[]): Promise<Map<string, string>> {
    if (linkIds.length === 0) return new Map();
    const rows = await this.db.read((client) =>
      client.historyEntry.findMany({ where: { action: 'link.create', linkId: { in: linkIds } }, orderBy: { id: 'asc' }, select: { linkId: true, actorName: true } }),
    );
    return new Map(rows.map((row) => [row.linkId!, row.actorName]));
  }

  /**
   * Compares the links of a host with the latest inventories after the host was read. An up link
   * whose interface is gone or changed turns drifted, and a drifted one that is whole again turns
   * up. A pending link that no request is creating any more, because the controller stopped
   * halfway, turns up or failed. Links a request is changing are left alone.
   */
  async reconcile(hostId: string): Promise<void> {
    const links = await listLinks(this.db, { hostId });
    const snapshots = this.hosts.snapshots();
    const changed: LinkRecord[] = [];
    for (const link of links) {
      if (link.status === 'failed' || this.busy.has(link.id)) continue;
      const verdict = judgeLink(link, snapshots);
      if (verdict.state === 'unknown' || this.busy.has(link.id)) continue;

      let updated: LinkRecord | undefined;
      if (verdict.state === 'ok' && link.status !== 'up') updated = await markLinkUp(this.db, link.id, SYSTEM_ACTOR);
      else if (verdict.state === 'drifted' && link.status === 'pending') {
        updated = await markLinkFailed(this.db, link.id, `the link was not finished when the controller stopped: ${verdict.problem}; retry or delete it`, SYSTEM_ACTOR);
      } else if (verdict.state === 'drifted' && (link.status !== 'drifted' || link.lastError !== verdict.problem)) {
        updated = await markLinkDrifted(this.db, link.id, verdict.problem, SYSTEM_ACTOR);
      }
      if (updated) changed.push(updated);
    }
    if (changed.length === 0) return;
    for (const link of changed) this.log.info({ linkId: link.id, status: link.status, error: link.lastError }, 'link status follows the host');
    this.events.publish({ changed: ['links', 'history'], linkIds: changed.map((link) => link.id), labIds: changed.map((link) => link.labId) });
  }
}

/** Runs one step of a batch request, and prefixes a KokoError it throws with the link's place in the request. */
async function inBatch<T>(index: number, count: number, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw withBatchPosition(error, index, count);
  }
}

/** Rejects a batch in which two links name the same interface in one node, before anything is stored. */
function rejectRepeatedNames(links: LinkToConnect[], pairs: [NodeRecord, NodeRecord][]): void {
  const firstUse = new Map<string, number>();
  for (const [index, link] of links.entries()) {
    const [nodeA, nodeB] = pairs[index]!;
    const named = [
      { node: nodeA, ifname: link.a.ifname },
      { node: nodeB, ifname: link.b.ifname },
    ];
    for (const { node, ifname } of named) {
      if (ifname === undefined) continue;
      const key = `${node.id}/${ifname}`;
      const earlier = firstUse.get(key);
      if (earlier !== undefined && earlier !== index) {
        throw new KokoError(
          'conflict',
          `links ${earlier + 1} and ${index + 1} of the request both name interface ${quote(ifname)} in ${describeNode(node.node)} on host ${quote(node.hostName)}; give each link end its own name`,
          `links.${index}`,
        );
      }
      firstUse.set(key, index);
    }
  }
}

/** Builds a record for a link that is not stored, so a dry run makes the same agent requests as connect. */
function previewRecord(draft: LinkDraftInput, nodeA: NodeRecord, nodeB: NodeRecord, vni: number | undefined, labId: string): LinkRecord {
  const now = new Date();
  const end = (side: NonNullable<LinkDraftInput['b']>, node: NodeRecord) => ({
    host: node.hostName,
    hostId: node.hostId,
    nodeId: node.id,
    node: node.node,
    ifname: side.ifname,
    addresses: side.addresses ?? [],
    ...(side.parent !== undefined && { parent: side.parent }),
  });
  return {
    id: draft.id!,
    labId,
    kind: draft.kind as LinkRecord['kind'],
    a: end(draft.a, nodeA),
    b: end(draft.b!, nodeB),
    ...(draft.mtu !== undefined && { mtu: draft.mtu }),
    ...(vni !== undefined && { vni }),
    status: 'pending',
    lastError: null,
    statusChangedAt: now,
    createdAt: now,
    updatedAt: now,
  };
}

export type { LabRef };
