import { describe, expect, it } from 'vitest';
import { topologyToFlow } from '../../src/client/graph';
import { syntheticTopology } from '../../src/client/synthetic';

describe('syntheticTopology', () => {
  it('builds the requested numbers of nodes and links', () => {
    const topology = syntheticTopology({ hosts: 4, nodes: 500, links: 1000 });

    expect(topology.hosts).toHaveLength(4);
    expect(topology.hosts.reduce((sum, host) => sum + host.nodes.length, 0)).toBe(500);
    expect(topology.links).toHaveLength(1000);
  });

  it('maps to 500 node cards and 1000 edges', () => {
    const graph = topologyToFlow(syntheticTopology({ hosts: 4, nodes: 500, links: 1000 }));

    expect(graph.nodes.filter((node) => node.type === 'lab')).toHaveLength(500);
    expect(graph.edges).toHaveLength(1000);
    expect(graph.undrawn).toHaveLength(0);
  });

  it('makes vxlan pairs only between hosts', () => {
    const topology = syntheticTopology({ hosts: 3, nodes: 60, links: 300, crossHostShare: 0.5 });
    const crossing = topology.links.filter((link) => link.endpoints[0]!.hostId !== link.endpoints[1]!.hostId);

    expect(crossing.length).toBeGreaterThan(50);
    expect(crossing.every((link) => link.kind === 'vxlan' && link.vni !== undefined)).toBe(true);
  });

  it('returns the same topology for the same seed', () => {
    expect(syntheticTopology({ hosts: 2, nodes: 20, links: 30, seed: 7 })).toEqual(syntheticTopology({ hosts: 2, nodes: 20, links: 30, seed: 7 }));
  });
});
