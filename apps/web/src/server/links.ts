import type { InterfaceStats, PlanResult } from '@koko/agent-api';
import { KokoError, newLinkId, quote } from '@koko/core';
import {
  createLink,
  deleteLink,
  getLink,
  getNode,
  listLinks,
  markLinkDrifted,
  markLinkFailed,
  markLinkPending,
  markLinkUp,
  previewVni,
  suggestAddressPair,
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
import type { ConnectInput, DeleteLinkInput, SuggestInput } from './schemas';
import { linkViewOf, type LinkView } from './views';

export interface LinkSuggestion {
  kind: 'veth' | 'vxlan';
  /** The VNI a vxlan would get now; connect allocates its own, so this is a preview. */
  vni: number | null;
  /** The lab the addresses come from; null when the default lab does not exist yet. */
  labId: string | null;
  a: { ifname: string; addresses: string[] };
  b: { ifname: string; addresses: string[] };
}

/** The dry run of a link on one host: the exact processes its agent would run. */
export interface HostPlan {
  hostId: string;
  hostName: string;
  plan: PlanResult;
  /** The same processes as shell lines, for people to read or copy. */
  script: string;
}

/** Interface names and addresses of both ends of a connect request, with the gaps filled in. */
interface CompleteEnds {
  a: { ifname: string; addresses: string[] };
  b: { ifname: string; addresses: string[] };
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
  constructor(
    private readonly db: KokoDatabase,
    private readonly agents: AgentPool,
    private readonly hosts: HostService,
    private readonly labs: LabService,
    private readonly applier: LinkApplier,
    private readonly busy: BusyLinks,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  /** Suggests free interface names and addresses for a new link between two nodes, and its kind. */
  async suggest(input: SuggestInput): Promise<LinkSuggestion> {
    const [nodeA, nodeB] = await Promise.all([getNode(this.db, input.a.nodeId), getNode(this.db, input.b.nodeId)]);
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
    const [addressA, addressB] = lab ? await suggestAddressPair(this.db, lab.id, 4) : this.labs.defaultPoolPair();
    return {
      kind,
      vni: kind === 'vxlan' ? await previewVni(this.db) : null,
      labId: lab?.id ?? null,
      a: { ifname: names[0], addresses: [addressA] },
      b: { ifname: names[1], addresses: [addressB] },
    };
  }

  /** Returns a free interface name in `node` other than those in `avoid`. */
  async #freeName(node: NodeRecord, avoid: string[]): Promise<string> {
    const names = await suggestInterfaceNames(this.db, node.hostName, node.node, { count: avoid.length + 1 });
    return names.find((name) => !avoid.includes(name))!;
  }

  /** Fills in what a connect request left out: free interface names, and a free address pair when neither end has addresses. */
  async #complete(input: ConnectInput, nodeA: NodeRecord, nodeB: NodeRecord, lab: LabRecord | undefined): Promise<CompleteEnds> {
    const sameNode = nodeA.id === nodeB.id;
    const ifnameA = input.a.ifname ?? (await this.#freeName(nodeA, sameNode && input.b.ifname ? [input.b.ifname] : []));
    const ifnameB = input.b.ifname ?? (await this.#freeName(nodeB, sameNode ? [ifnameA] : []));

    let addresses: [string[], string[]] = [input.a.addresses ?? [], input.b.addresses ?? []];
    if (input.a.addresses === undefined && input.b.addresses === undefined) {
      const [addressA, addressB] = lab ? await suggestAddressPair(this.db, lab.id, 4) : this.labs.defaultPoolPair();
      addresses = [[addressA], [addressB]];
    }
    return { a: { ifname: ifnameA, addresses: addresses[0] }, b: { ifname: ifnameB, addresses: addresses[1] } };
  }

  /** Builds what connect would store: a veth on one host, a vxlan pair with each host's underlay interface as parent otherwise. */
  async #draftOf(input: ConnectInput, nodeA: NodeRecord, nodeB: NodeRecord, id: string, lab: LabRecord | undefined): Promise<LinkDraftInput> {
    const ends = await this.#complete(input, nodeA, nodeB, lab);
    const end = (node: NodeRecord, side: 'a' | 'b') => ({ host: node.hostName, node: node.node, ...ends[side] });
    const mtu = input.mtu === undefined ? {} : { mtu: input.mtu };
    if (nodeA.hostId === nodeB.hostId) return { id, kind: 'veth', a: end(nodeA, 'a'), b: end(nodeB, 'b'), ...mtu };

    const [underlayA, underlayB] = await Promise.all([this.hosts.underlayOf(nodeA.hostId), this.hosts.underlayOf(nodeB.hostId)]);
    return {
      id,
      kind: 'vxlan',
      a: { ...end(nodeA, 'a'), parent: underlayA.parent },
      b: { ...end(nodeB, 'b'), parent: underlayB.parent },
      ...mtu,
    };
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
    const [nodeA, nodeB] = await Promise.all([getNode(this.db, input.a.nodeId), getNode(this.db, input.b.nodeId)]);
    this.#requireReachable([nodeA, nodeB]);
    const lab = await this.labs.resolve(input.labId, actor);
    const id = newLinkId();

    return this.busy.run([id], 'connect', async () => {
      const draft = await this.#draftOf(input, nodeA, nodeB, id, lab);
      const pending = await createLink(this.db, { labId: lab.id, link: draft }, actor);
      this.log.info({ linkId: id, kind: pending.kind, lab: lab.name }, 'link stored as pending');
      this.events.publish({ changed: ['links', 'history'], linkIds: [id], labIds: [lab.id] });

      const done = await this.applier.create(pending, lab, actor);
      this.events.publish({ changed: ['links', 'history'], linkIds: [id], labIds: [lab.id] });
      return this.view(done);
    });
  }

  /** Shows what connect would run on each host, without storing or changing anything. */
  async plan(input: ConnectInput): Promise<HostPlan[]> {
    const [nodeA, nodeB] = await Promise.all([getNode(this.db, input.a.nodeId), getNode(this.db, input.b.nodeId)]);
    const lab = await this.labs.find(input.labId);
    const draft = await this.#draftOf(input, nodeA, nodeB, newLinkId(), lab);
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
