import { describe, expect, it } from 'vitest';
import { filterTopology } from '../../src/client/filter';
import { twoHostTopology } from './fixtures';

describe('filterTopology', () => {
  it('returns the topology unchanged for an empty filter', () => {
    const topology = twoHostTopology();

    expect(filterTopology(topology, '  ')).toBe(topology);
  });

  it('keeps matching nodes and the links between them', () => {
    const filtered = filterTopology(twoHostTopology(), 'R1');

    expect(filtered.hosts.map((host) => host.nodes.map((node) => node.id))).toEqual([['r1']]);
    expect(filtered.links).toEqual([]);
  });

  it('keeps a link when both ends match', () => {
    const topology = twoHostTopology();
    topology.hosts[0]!.nodes[0]!.name = 'lab-r1';
    topology.hosts[0]!.nodes[1]!.name = 'lab-r2';
    const filtered = filterTopology(topology, 'lab-');

    expect(filtered.links.map((link) => link.id)).toEqual(['l-veth']);
    expect(filtered.foreignLinks).toEqual([]);
  });

  it('keeps every node of a host whose name matches', () => {
    const filtered = filterTopology(twoHostTopology(), 'beta');

    expect(filtered.hosts.map((host) => host.name)).toEqual(['beta']);
    expect(filtered.hosts[0]!.nodes.map((node) => node.id)).toEqual(['r3']);
  });

  it('matches the image of a container', () => {
    const filtered = filterTopology(twoHostTopology(), 'busy');

    expect(filtered.hosts.flatMap((host) => host.nodes.map((node) => node.id))).toEqual(['r1', 'r4', 'r3']);
  });
});
