import type { HostInfo, Inventory } from '@koko/agent-api';
import { isKokoError, KokoError, quote } from '@koko/core';
import {
  getHost,
  listHosts,
  listLinks,
  registerHost,
  removeHost,
  syncNodes,
  updateHost,
  updateHostStatus,
  type ActorInput,
  type HostRecord,
  type KokoDatabase,
  type UpdateHostInput,
} from '@koko/db';
import { AGENT_TIMEOUTS, AgentCallError, type AgentPool } from './agents';
import type { InventorySnapshot } from './drift';
import type { EventBus } from './events';
import { HostWatch, type HostWatchOptions } from './host-watch';
import { nodeObservationsOf } from './inventory';
import type { Logger } from './log';
import type { HostStatusView, HostView, UnderlayCandidate } from './views';
import type { HostUnderlay } from './vxlan-underlay';

/**
 * State the controller last read from a host's agent, kept in memory; the database keeps status and
 * last contact. NOTE: the database has no token-rejected status, so it stores offline with the
 * error, and the view shows token-rejected only once this process has read the host.
 */
interface HostLive {
  status: HostStatusView;
  lastError: string | null;
  info?: HostInfo;
  snapshot?: InventorySnapshot;
  /** Digest of the node observations last written, so an unchanged inventory is not written again. */
  nodesDigest?: string;
  nodesSyncedAt?: number;
}

/**
 * How long an unchanged inventory may go without being written, in milliseconds. Each write
 * refreshes the nodes' last-seen time; skipping unchanged writes keeps a quiet host from writing
 * every poll.
 */
const NODE_RESYNC_MS = 60_000;

/** Returns whether an interface in `state` can carry traffic: `UNKNOWN` is what devices without carrier detection, such as tun, report while up. */
function carriesTraffic(state: string): boolean {
  return state === 'UP' || state === 'UNKNOWN';
}

/**
 * Lists the addresses a vxlan can use as underlay, best first: interfaces that are up before
 * those that are down, then IPv4 before IPv6, then in the agent's order. The first one is the
 * default a host gets when the user picks none.
 */
export function underlayCandidatesOf(info: HostInfo | undefined): UnderlayCandidate[] {
  const candidates = (info?.underlay ?? []).flatMap((entry) =>
    entry.addresses.map((address) => ({ interface: entry.name, address: address.address, family: address.family, mtu: entry.mtu, state: entry.state })),
  );
  const rank = (candidate: UnderlayCandidate) => (carriesTraffic(candidate.state) ? 0 : 2) + (candidate.family === 4 ? 0 : 1);
  return candidates.sort((left, right) => rank(left) - rank(right));
}

export interface HostServiceHooks {
  /** Called after each successful read of a host, to judge its links against the new inventory. */
  onInventory(hostId: string): Promise<void>;
}

/** Registers hosts, reads each one's agent on a schedule and keeps its status, nodes and inventory fresh. */
export class HostService {
  readonly #live = new Map<string, HostLive>();
  readonly #watches = new Map<string, HostWatch>();
  #hooks: HostServiceHooks = { onInventory: async () => undefined };

  constructor(
    private readonly db: KokoDatabase,
    private readonly agents: AgentPool,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly watchOptions: HostWatchOptions,
  ) {}

  setHooks(hooks: HostServiceHooks): void {
    this.#hooks = hooks;
  }

  /** Starts watching every registered host; the first reads run in the background. */
  async start(): Promise<void> {
    for (const host of await listHosts(this.db)) this.#watch(host.id).schedule(0);
  }

  async close(): Promise<void> {
    const watches = [...this.#watches.values()];
    this.#watches.clear();
    await Promise.all(watches.map((watch) => watch.close()));
  }

  async list(): Promise<HostView[]> {
    return (await listHosts(this.db)).map((host) => this.viewOf(host));
  }

  async get(hostId: string): Promise<HostView> {
    return this.viewOf(await getHost(this.db, hostId));
  }

  viewOf(host: HostRecord): HostView {
    const live = this.#live.get(host.id);
    const info = live?.info;
    const candidates = underlayCandidatesOf(info);
    return {
      id: host.id,
      name: host.name,
      agentUrl: host.agentUrl,
      status: live?.status ?? (host.status === 'online' ? 'unknown' : host.status),
      lastSeenAt: host.lastSeenAt?.toISOString() ?? null,
      lastError: live ? live.lastError : host.lastError,
      underlay: host.underlay,
      underlayInterface: candidates.find((candidate) => candidate.address === host.underlay)?.interface ?? null,
      underlayCandidates: candidates,
      hostname: info?.hostname ?? null,
      kernel: info?.kernel ?? null,
      agentVersion: info?.agentVersion ?? null,
      dockerError: info && !info.docker.reachable ? info.docker.error : null,
      createdAt: host.createdAt.toISOString(),
    };
  }

  /** Returns the hosts whose agent responded to the last read. */
  onlineHostIds(): Set<string> {
    return new Set([...this.#live].filter(([, live]) => live.status === 'online').map(([id]) => id));
  }

  /** Returns the latest inventory of each online host. */
  snapshots(): Map<string, InventorySnapshot> {
    const result = new Map<string, InventorySnapshot>();
    for (const [id, live] of this.#live) if (live.status === 'online' && live.snapshot) result.set(id, live.snapshot);
    return result;
  }

  /**
   * Registers a host after checking that its agent accepts this token. The host is read once
   * before this returns, so it comes back online with its nodes.
   */
  async add(input: { name: string; agentUrl: string; token: string; underlay?: string }, actor: ActorInput): Promise<HostView> {
    const probe = { id: '', name: input.name, agentUrl: input.agentUrl };
    let info: HostInfo;
    try {
      info = await this.agents.callWith(probe, input.token, 'host info', AGENT_TIMEOUTS.query, (client, signal) => client.hostInfo.query(undefined, { signal }));
    } catch (error) {
      if (error instanceof AgentCallError) throw new KokoError('invalid', error.message, error.kind === 'token-rejected' ? 'token' : 'agent');
      throw error;
    }

    const twin = [...this.#live].find(([, live]) => live.info?.hostId === info.hostId);
    if (twin) {
      const other = await getHost(this.db, twin[0]);
      throw new KokoError('conflict', `the agent at ${input.agentUrl} is host ${quote(other.name)}, already registered at ${other.agentUrl}; one agent serves one host`, 'agent');
    }
    if (input.underlay !== undefined && !underlayCandidatesOf(info).some((candidate) => candidate.address === input.underlay)) {
      throw new KokoError('invalid', `underlay address ${quote(input.underlay)} is not on any interface of host ${quote(input.name)}; pick one of: ${describeCandidates(info)}`, 'underlay');
    }

    const underlay = input.underlay ?? underlayCandidatesOf(info)[0]?.address;
    const host = await registerHost(this.db, { ...input, ...(underlay !== undefined && { underlay }) }, actor);
    this.log.info({ hostId: host.id, name: host.name, agentUrl: host.agentUrl }, 'registered host');
    this.events.publish({ changed: ['hosts', 'history'], hostIds: [host.id] });
    await this.#watch(host.id).refresh();
    return this.get(host.id);
  }

  /**
   * Changes how koko reaches a host (agent address, token) or which address its vxlan ends use.
   * The underlay cannot change while vxlan links use the host, because their ends on both hosts
   * were made with the old address and parent.
   */
  async update(hostId: string, change: UpdateHostInput, actor: ActorInput): Promise<HostView> {
    if (change.underlay) await this.#checkUnderlayChange(hostId, change.underlay);
    const host = await updateHost(this.db, hostId, change, actor);
    this.agents.forget(hostId);
    this.#watches.get(hostId)?.unfollow();
    this.events.publish({ changed: ['hosts', 'history'], hostIds: [hostId] });
    await this.#watch(host.id).refresh();
    return this.get(hostId);
  }

  async #checkUnderlayChange(hostId: string, underlay: string): Promise<void> {
    const host = await getHost(this.db, hostId);
    if (host.underlay === underlay) return;
    const info = this.#live.get(hostId)?.info;
    if (info && !underlayCandidatesOf(info).some((candidate) => candidate.address === underlay)) {
      throw new KokoError('invalid', `underlay address ${quote(underlay)} is not on any interface of host ${quote(host.name)}; pick one of: ${describeCandidates(info)}`, 'underlay');
    }
    const vxlans = (await listLinks(this.db, { hostId })).filter((link) => link.kind === 'vxlan');
    if (vxlans.length > 0) {
      const ids = vxlans.slice(0, 5).map((link) => link.id).join(', ');
      const more = vxlans.length > 5 ? ` and ${vxlans.length - 5} more` : '';
      throw new KokoError(
        'conflict',
        `host ${quote(host.name)} has ${vxlans.length} vxlan link(s) over underlay ${host.underlay ?? 'none'} (${ids}${more}); delete them, change the underlay, then connect them again`,
        'underlay',
      );
    }
  }

  /** Removes a host that no link uses any more. Its interfaces stay as they are. */
  async remove(hostId: string, actor: ActorInput): Promise<HostView> {
    const host = await removeHost(this.db, hostId, actor);
    const view = this.viewOf(host);
    await this.#watches.get(hostId)?.close();
    this.#watches.delete(hostId);
    this.#live.delete(hostId);
    this.agents.forget(hostId);
    this.log.info({ hostId, name: host.name }, 'removed host');
    this.events.publish({ changed: ['hosts', 'nodes', 'history'], hostIds: [hostId] });
    return view;
  }

  /** Reads a host now and returns what it found. */
  async refresh(hostId: string): Promise<HostView> {
    await getHost(this.db, hostId);
    await this.#watch(hostId).refresh();
    return this.get(hostId);
  }

  /** Returns the address, interface and MTU of a host's underlay, reading the host's agent when it was not read yet. */
  async underlayOf(hostId: string): Promise<HostUnderlay> {
    let host = await getHost(this.db, hostId);
    if (!this.#live.get(hostId)?.info) {
      await this.refresh(hostId);
      host = await getHost(this.db, hostId);
    }
    const info = this.#live.get(hostId)?.info;
    if (!info) throw new KokoError('failed', `host ${quote(host.name)} has not responded yet (${this.#live.get(hostId)?.lastError ?? 'no reply'}); a vxlan needs its underlay interface`);
    if (host.underlay === null) {
      throw new KokoError('invalid', `host ${quote(host.name)} has no underlay address, which a vxlan to it needs; give its agent's namespace a global address, or set one with hosts.update`);
    }
    const candidate = underlayCandidatesOf(info).find((entry) => entry.address === host.underlay);
    if (!candidate) {
      throw new KokoError('invalid', `underlay address ${quote(host.underlay)} of host ${quote(host.name)} is on none of its interfaces any more; pick one of: ${describeCandidates(info)}`);
    }
    return { hostName: host.name, address: candidate.address, parent: candidate.interface, mtu: candidate.mtu, family: candidate.family };
  }

  #watch(hostId: string): HostWatch {
    let watch = this.#watches.get(hostId);
    if (!watch) {
      watch = new HostWatch(hostId, () => this.#read(hostId), this.watchOptions, this.log);
      this.#watches.set(hostId, watch);
    }
    return watch;
  }

  /** Reads host info and inventory from a host's agent, and records what changed. */
  async #read(hostId: string): Promise<void> {
    let host: HostRecord;
    try {
      host = await getHost(this.db, hostId);
    } catch (error) {
      if (isKokoError(error) && error.code === 'not-found') return;
      throw error;
    }
    const live = this.#live.get(hostId) ?? { status: 'unknown', lastError: null };
    this.#live.set(hostId, live);
    const before = { status: live.status, lastError: live.lastError };
    const requestedAt = Date.now();

    try {
      const [info, inventory] = await Promise.all([
        this.agents.call(host, 'host info', AGENT_TIMEOUTS.query, (client, signal) => client.hostInfo.query(undefined, { signal })),
        this.agents.call(host, 'inventory', AGENT_TIMEOUTS.inventory, (client, signal) => client.inventory.query(undefined, { signal })),
      ]);
      await this.#recordOnline(host, live, info, inventory, requestedAt);
    } catch (error) {
      if (!(error instanceof AgentCallError)) throw error;
      await this.#recordOffline(host, live, error);
    }

    if (before.status !== live.status) {
      this.log.info({ hostId, name: host.name, from: before.status, to: live.status, error: live.lastError }, 'host status changed');
    }
    if (before.status !== live.status || before.lastError !== live.lastError) {
      this.events.publish({ changed: ['hosts', 'nodes', 'links'], hostIds: [hostId] });
    }
  }

  async #recordOnline(host: HostRecord, live: HostLive, info: HostInfo, inventory: Inventory, requestedAt: number): Promise<void> {
    live.status = 'online';
    live.lastError = null;
    live.info = info;
    live.snapshot = { inventory, requestedAt };

    // A host registered before its agent had an underlay address gets the first one it reports.
    const underlay = host.underlay === null ? underlayCandidatesOf(info)[0]?.address : undefined;
    await updateHostStatus(this.db, host.id, { status: 'online', ...(underlay !== undefined && { underlay }) });

    const observations = nodeObservationsOf(inventory);
    const digest = JSON.stringify(observations);
    if (digest !== live.nodesDigest || Date.now() - (live.nodesSyncedAt ?? 0) > NODE_RESYNC_MS) {
      await syncNodes(this.db, host.id, observations, new Date(requestedAt));
      if (digest !== live.nodesDigest) this.events.publish({ changed: ['nodes'], hostIds: [host.id] });
      live.nodesDigest = digest;
      live.nodesSyncedAt = Date.now();
    }

    await this.#hooks.onInventory(host.id);
    this.#watches.get(host.id)?.follow(await this.agents.clientFor(host.id));
  }

  async #recordOffline(host: HostRecord, live: HostLive, error: AgentCallError): Promise<void> {
    live.status = error.kind === 'token-rejected' ? 'token-rejected' : 'offline';
    live.lastError = error.message;
    this.#watches.get(host.id)?.unfollow();
    if (host.status !== 'offline' || host.lastError !== error.message) {
      await updateHostStatus(this.db, host.id, { status: 'offline', error: error.message });
    }
    if (live.status === 'token-rejected') this.log.warn({ hostId: host.id, name: host.name }, 'agent rejected the token');
  }
}

function describeCandidates(info: HostInfo): string {
  const candidates = underlayCandidatesOf(info);
  return candidates.length === 0 ? 'none (the agent reports no interface with a global address)' : candidates.map((entry) => `${entry.address} (${entry.interface})`).join(', ');
}
