import type { Topology, TopologyLink, TopologyNode } from './topology';

export interface SyntheticSize {
  hosts: number;
  nodes: number;
  links: number;
  /** Share of links whose ends sit on two hosts (vxlan pairs), from 0 to 1. */
  crossHostShare?: number;
  seed?: number;
}

/** Park–Miller generator: the same seed gives the same topology, so bench runs compare. */
function random(seed: number): () => number {
  let state = seed % 2_147_483_647 || 1;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return (state - 1) / 2_147_483_646;
  };
}

/**
 * Builds a made-up topology of the given size for the canvas benchmark: nodes spread evenly over
 * the hosts, links between random pairs, mostly on one host, with every status represented.
 */
export function syntheticTopology(size: SyntheticSize): Topology {
  const next = random(size.seed ?? 42);
  const hostCount = Math.max(1, size.hosts);
  const hosts = Array.from({ length: hostCount }, (_, index) => ({ id: `h${index}`, name: `host-${index}`, status: 'online', nodes: [] as TopologyNode[] }));
  for (let index = 0; index < size.nodes; index++) {
    const host = hosts[index % hostCount]!;
    host.nodes.push({
      id: `n${index}`,
      kind: index % 5 === 0 ? 'netns' : 'docker',
      name: `node-${index}`,
      image: index % 5 === 0 ? null : 'koko-test-busybox',
      state: index % 5 === 0 ? 'present' : 'running',
      present: true,
      interfaces: ['lo', 'eth0'],
    });
  }

  const statuses = ['up', 'up', 'up', 'pending', 'failed', 'drifted', 'unknown'];
  const pick = <T,>(list: T[]) => list[Math.floor(next() * list.length)]!;
  const links: TopologyLink[] = [];
  const counters = new Map<string, number>();
  const ifname = (nodeId: string) => {
    const count = (counters.get(nodeId) ?? 0) + 1;
    counters.set(nodeId, count);
    return `eth${count}`;
  };
  for (let index = 0; index < size.links; index++) {
    const first = pick(hosts);
    const second = hosts.length > 1 && next() < (size.crossHostShare ?? 0.1) ? pick(hosts.filter((host) => host !== first)) : first;
    const a = pick(first.nodes);
    let b = pick(second.nodes);
    if (b === a && second.nodes.length > 1) b = second.nodes[(second.nodes.indexOf(a) + 1) % second.nodes.length]!;
    const subnet = `10.${Math.floor(index / 64) % 256}.${(index % 64) * 4}`;
    links.push({
      id: `l${index}`,
      labId: 'bench',
      kind: first === second ? 'veth' : 'vxlan',
      status: pick(statuses),
      ...(first !== second && { vni: 1000 + index }),
      endpoints: [
        { hostId: first.id, nodeId: a.id, ifname: ifname(a.id), addresses: [`${subnet}.1/30`] },
        { hostId: second.id, nodeId: b.id, ifname: ifname(b.id), addresses: [`${subnet}.2/30`] },
      ],
    });
  }
  return { hosts, links, foreignLinks: [] };
}
