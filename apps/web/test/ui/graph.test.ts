import { describe, expect, it } from 'vitest';
import {
  EMPTY_HOST_HEIGHT,
  EMPTY_HOST_WIDTH,
  HOST_GAP,
  HOST_HEADER,
  HOST_PADDING,
  HOST_ROW_WIDTH,
  NODE_HEIGHT,
  NODE_WIDTH,
  foreignEdgeId,
  hostGroupId,
  topologyToFlow,
  type HostGroupNode,
  type LabNode,
} from '../../src/client/graph';
import { node, twoHostTopology } from './fixtures';

function groups(nodes: ReturnType<typeof topologyToFlow>['nodes']): HostGroupNode[] {
  return nodes.filter((item): item is HostGroupNode => item.type === 'host');
}

function cards(nodes: ReturnType<typeof topologyToFlow>['nodes']): LabNode[] {
  return nodes.filter((item): item is LabNode => item.type === 'lab');
}

describe('topologyToFlow', () => {
  it('makes one group per host and puts each node inside its host', () => {
    const { nodes } = topologyToFlow(twoHostTopology());

    expect(groups(nodes).map((group) => group.id)).toEqual([hostGroupId('h1'), hostGroupId('h2')]);
    expect(groups(nodes).map((group) => group.data.status)).toEqual(['online', 'offline']);
    const byId = new Map(cards(nodes).map((card) => [card.id, card]));
    expect(byId.get('r1')?.parentId).toBe('host:h1');
    expect(byId.get('r3')?.parentId).toBe('host:h2');
    expect(byId.get('r3')?.data.hostName).toBe('beta');
  });

  it('lists each group before its children', () => {
    const { nodes } = topologyToFlow(twoHostTopology());
    const index = new Map(nodes.map((item, position) => [item.id, position]));

    for (const card of cards(nodes)) expect(index.get(card.parentId!)!).toBeLessThan(index.get(card.id)!);
  });

  it('shows the image of a container and the kind of a netns', () => {
    const byId = new Map(cards(topologyToFlow(twoHostTopology()).nodes).map((card) => [card.id, card]));

    expect(byId.get('r1')?.data.detail).toBe('busybox');
    expect(byId.get('r2')?.data.detail).toBe('netns');
  });

  it('names the agent namespace card', () => {
    const topology = twoHostTopology();
    topology.hosts[0]!.nodes.push(node('own', { kind: 'current', name: '', image: null }));
    const card = cards(topologyToFlow(topology).nodes).find((item) => item.id === 'own');

    expect(card?.data.name).toBe('host namespace');
    expect(card?.data.detail).toBe("the agent's own");
  });

  it('uses the saved position over the layout and the layout over the grid', () => {
    const layout = new Map([
      ['r1', { x: 500, y: 90 }],
      ['r3', { x: 40, y: 40 }],
    ]);
    const byId = new Map(cards(topologyToFlow(twoHostTopology(), { layout }).nodes).map((card) => [card.id, card]));

    expect(byId.get('r1')?.position).toEqual({ x: 500, y: 90 });
    expect(byId.get('r3')?.position).toEqual({ x: 300, y: 200 });
    expect(byId.get('r2')?.position.x).toBeGreaterThanOrEqual(HOST_PADDING);
  });

  it('uses a position override over the saved position', () => {
    const overrides = new Map([['r3', { x: 77, y: 88 }]]);
    const byId = new Map(cards(topologyToFlow(twoHostTopology(), { overrides }).nodes).map((card) => [card.id, card]));

    expect(byId.get('r3')?.position).toEqual({ x: 77, y: 88 });
  });

  it('sizes a group around its nodes and places groups side by side', () => {
    const { nodes } = topologyToFlow(twoHostTopology());
    const [first, second] = groups(nodes);

    expect(second!.position.x).toBe(first!.width! + HOST_GAP);
    for (const card of cards(nodes).filter((item) => item.parentId === first!.id)) {
      expect(card.position.x + NODE_WIDTH).toBeLessThanOrEqual(first!.width!);
      expect(card.position.y + NODE_HEIGHT).toBeLessThanOrEqual(first!.height!);
    }
    expect(second!.width).toBe(300 + NODE_WIDTH + HOST_PADDING);
    expect(second!.height).toBe(200 + NODE_HEIGHT + HOST_PADDING);
  });

  it('moves nodes saved above or left of the padding inside their group', () => {
    const topology = twoHostTopology();
    topology.hosts[1]!.nodes = [node('a', { position: { x: -50, y: 10 } }), node('b', { position: { x: 100, y: 100 } })];
    const byId = new Map(cards(topologyToFlow(topology).nodes).map((card) => [card.id, card]));

    expect(byId.get('a')?.position).toEqual({ x: HOST_PADDING, y: HOST_HEADER });
    expect(byId.get('b')?.position).toEqual({ x: 100 + HOST_PADDING + 50, y: 100 + HOST_HEADER - 10 });
  });

  it('wraps host groups into rows', () => {
    const topology = twoHostTopology();
    for (let index = 0; index < 12; index++) topology.hosts.push({ id: `extra${index}`, name: `extra${index}`, status: 'online', nodes: [] });
    const placed = groups(topologyToFlow(topology).nodes);

    expect(Math.max(...placed.map((group) => group.position.x + group.width!))).toBeLessThanOrEqual(HOST_ROW_WIDTH);
    expect(new Set(placed.map((group) => group.position.y)).size).toBeGreaterThan(1);
    const secondRow = placed.filter((group) => group.position.y > 0);
    expect(Math.min(...secondRow.map((group) => group.position.y))).toBe(Math.max(...placed.filter((group) => group.position.y === 0).map((group) => group.height!)) + HOST_GAP);
  });

  it('gives a host with no nodes a minimum size', () => {
    const topology = twoHostTopology();
    topology.hosts.push({ id: 'h3', name: 'empty', status: 'online', nodes: [] });
    const empty = groups(topologyToFlow(topology).nodes).find((group) => group.id === 'host:h3');

    expect(empty?.width).toBe(EMPTY_HOST_WIDTH);
    expect(empty?.height).toBe(EMPTY_HOST_HEIGHT);
    expect(empty?.data.nodeCount).toBe(0);
  });

  it('maps a veth to an edge with both interface names and addresses', () => {
    const edge = topologyToFlow(twoHostTopology()).edges.find((item) => item.id === 'l-veth');

    expect(edge?.source).toBe('r1');
    expect(edge?.target).toBe('r2');
    expect(edge?.data?.status).toBe('up');
    expect(edge?.data?.crossHost).toBe(false);
    expect(edge?.data?.source).toEqual({ hostId: 'h1', nodeId: 'r1', ifname: 'eth1', addresses: ['10.0.0.1/30'] });
    expect(edge?.data?.target.ifname).toBe('eth1');
    expect(edge?.className).toContain('koko-status-up');
  });

  it('draws an edge from its left end to its right end', () => {
    const layout = new Map([
      ['r1', { x: 400, y: 40 }],
      ['r2', { x: 24, y: 40 }],
    ]);
    const edge = topologyToFlow(twoHostTopology(), { layout }).edges.find((item) => item.id === 'l-veth');

    expect(edge?.source).toBe('r2');
    expect(edge?.target).toBe('r1');
    expect(edge?.data?.source.nodeId).toBe('r2');
    expect(edge?.data?.source.addresses).toEqual(['10.0.0.2/30']);
    expect(edge?.data?.target.addresses).toEqual(['10.0.0.1/30']);
  });

  it('joins stacked nodes by their right-hand handles', () => {
    const layout = new Map([
      ['r1', { x: 24, y: 40 }],
      ['r2', { x: 60, y: 300 }],
    ]);
    const stacked = topologyToFlow(twoHostTopology(), { layout }).edges.find((item) => item.id === 'l-veth');
    const apart = topologyToFlow(twoHostTopology()).edges.find((item) => item.id === 'l-veth');

    expect(stacked?.sourceHandle).toBe('out');
    expect(stacked?.targetHandle).toBe('out');
    expect(apart?.targetHandle).toBe('in');
  });

  it('marks a vxlan pair between hosts with its VNI and error', () => {
    const edge = topologyToFlow(twoHostTopology()).edges.find((item) => item.id === 'l-vxlan');

    expect(edge?.data?.crossHost).toBe(true);
    expect(edge?.data?.vni).toBe(4242);
    expect(edge?.data?.status).toBe('failed');
    expect(edge?.data?.lastError).toContain('already exists');
    expect(edge?.className).toContain('koko-edge-cross-host');
  });

  it('marks foreign links and gives them no link id', () => {
    const topology = twoHostTopology();
    const edge = topologyToFlow(topology).edges.find((item) => item.data?.foreign);

    expect(edge?.id).toBe(foreignEdgeId(topology.foreignLinks[0]!));
    expect(edge?.data?.linkId).toBeUndefined();
    expect(edge?.data?.status).toBe('unknown');
    expect(edge?.className).toContain('koko-edge-foreign');
  });

  it('keys foreign links, skips undrawn ends', () => {
    const topology = twoHostTopology();
    topology.foreignLinks[0]!.id = 'h1/ns/hand0';
    topology.foreignLinks.push({
      id: 'h1/ns/docker-veth',
      kind: 'veth',
      endpoints: [
        { hostId: 'h1', nodeId: 'r1', ifname: 'eth0', addresses: [] },
        { hostId: 'h1', nodeId: null, ifname: 'veth12ab', addresses: [] },
      ],
    });
    const ids = topologyToFlow(topology).edges.filter((edge) => edge.data?.foreign).map((edge) => edge.id);

    expect(ids).toEqual(['foreign:h1/ns/hand0']);
  });

  it('maps a status it does not know to unknown', () => {
    const topology = twoHostTopology();
    topology.links[0]!.status = 'exploded';

    expect(topologyToFlow(topology).edges.find((item) => item.id === 'l-veth')?.data?.status).toBe('unknown');
  });

  it('does not draw links with a missing end', () => {
    const topology = twoHostTopology();
    topology.links.push(
      { id: 'l-macvlan', kind: 'macvlan', status: 'up', endpoints: [{ hostId: 'h1', nodeId: 'r1', ifname: 'mv0', addresses: [] }] },
      {
        id: 'l-gone',
        kind: 'veth',
        status: 'drifted',
        endpoints: [
          { hostId: 'h1', nodeId: 'r1', ifname: 'eth9', addresses: [] },
          { hostId: 'h1', nodeId: 'deleted-node', ifname: 'eth9', addresses: [] },
        ],
      },
    );
    const graph = topologyToFlow(topology);

    expect(graph.edges.map((edge) => edge.id)).not.toContain('l-macvlan');
    expect(graph.undrawn.map((link) => link.id)).toEqual(['l-macvlan', 'l-gone']);
  });

  it('numbers parallel edges between the same two nodes in either direction', () => {
    const topology = twoHostTopology();
    topology.links.push({
      id: 'l-back',
      kind: 'veth',
      status: 'pending',
      endpoints: [
        { hostId: 'h1', nodeId: 'r2', ifname: 'eth2', addresses: [] },
        { hostId: 'h1', nodeId: 'r1', ifname: 'eth2', addresses: [] },
      ],
    });
    const edges = topologyToFlow(topology).edges.filter((edge) => edge.id === 'l-veth' || edge.id === 'l-back');

    expect(edges.map((edge) => edge.data?.parallelIndex)).toEqual([0, 1]);
    expect(edges.map((edge) => edge.data?.parallelCount)).toEqual([2, 2]);
  });

  it('marks the selected edge', () => {
    const { edges } = topologyToFlow(twoHostTopology(), { selectedEdgeId: 'l-vxlan' });

    expect(edges.filter((edge) => edge.selected).map((edge) => edge.id)).toEqual(['l-vxlan']);
  });

  it('maps an empty topology to nothing', () => {
    expect(topologyToFlow({ hosts: [], links: [], foreignLinks: [] })).toEqual({ nodes: [], edges: [], undrawn: [] });
  });
});
