import type { Inventory, PlanResult } from '@koko/agent-api';
import { describeNode, type InterfaceRef, quote } from '@koko/core';
import {
  appendHistory,
  listHosts,
  markLinkFailed,
  markLinkUp,
  setLinkStatuses,
  type ActorInput,
  type EndpointRecord,
  type KokoDatabase,
  type LinkRecord,
} from '@koko/db';
import { AGENT_TIMEOUTS, AgentCallError, type AgentHost, type AgentPool } from './agents';
import { messageOf } from './errors';
import { findNamespace } from './inventory';
import { describeHalf, halfRequestsOf, type HalfRequest, type LinkHost } from './link-requests';
import type { Logger } from './log';

/** The lab a change belongs to, for history entries. */
export interface LabRef {
  id: string;
  name: string;
  /** Interface group of the lab's interfaces on every host. */
  group: number;
}

/** One host's part of a batch: the link halves its agent makes. */
interface HostBatch {
  host: AgentHost;
  items: { link: LinkRecord; half: HalfRequest }[];
}

/** Result of removing links from their hosts: the links that could not be removed, with the reason. */
export type RemovalFailures = Map<string, string>;

/**
 * Carries stored links out on the hosts: creates them through the agents and removes them again,
 * recording every agent call in the history.
 */
export class LinkApplier {
  constructor(
    private readonly db: KokoDatabase,
    private readonly agents: AgentPool,
    private readonly log: Logger,
  ) {}

  async linkHosts(): Promise<Map<string, LinkHost>> {
    const hosts = await listHosts(this.db);
    return new Map(hosts.map((host) => [host.id, { id: host.id, name: host.name, agentUrl: host.agentUrl, underlay: host.underlay }]));
  }

  /**
   * Creates a stored (pending) link on its hosts, one agent after the other, and records the
   * outcome: up, or failed with the agent's error. When the second half of a vxlan pair fails,
   * the first half is deleted again, so nothing is left half-made.
   */
  async create(link: LinkRecord, lab: LabRef, actor: ActorInput): Promise<LinkRecord> {
    let halves: HalfRequest[];
    try {
      halves = halfRequestsOf(link, await this.linkHosts());
    } catch (error) {
      return markLinkFailed(this.db, link.id, messageOf(error), actor);
    }

    const made: HalfRequest[] = [];
    for (const half of halves) {
      const what = `create ${describeHalf(link, half)}`;
      try {
        const result = await this.agents.call(half.host, what, AGENT_TIMEOUTS.change, (client, signal) =>
          client.create.mutate({ link: half.link, options: { group: lab.group } }, { signal }),
        );
        await this.#record(actor, lab, link.id, what, { host: half.host.name, request: half.link }, { steps: result.steps, durationMs: result.durationMs });
        made.push(half);
      } catch (error) {
        const message = messageOf(error);
        await this.#record(actor, lab, link.id, what, { host: half.host.name, request: half.link }, null, message);
        this.log.warn({ linkId: link.id, host: half.host.name, error: message }, 'creating a link failed');
        const undoProblem = await this.#undo(link, made, lab, actor);
        return markLinkFailed(this.db, link.id, undoProblem ? `${message}. ${undoProblem}` : message, actor);
      }
    }
    this.log.info({ linkId: link.id, kind: link.kind, hosts: halves.map((half) => half.host.name) }, 'link created');
    return markLinkUp(this.db, link.id, actor);
  }

  /**
   * Creates stored (pending) links with one agent batch per host, all hosts at once, and records
   * each link up or failed. When an agent rejects its batch, that host's part is sent again one
   * link at a time, so one bad link does not fail the others there. What the hosts made of a link
   * that failed elsewhere is deleted again, with one batch per host. Returns the links in order.
   */
  async createMany(links: LinkRecord[], lab: LabRef, actor: ActorInput): Promise<LinkRecord[]> {
    const started = performance.now();
    const hosts = await this.linkHosts();
    const failures = new Map<string, string>();
    const byHost = new Map<string, HostBatch>();
    for (const link of links) {
      let halves: HalfRequest[];
      try {
        halves = halfRequestsOf(link, hosts);
      } catch (error) {
        failures.set(link.id, messageOf(error));
        continue;
      }
      for (const half of halves) {
        const batch = byHost.get(half.host.id) ?? { host: half.host, items: [] };
        batch.items.push({ link, half });
        byHost.set(half.host.id, batch);
      }
    }

    const made = new Map<string, HalfRequest[]>();
    const outcomes = await Promise.all([...byHost.values()].map((batch) => this.#createBatch(batch, lab, actor)));
    for (const outcome of outcomes) {
      for (const { link, half } of outcome.made) made.set(link.id, [...(made.get(link.id) ?? []), half]);
      for (const [linkId, message] of outcome.failures) failures.set(linkId, failures.has(linkId) ? `${failures.get(linkId)}; ${message}` : message);
    }
    await this.#undoMany(links, made, failures, lab, actor);
    const appliedMs = Math.round(performance.now() - started);

    const changes = links.map((link) => {
      const failure = failures.get(link.id);
      return { linkId: link.id, change: failure === undefined ? { status: 'up' as const } : { status: 'failed' as const, error: failure } };
    });
    const results = await setLinkStatuses(this.db, changes, actor);
    const hostNames = [...byHost.values()].map((batch) => batch.host.name);
    this.log.info({ links: links.length, failed: failures.size, hosts: hostNames, appliedMs, durationMs: Math.round(performance.now() - started) }, 'links created in batches');
    return results;
  }

  /** Sends one host's part of a batch; when the agent rejects it, sends the halves one at a time. */
  async #createBatch(batch: HostBatch, lab: LabRef, actor: ActorInput): Promise<{ made: HostBatch['items']; failures: Map<string, string> }> {
    const what = `create ${batch.items.length} link end(s) of lab ${quote(lab.name)} on host ${quote(batch.host.name)}`;
    const request = { host: batch.host.name, requests: batch.items.map(({ half }) => half.link) };
    try {
      const result = await this.agents.call(batch.host, what, AGENT_TIMEOUTS.change, (client, signal) =>
        client.applyBatch.mutate({ create: request.requests, options: { group: lab.group } }, { signal }),
      );
      await this.#record(actor, lab, null, what, request, { steps: result.steps, batches: result.batches, durationMs: result.durationMs });
      return { made: batch.items, failures: new Map() };
    } catch (error) {
      const message = messageOf(error);
      await this.#record(actor, lab, null, what, request, null, message);
      this.log.warn({ host: batch.host.name, links: batch.items.length, error: message }, 'creating a batch of links failed');
      const rejected = error instanceof AgentCallError && error.kind === 'rejected';
      if (!rejected || batch.items.length === 1) return { made: [], failures: new Map(batch.items.map(({ link }) => [link.id, message])) };
    }

    const made: HostBatch['items'] = [];
    const failures = new Map<string, string>();
    for (const item of batch.items) {
      const single = `create ${describeHalf(item.link, item.half)}`;
      try {
        const result = await this.agents.call(batch.host, single, AGENT_TIMEOUTS.change, (client, signal) =>
          client.create.mutate({ link: item.half.link, options: { group: lab.group } }, { signal }),
        );
        await this.#record(actor, lab, item.link.id, single, { host: batch.host.name, request: item.half.link }, { steps: result.steps, durationMs: result.durationMs });
        made.push(item);
      } catch (error) {
        const message = messageOf(error);
        await this.#record(actor, lab, item.link.id, single, { host: batch.host.name, request: item.half.link }, null, message);
        this.log.warn({ linkId: item.link.id, host: batch.host.name, error: message }, 'creating a link failed');
        failures.set(item.link.id, message);
      }
    }
    return { made, failures };
  }

  /** Deletes what the hosts made of links that failed on another host, one batch per host, and adds what could not be undone to their failure. */
  async #undoMany(links: LinkRecord[], made: Map<string, HalfRequest[]>, failures: Map<string, string>, lab: LabRef, actor: ActorInput): Promise<void> {
    const byHost = new Map<string, HostBatch>();
    for (const link of links) {
      if (!failures.has(link.id)) continue;
      for (const half of made.get(link.id) ?? []) {
        const batch = byHost.get(half.host.id) ?? { host: half.host, items: [] };
        batch.items.push({ link, half });
        byHost.set(half.host.id, batch);
      }
    }

    await Promise.all(
      [...byHost.values()].map(async (batch) => {
        const what = `undo ${batch.items.length} link end(s) of lab ${quote(lab.name)} on host ${quote(batch.host.name)}`;
        const interfaces = batch.items.map(({ half }) => half.undo);
        try {
          await this.agents.call(batch.host, what, AGENT_TIMEOUTS.change, (client, signal) => client.delete.mutate({ interfaces }, { signal }));
          await this.#record(actor, lab, null, what, { host: batch.host.name, interfaces }, null);
        } catch (error) {
          const message = messageOf(error);
          await this.#record(actor, lab, null, what, { host: batch.host.name, interfaces }, null, message);
          this.log.warn({ linkIds: batch.items.map(({ link }) => link.id), host: batch.host.name, error: message }, 'undoing link ends failed');
          for (const { link, half } of batch.items) {
            const problem = `${describeNode(half.undo.node)}/${half.undo.ifname} on host ${quote(batch.host.name)} was made and could not be deleted again (${message}); delete the link to retry`;
            failures.set(link.id, `${failures.get(link.id)}. ${problem}`);
          }
        }
      }),
    );
  }

  /** Deletes the halves already made, last first; returns what could not be undone, or undefined. */
  async #undo(link: LinkRecord, made: HalfRequest[], lab: LabRef, actor: ActorInput): Promise<string | undefined> {
    const problems: string[] = [];
    for (const half of [...made].reverse()) {
      const what = `undo ${describeHalf(link, half)}`;
      try {
        await this.agents.call(half.host, what, AGENT_TIMEOUTS.change, (client, signal) => client.delete.mutate({ interfaces: [half.undo] }, { signal }));
        await this.#record(actor, lab, link.id, what, { host: half.host.name, interface: half.undo }, null);
      } catch (error) {
        const message = messageOf(error);
        await this.#record(actor, lab, link.id, what, { host: half.host.name, interface: half.undo }, null, message);
        problems.push(`${describeNode(half.undo.node)}/${half.undo.ifname} on host ${quote(half.host.name)} was made and could not be deleted again (${message}); delete the link to retry`);
      }
    }
    return problems.length > 0 ? problems.join('; ') : undefined;
  }

  /**
   * Removes the interfaces of `links` from their hosts: one fresh inventory and one batch delete
   * per host. Only interfaces that carry the link's tag are deleted, so a failed link never
   * takes an interface of the same name that something else made. An interface that is already
   * gone counts as removed.
   */
  async remove(links: LinkRecord[], lab: LabRef, actor: ActorInput): Promise<RemovalFailures> {
    const failures: RemovalFailures = new Map();
    const hosts = await this.linkHosts();
    const endsByHost = new Map<string, { link: LinkRecord; end: EndpointRecord }[]>();
    for (const link of links) {
      for (const end of link.b === undefined ? [link.a] : [link.a, link.b]) {
        endsByHost.set(end.hostId, [...(endsByHost.get(end.hostId) ?? []), { link, end }]);
      }
    }

    await Promise.all(
      [...endsByHost].map(async ([hostId, ends]) => {
        const host = hosts.get(hostId);
        if (!host) return;
        const linkIds = [...new Set(ends.map(({ link }) => link.id))];
        const subject = linkIds.length === 1 ? `link ${linkIds[0]}` : `${linkIds.length} links of lab ${quote(lab.name)}`;
        const what = `delete ${subject} on host ${quote(host.name)}`;
        try {
          const inventory = await this.agents.call(host, `inventory before ${what}`, AGENT_TIMEOUTS.inventory, (client, signal) => client.inventory.query(undefined, { signal }));
          const { refs, skipped } = interfacesToDelete(inventory, ends);
          if (refs.length > 0) {
            await this.agents.call(host, what, AGENT_TIMEOUTS.change, (client, signal) => client.applyBatch.mutate({ delete: refs, options: {} }, { signal }));
          }
          await this.#record(actor, lab, linkIds.length === 1 ? linkIds[0]! : null, what, { host: host.name, interfaces: refs, leftAlone: skipped }, null);
        } catch (error) {
          const message = messageOf(error);
          for (const id of linkIds) failures.set(id, message);
          await this.#record(actor, lab, linkIds.length === 1 ? linkIds[0]! : null, what, { host: host.name }, null, message);
          this.log.warn({ linkIds, host: host.name, error: message }, 'removing links from a host failed');
        }
      }),
    );
    return failures;
  }

  /**
   * Asks each host of a link which commands would remove its interfaces (the agents' dry run of
   * the delete `remove` would send), so an existing link can show its commands. Changes nothing.
   */
  async planRemoval(link: LinkRecord): Promise<{ host: AgentHost; plan: PlanResult }[]> {
    const hosts = await this.linkHosts();
    const endsByHost = new Map<string, { link: LinkRecord; end: EndpointRecord }[]>();
    for (const end of link.b === undefined ? [link.a] : [link.a, link.b]) {
      endsByHost.set(end.hostId, [...(endsByHost.get(end.hostId) ?? []), { link, end }]);
    }
    const plans = await Promise.all(
      [...endsByHost].map(async ([hostId, ends]) => {
        const host = hosts.get(hostId);
        if (!host) return undefined;
        const inventory = await this.agents.call(host, `inventory before planning to delete link ${link.id}`, AGENT_TIMEOUTS.inventory, (client, signal) => client.inventory.query(undefined, { signal }));
        const { refs } = interfacesToDelete(inventory, ends);
        if (refs.length === 0) return undefined;
        const plan = await this.agents.call(host, `plan to delete link ${link.id}`, AGENT_TIMEOUTS.query, (client, signal) => client.plan.mutate({ delete: refs, options: {} }, { signal }));
        return { host, plan };
      }),
    );
    return plans.filter((entry) => entry !== undefined);
  }

  /** Appends one agent call to the history: what was asked of which host, and how it went. */
  async #record(actor: ActorInput, lab: LabRef, linkId: string | null, what: string, request: unknown, result: unknown, error?: string): Promise<void> {
    await appendHistory(this.db, {
      actor,
      action: 'agent.call',
      summary: error === undefined ? what : `${what} failed`,
      labId: lab.id,
      labName: lab.name,
      linkId,
      before: request,
      after: result,
      outcome: error === undefined ? 'ok' : 'failed',
      error: error ?? null,
    });
  }
}

/**
 * Picks the interfaces to delete on one host: each end that exists with the link's tag. A veth
 * with both ends on the host needs one of them, since deleting one end removes its peer.
 * Interfaces of the same name that carry another tag, or none, are left alone and listed.
 */
export function interfacesToDelete(inventory: Inventory, ends: { link: LinkRecord; end: EndpointRecord }[]): { refs: InterfaceRef[]; skipped: string[] } {
  const refs: InterfaceRef[] = [];
  const skipped: string[] = [];
  const vethsTaken = new Set<string>();
  for (const { link, end } of ends) {
    if (link.kind === 'veth' && vethsTaken.has(link.id)) continue;
    // NOTE: inventories list only the agent's namespace, named netns and containers, so an end in a
    // pid or path node (possible only through import) counts as gone and its interface stays.
    const found = findNamespace(inventory, end.node)?.interfaces.find((info) => info.name === end.ifname);
    if (!found) continue;
    if (found.linkId !== link.id) {
      skipped.push(`${describeNode(end.node)}/${end.ifname} (${found.linkId ? `tag of link ${found.linkId}` : 'no koko tag'})`);
      continue;
    }
    refs.push({ node: end.node, ifname: end.ifname });
    if (link.kind === 'veth') vethsTaken.add(link.id);
  }
  return { refs, skipped };
}
