import type { Topology } from './topology';

/**
 * Keeps the nodes whose name, image or host name contains `text` (ignoring case), and the links
 * and foreign pairs whose ends are all kept. Hosts without a kept node are left out, unless the
 * filter is empty. Returns the topology itself for an empty filter.
 */
export function filterTopology(topology: Topology, text: string): Topology {
  const needle = text.trim().toLowerCase();
  if (needle === '') return topology;

  const matches = (value: string | null | undefined) => Boolean(value && value.toLowerCase().includes(needle));
  const hosts = topology.hosts
    .map((host) => (matches(host.name) ? host : { ...host, nodes: host.nodes.filter((node) => matches(node.name) || matches(node.image)) }))
    .filter((host) => host.nodes.length > 0);
  const kept = new Set(hosts.flatMap((host) => host.nodes.map((node) => node.id)));
  return {
    ...topology,
    hosts,
    links: topology.links.filter((link) => link.endpoints.every((end) => kept.has(end.nodeId))),
    foreignLinks: topology.foreignLinks.filter((link) => link.endpoints.every((end) => end.nodeId !== null && kept.has(end.nodeId))),
  };
}
