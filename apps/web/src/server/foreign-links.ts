import type { Inventory, NamespaceInfo } from '@koko/agent-api';
import type { NodeRef } from '@koko/core';

/** One end of a link the controller shows but did not make. */
export interface ForeignEndpoint {
  hostId: string;
  /** The node's row id, or null when the database has no row for it. */
  nodeId: string | null;
  ifname: string;
  addresses: string[];
}

/** A veth pair or vxlan interface an agent reports that no stored link accounts for. */
export interface ForeignLink {
  /** Stable key built from the host and interfaces, for lists and canvas edges. */
  id: string;
  kind: 'veth' | 'vxlan';
  /** The koko tag it carries, when koko made it for a link the database no longer has. */
  tag: string | null;
  vni: number | null;
  /** Remote underlay address of a vxlan, when it has one. */
  remote: string | null;
  endpoints: ForeignEndpoint[];
}

function addressesOf(namespace: NamespaceInfo, ifname: string): string[] {
  const info = namespace.interfaces.find((entry) => entry.name === ifname);
  return (info?.addresses ?? []).filter((entry) => entry.scope !== 'link').map((entry) => `${entry.address}/${entry.prefix}`);
}

/** Returns the node of a namespace, naming a container's namespace after its container. */
function nodeOfNamespace(inventory: Inventory, namespace: NamespaceInfo): NodeRef {
  if (namespace.node.kind !== 'docker') return namespace.node;
  const container = inventory.containers.find((entry) => entry.namespaceKey === namespace.key);
  return container ? { kind: 'docker', container: container.name } : namespace.node;
}

/**
 * Lists the veth pairs and vxlan interfaces in one host's inventory that no stored link made:
 * untagged ones, and tagged ones whose link id `knownLinkIds` lacks. `nodeIdOf` maps a node of
 * this host to its row id. A veth pair is listed once, with both ends when the agent could resolve
 * the peer.
 */
export function foreignLinksOf(
  hostId: string,
  inventory: Inventory,
  knownLinkIds: Set<string>,
  nodeIdOf: (node: NodeRef) => string | null,
): ForeignLink[] {
  const byKey = new Map(inventory.namespaces.map((namespace) => [namespace.key, namespace]));
  const seen = new Set<string>();
  const links: ForeignLink[] = [];
  const endpoint = (namespace: NamespaceInfo, ifname: string): ForeignEndpoint => ({
    hostId,
    nodeId: nodeIdOf(nodeOfNamespace(inventory, namespace)),
    ifname,
    addresses: addressesOf(namespace, ifname),
  });

  // The agent resolves a veth peer from one side only when it is ambiguous from the other, so
  // each resolved end also names its peer's peer.
  const reversePeers = new Map<string, { namespace: NamespaceInfo; ifname: string }>();
  for (const namespace of inventory.namespaces) {
    for (const info of namespace.interfaces) {
      if (info.kind === 'veth' && info.peer?.namespaceKey !== undefined && info.peer.ifname !== undefined) {
        reversePeers.set(`${info.peer.namespaceKey}/${info.peer.ifname}`, { namespace, ifname: info.name });
      }
    }
  }

  for (const namespace of inventory.namespaces) {
    for (const info of namespace.interfaces) {
      if (info.kind !== 'veth' && info.kind !== 'vxlan') continue;
      if (info.linkId !== undefined && knownLinkIds.has(info.linkId)) continue;
      const here = `${namespace.key}/${info.name}`;
      if (seen.has(here)) continue;
      seen.add(here);

      if (info.kind === 'vxlan') {
        const vni = typeof info.parameters.id === 'number' ? info.parameters.id : null;
        const remote = typeof info.parameters.remote === 'string' ? info.parameters.remote : null;
        links.push({ id: `${hostId}/${here}`, kind: 'vxlan', tag: info.linkId ?? null, vni, remote, endpoints: [endpoint(namespace, info.name)] });
        continue;
      }

      const peerNamespace = info.peer?.namespaceKey === undefined ? undefined : byKey.get(info.peer.namespaceKey);
      const peer = peerNamespace && info.peer?.ifname ? { namespace: peerNamespace, ifname: info.peer.ifname } : reversePeers.get(here);
      const ends = [endpoint(namespace, info.name)];
      if (peer) {
        seen.add(`${peer.namespace.key}/${peer.ifname}`);
        ends.push(endpoint(peer.namespace, peer.ifname));
      }
      links.push({ id: `${hostId}/${here}`, kind: 'veth', tag: info.linkId ?? null, vni: null, remote: null, endpoints: ends });
    }
  }
  return links;
}
