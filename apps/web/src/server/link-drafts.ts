import { describeNode, KokoError, quote, VXLAN_DEFAULT_PORT, type AddressFamily } from '@koko/core';
import { findInterfaceHolder, interfaceTaken, suggestAddressPair, suggestInterfaceNames, type KokoDatabase, type LabRecord, type LinkDraftInput, type NodeRecord } from '@koko/db';
import type { HostService } from './hosts';
import type { LabService } from './labs';
import type { LinkToConnect } from './schemas';
import { vxlanPairMtu, type HostUnderlay } from './vxlan-underlay';

/** Interface names and addresses of both ends of a connect request, with the gaps filled in. */
interface CompleteEnds {
  a: { ifname: string; addresses: string[] };
  b: { ifname: string; addresses: string[] };
}

/** What a connect request makes, with its link-wide settings checked: a veth, or a vxlan pair with its MTU, UDP port and underlays. */
export type LinkSettings = { kind: 'veth'; mtu?: number } | { kind: 'vxlan'; mtu: number; port: number; underlays: [HostUnderlay, HostUnderlay] };

/** Underlays already read during one request, by host id, so a batch reads each host's once. */
export type UnderlayCache = Map<string, Promise<HostUnderlay>>;

/**
 * Names and addresses that earlier drafts of one batch took, which are not stored yet. Later
 * drafts of the batch skip them, so the whole batch can be stored at once.
 */
export interface BatchClaims {
  /** Interface names by node id. */
  names: Map<string, Set<string>>;
  addresses: string[];
}

export function emptyClaims(): BatchClaims {
  return { names: new Map(), addresses: [] };
}

/** Adds an end's interface name (when it has one) and addresses to the batch's claims. */
export function claimEnd(claims: BatchClaims, node: NodeRecord, ifname: string | undefined, addresses: readonly string[] = []): void {
  if (ifname !== undefined) claims.names.set(node.id, new Set([...(claims.names.get(node.id) ?? []), ifname]));
  claims.addresses.push(...addresses);
}

/** Turns connect requests into link drafts: picks the kind, checks MTU and port, and fills in free names and addresses. */
export class LinkDrafter {
  constructor(
    private readonly db: KokoDatabase,
    private readonly hosts: HostService,
    private readonly labs: LabService,
  ) {}

  #underlayOf(hostId: string, cache: UnderlayCache): Promise<HostUnderlay> {
    let underlay = cache.get(hostId);
    if (!underlay) {
      underlay = this.hosts.underlayOf(hostId);
      cache.set(hostId, underlay);
    }
    return underlay;
  }

  /**
   * Checks MTU and port against the kind of link two nodes get. A vxlan pair gets the user's MTU
   * or the most both underlays carry; a larger user MTU, underlays of two address families, or a
   * port on a veth are invalid.
   */
  async settingsOf(input: Pick<LinkToConnect, 'mtu' | 'port'>, nodeA: NodeRecord, nodeB: NodeRecord, cache: UnderlayCache = new Map()): Promise<LinkSettings> {
    if (nodeA.hostId === nodeB.hostId) {
      if (input.port !== undefined) {
        throw new KokoError(
          'invalid',
          `port ${input.port} applies to vxlan links between two hosts, but both nodes are on host ${quote(nodeA.hostName)}, so the link is a veth; remove port`,
          'port',
        );
      }
      return { kind: 'veth', ...(input.mtu !== undefined && { mtu: input.mtu }) };
    }

    const underlays: [HostUnderlay, HostUnderlay] = await Promise.all([this.#underlayOf(nodeA.hostId, cache), this.#underlayOf(nodeB.hostId, cache)]);
    return { kind: 'vxlan', mtu: vxlanPairMtu(underlays[0], underlays[1], input.mtu), port: input.port ?? VXLAN_DEFAULT_PORT, underlays };
  }

  /**
   * Rejects a given interface name that the node's last inventory lists. A name a stored link uses
   * gets the same conflict as storing it would. Any other listed name belongs to an interface koko
   * did not make, and the agent would reject a new interface with that name.
   */
  async #requireNameFree(node: NodeRecord, ifname: string | undefined, side: 'a' | 'b'): Promise<void> {
    if (ifname === undefined || !node.interfaces.includes(ifname)) return;
    const endpoint = { host: node.hostName, node: node.node, ifname };
    const holder = await findInterfaceHolder(this.db, endpoint);
    if (holder) throw new KokoError('conflict', interfaceTaken(endpoint, holder).message, `${side}.ifname`);
    throw new KokoError(
      'conflict',
      `interface ${quote(ifname)} already exists in ${describeNode(node.node)} on host ${quote(node.hostName)} and koko did not make it; pick another name, or delete that interface on the host first`,
      `${side}.ifname`,
    );
  }

  /**
   * Returns a free address pair for each family, from the lab's pools or the default ones before a
   * lab exists, skipping `claimed` addresses and the networks on both nodes. Throws a conflict when
   * a pool has no free pair.
   */
  async addressPairs(lab: LabRecord | undefined, nodeA: NodeRecord, nodeB: NodeRecord, families: AddressFamily[], claimed: readonly string[] = []): Promise<[string[], string[]]> {
    const ends: [string[], string[]] = [[], []];
    for (const family of families) {
      const nodes = [nodeA, nodeB];
      const [addressA, addressB] = lab ? await suggestAddressPair(this.db, lab.id, family, nodes, claimed) : this.labs.defaultPoolPair(nodes, claimed, family);
      ends[0].push(addressA);
      ends[1].push(addressB);
    }
    return ends;
  }

  /** Returns a free interface name in `node` other than those in `avoid` and those the batch claimed there. */
  async #freeName(node: NodeRecord, avoid: string[], claims: BatchClaims): Promise<string> {
    const excluded = new Set([...avoid, ...(claims.names.get(node.id) ?? [])]);
    const names = await suggestInterfaceNames(this.db, node.hostName, node.node, { count: excluded.size + 1 });
    return names.find((name) => !excluded.has(name))!;
  }

  /** Fills in what a connect request left out: free interface names, and a free address pair when neither end has addresses. */
  async #complete(input: LinkToConnect, nodeA: NodeRecord, nodeB: NodeRecord, lab: LabRecord | undefined, claims: BatchClaims): Promise<CompleteEnds> {
    const sameNode = nodeA.id === nodeB.id;
    const ifnameA = input.a.ifname ?? (await this.#freeName(nodeA, sameNode && input.b.ifname ? [input.b.ifname] : [], claims));
    const ifnameB = input.b.ifname ?? (await this.#freeName(nodeB, sameNode ? [ifnameA] : [], claims));

    let addresses: [string[], string[]] = [input.a.addresses ?? [], input.b.addresses ?? []];
    if (input.a.addresses === undefined && input.b.addresses === undefined) {
      addresses = await this.addressPairs(lab, nodeA, nodeB, input.ipv6 ? [4, 6] : [4], claims.addresses);
    }

    claimEnd(claims, nodeA, ifnameA, addresses[0]);
    claimEnd(claims, nodeB, ifnameB, addresses[1]);
    return { a: { ifname: ifnameA, addresses: addresses[0] }, b: { ifname: ifnameB, addresses: addresses[1] } };
  }

  /**
   * Builds what connect would store: a veth on one host, a vxlan pair with each host's underlay
   * interface as parent otherwise. Free names and addresses come from the stored links, so a batch
   * stores each draft before it builds the next.
   */
  async draftOf(
    input: LinkToConnect,
    nodeA: NodeRecord,
    nodeB: NodeRecord,
    id: string,
    lab: LabRecord | undefined,
    cache: UnderlayCache = new Map(),
    claims: BatchClaims = emptyClaims(),
  ): Promise<LinkDraftInput> {
    await this.#requireNameFree(nodeA, input.a.ifname, 'a');
    await this.#requireNameFree(nodeB, input.b.ifname, 'b');
    const settings = await this.settingsOf(input, nodeA, nodeB, cache);
    const ends = await this.#complete(input, nodeA, nodeB, lab, claims);
    const end = (node: NodeRecord, side: 'a' | 'b') => ({ host: node.hostName, node: node.node, ...ends[side] });
    if (settings.kind === 'veth') return { id, kind: 'veth', a: end(nodeA, 'a'), b: end(nodeB, 'b'), ...(settings.mtu !== undefined && { mtu: settings.mtu }) };

    const [underlayA, underlayB] = settings.underlays;
    return {
      id,
      kind: 'vxlan',
      a: { ...end(nodeA, 'a'), parent: underlayA.parent },
      b: { ...end(nodeB, 'b'), parent: underlayB.parent },
      mtu: settings.mtu,
      port: settings.port,
    };
  }
}
