import ELK from 'elkjs/lib/elk.bundled.js';
import { describe, expect, it } from 'vitest';
import { HOST_HEADER, HOST_PADDING, NODE_HEIGHT, NODE_WIDTH } from '../../src/client/graph';
import { hostElkGraph, layoutTopology, placeNewNodes } from '../../src/client/layout';
import { node, twoHostTopology } from './fixtures';

function overlaps(a: { x: number; y: number }, b: { x: number; y: number }): boolean {
  return Math.abs(a.x - b.x) < NODE_WIDTH && Math.abs(a.y - b.y) < NODE_HEIGHT;
}

describe('layoutTopology', () => {
  it('places every node of every host without overlaps', async () => {
    const topology = twoHostTopology();
    const positions = await layoutTopology(new ELK(), topology);

    expect([...positions.keys()].sort()).toEqual(['r1', 'r2', 'r3', 'r4']);
    const h1 = ['r1', 'r2', 'r4'].map((id) => positions.get(id)!);
    for (let i = 0; i < h1.length; i++) for (let j = i + 1; j < h1.length; j++) expect(overlaps(h1[i]!, h1[j]!)).toBe(false);
    for (const position of positions.values()) {
      expect(position.x).toBeGreaterThanOrEqual(HOST_PADDING);
      expect(position.y).toBeGreaterThanOrEqual(HOST_HEADER);
    }
  });

  it('puts the two ends of a veth in different layers', async () => {
    const positions = await layoutTopology(new ELK(), twoHostTopology());

    expect(positions.get('r1')!.x).not.toBe(positions.get('r2')!.x);
  });

  it('gives a host only its own links', () => {
    const topology = twoHostTopology();
    const graph = hostElkGraph(topology.hosts[0]!, topology);

    // The veth r1-r2 and the foreign pair r2-r4; the vxlan to r3 on the other host is left out.
    expect(graph.edges?.map((edge) => [edge.sources[0], edge.targets[0]])).toEqual([
      ['r1', 'r2'],
      ['r2', 'r4'],
    ]);
  });

  it('lays out 150 nodes of one host within two seconds', async () => {
    const nodes = Array.from({ length: 150 }, (_, index) => node(`n${index}`));
    const links = Array.from({ length: 150 }, (_, index) => ({
      id: `l${index}`,
      kind: 'veth',
      status: 'up',
      endpoints: [
        { hostId: 'h', nodeId: `n${index}`, ifname: 'eth1', addresses: [] },
        { hostId: 'h', nodeId: `n${(index * 7 + 1) % 150}`, ifname: 'eth2', addresses: [] },
      ],
    }));
    const started = performance.now();
    const positions = await layoutTopology(new ELK(), { hosts: [{ id: 'h', name: 'h', status: 'online', nodes }], links, foreignLinks: [] });

    expect(positions.size).toBe(150);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('placeNewNodes', () => {
  it('places nodes without a position below the laid-out ones', () => {
    const topology = twoHostTopology();
    topology.hosts[0]!.nodes.push(node('new1'), node('new2'));
    const layout = new Map([
      ['r1', { x: 24, y: 40 }],
      ['r2', { x: 280, y: 40 }],
      ['r4', { x: 24, y: 200 }],
    ]);
    const placed = placeNewNodes(topology, layout);

    expect(placed.get('r1')).toEqual({ x: 24, y: 40 });
    for (const id of ['new1', 'new2']) {
      expect(placed.get(id)!.y).toBeGreaterThanOrEqual(200 + NODE_HEIGHT);
      for (const old of layout.values()) expect(overlaps(placed.get(id)!, old)).toBe(false);
    }
    expect(overlaps(placed.get('new1')!, placed.get('new2')!)).toBe(false);
    // r3 has a saved position, so it needs no placement.
    expect(placed.has('r3')).toBe(false);
  });
});
