import type { ElkNode } from 'elkjs/lib/elk-api.js';
import { HOST_HEADER, HOST_PADDING, NODE_HEIGHT, NODE_WIDTH, gridPosition } from './graph';
import type { Position, Topology } from './topology';

/** The one elkjs method the layout uses, so tests can pass the bundled engine and the browser a worker. */
export interface ElkEngine {
  layout(graph: ElkNode): Promise<ElkNode>;
}

/**
 * Above this many nodes in one host, the layered algorithm runs its cheapest settings: with the
 * defaults, 100 nodes and 200 links take seconds in elkjs 0.12.
 */
const LARGE_HOST_NODES = 60;

const BASE_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.spacing.nodeNode': '40',
  'elk.layered.spacing.nodeNodeBetweenLayers': '80',
  'elk.spacing.componentComponent': '48',
  'elk.padding': `[top=${HOST_HEADER},left=${HOST_PADDING},bottom=${HOST_PADDING},right=${HOST_PADDING}]`,
};

const LARGE_HOST_OPTIONS: Record<string, string> = {
  ...BASE_OPTIONS,
  'elk.layered.thoroughness': '1',
  'elk.layered.nodePlacement.strategy': 'LINEAR_SEGMENTS',
};

/** Builds the elk graph of one host: its nodes and the links between two of its own nodes. */
export function hostElkGraph(host: Topology['hosts'][number], topology: Topology): ElkNode {
  const ids = new Set(host.nodes.map((node) => node.id));
  const pairs = [...topology.links, ...topology.foreignLinks]
    .map((link) => link.endpoints)
    .filter((ends) => ends.length >= 2 && ids.has(ends[0]!.nodeId ?? '') && ids.has(ends[1]!.nodeId ?? '') && ends[0]!.nodeId !== ends[1]!.nodeId);
  return {
    id: host.id,
    layoutOptions: host.nodes.length > LARGE_HOST_NODES ? LARGE_HOST_OPTIONS : BASE_OPTIONS,
    children: host.nodes.map((node) => ({ id: node.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: pairs.map((ends, index) => ({ id: `e${index}`, sources: [ends[0]!.nodeId!], targets: [ends[1]!.nodeId!] })),
  };
}

/**
 * Lays out every host's nodes with elk's layered algorithm, each host on its own (cross-host
 * links do not pull nodes together), and returns each node's position inside its host group.
 */
export async function layoutTopology(engine: ElkEngine, topology: Topology): Promise<Map<string, Position>> {
  const positions = new Map<string, Position>();
  const results = await Promise.all(topology.hosts.filter((host) => host.nodes.length > 0).map((host) => engine.layout(hostElkGraph(host, topology))));
  for (const result of results) {
    for (const child of result.children ?? []) positions.set(child.id, { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) });
  }
  return positions;
}

/**
 * Places nodes that have neither a saved nor a laid-out position (they appeared after the layout)
 * on a grid below the host's other nodes, so they never cover a node that is already there.
 */
export function placeNewNodes(topology: Topology, layout: ReadonlyMap<string, Position>): Map<string, Position> {
  const placed = new Map(layout);
  for (const host of topology.hosts) {
    const known = host.nodes.map((node) => node.position ?? layout.get(node.id)).filter((position): position is Position => position != null);
    const fresh = host.nodes.filter((node) => !node.position && !layout.has(node.id));
    if (fresh.length === 0) continue;

    const top = known.length ? Math.max(...known.map((position) => position.y)) + NODE_HEIGHT + HOST_PADDING * 2 - HOST_HEADER : 0;
    fresh.forEach((node, index) => {
      const cell = gridPosition(index, fresh.length);
      placed.set(node.id, { x: cell.x, y: cell.y + top });
    });
  }
  return placed;
}
