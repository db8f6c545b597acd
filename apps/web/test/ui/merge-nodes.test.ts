import { describe, expect, it } from 'vitest';
import { topologyToFlow, type CanvasNode } from '../../src/client/graph';
import { mergeNodes } from '../../src/client/merge-nodes';
import { twoHostTopology } from './fixtures';

function nodesOf(topology = twoHostTopology()): CanvasNode[] {
  return topologyToFlow(topology).nodes;
}

describe('mergeNodes', () => {
  it('keeps the object of an unchanged node', () => {
    const previous = nodesOf();
    const merged = mergeNodes(previous, nodesOf());

    merged.forEach((node, index) => expect(node).toBe(previous[index]));
  });

  it('keeps measured size and selection of a changed node', () => {
    const previous = nodesOf().map((node) => (node.id === 'r1' ? ({ ...node, measured: { width: 176, height: 64 }, selected: true } as CanvasNode) : node));
    const topology = twoHostTopology();
    topology.hosts[0]!.nodes[0]!.state = 'exited';
    const merged = mergeNodes(previous, nodesOf(topology)).find((node) => node.id === 'r1')!;

    expect(merged.data).toMatchObject({ state: 'exited' });
    expect(merged.measured).toEqual({ width: 176, height: 64 });
    expect(merged.selected).toBe(true);
  });

  it('keeps the position of a node being dragged', () => {
    const previous = nodesOf().map((node) => (node.id === 'r1' ? ({ ...node, position: { x: 999, y: 5 }, dragging: true } as CanvasNode) : node));
    const merged = mergeNodes(previous, nodesOf()).find((node) => node.id === 'r1')!;

    expect(merged.position).toEqual({ x: 999, y: 5 });
    expect(merged.dragging).toBe(true);
  });

  it('adds new nodes and drops removed ones', () => {
    const topology = twoHostTopology();
    topology.hosts[0]!.nodes = topology.hosts[0]!.nodes.filter((node) => node.id !== 'r4');
    topology.hosts[1]!.nodes.push({ id: 'r9', kind: 'netns', name: 'r9', state: 'present', present: true, interfaces: [] });
    const ids = mergeNodes(nodesOf(), nodesOf(topology)).map((node) => node.id);

    expect(ids).toContain('r9');
    expect(ids).not.toContain('r4');
  });
});
