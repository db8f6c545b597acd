import type { Topology, TopologyNode } from '../../src/client/topology';

export function node(id: string, extra: Partial<TopologyNode> = {}): TopologyNode {
  return { id, kind: 'docker', name: id, image: 'busybox', state: 'running', present: true, interfaces: ['lo'], ...extra };
}

/** Two hosts: r1 and r2 on h1 joined by a veth, r3 on h2 joined to r1 by a vxlan pair, plus a foreign veth. */
export function twoHostTopology(): Topology {
  return {
    hosts: [
      { id: 'h1', name: 'alpha', status: 'online', nodes: [node('r1'), node('r2', { kind: 'netns', image: null }), node('r4')] },
      { id: 'h2', name: 'beta', status: 'offline', nodes: [node('r3', { position: { x: 300, y: 200 } })] },
    ],
    links: [
      {
        id: 'l-veth',
        labId: 'lab',
        kind: 'veth',
        status: 'up',
        mtu: 1500,
        createdBy: 'ana',
        createdAt: '2026-12-04T10:00:00.000Z',
        endpoints: [
          { hostId: 'h1', nodeId: 'r1', ifname: 'eth1', addresses: ['10.0.0.1/30'] },
          { hostId: 'h1', nodeId: 'r2', ifname: 'eth1', addresses: ['10.0.0.2/30'] },
        ],
      },
      {
        id: 'l-vxlan',
        labId: 'lab',
        kind: 'vxlan',
        status: 'failed',
        lastError: 'interface "vx1" already exists in container "r3"; pick another name',
        vni: 4242,
        createdBy: 'ana',
        createdAt: '2026-12-04T10:01:00.000Z',
        endpoints: [
          { hostId: 'h1', nodeId: 'r1', ifname: 'vx1', addresses: [] },
          { hostId: 'h2', nodeId: 'r3', ifname: 'vx1', addresses: [] },
        ],
      },
    ],
    foreignLinks: [
      {
        kind: 'veth',
        endpoints: [
          { hostId: 'h1', nodeId: 'r2', ifname: 'hand0', addresses: [] },
          { hostId: 'h1', nodeId: 'r4', ifname: 'hand1', addresses: [] },
        ],
      },
    ],
  };
}
