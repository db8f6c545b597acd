import type { Edge, Node } from '@xyflow/react';
import { linkStatusOf, type ForeignEndpoint, type ForeignLink, type LinkStatus, type Position, type Topology, type TopologyEndpoint, type TopologyLink } from './topology';

/** Size of a node card in pixels; the layout and the group sizes use the same numbers. */
export const NODE_WIDTH = 176;
export const NODE_HEIGHT = 64;
/** Space between a host group's border and its nodes, and the height of its title bar. */
export const HOST_PADDING = 24;
export const HOST_HEADER = 40;
/** Gap between two host groups placed side by side or one below the other. */
export const HOST_GAP = 96;
/** Host groups wrap to a new row past this width, so that many hosts do not make one thin strip. */
export const HOST_ROW_WIDTH = 2400;
/** Size of a host group with no nodes, so that it still shows its name and status. */
export const EMPTY_HOST_WIDTH = 260;
export const EMPTY_HOST_HEIGHT = 120;

export type HostGroupData = {
  hostId: string;
  name: string;
  status: string;
  nodeCount: number;
};

export type LabNodeData = {
  nodeId: string;
  hostId: string;
  hostName: string;
  name: string;
  kind: string;
  /** The image of a container, or the kind of namespace. */
  detail: string;
  state: string;
  present: boolean;
  interfaces: string[];
};

export type EdgeEnd = {
  hostId: string;
  nodeId: string;
  ifname: string;
  addresses: string[];
};

export type LinkEdgeData = {
  /** The controller's link id; absent for foreign links, which koko did not make. */
  linkId?: string;
  kind: string;
  status: LinkStatus;
  foreign: boolean;
  /** The two ends sit on different hosts: a vxlan pair. */
  crossHost: boolean;
  vni?: number;
  lastError?: string;
  source: EdgeEnd;
  target: EdgeEnd;
  /** Position of this edge among the edges between the same two nodes, for drawing them apart. */
  parallelIndex: number;
  parallelCount: number;
};

export type HostGroupNode = Node<HostGroupData, 'host'>;
export type LabNode = Node<LabNodeData, 'lab'>;
export type CanvasNode = HostGroupNode | LabNode;
export type LinkEdge = Edge<LinkEdgeData, 'link'>;

/** Node positions inside their host group, from the automatic layout. */
export type NodeLayout = ReadonlyMap<string, Position>;

export interface FlowGraph {
  nodes: CanvasNode[];
  edges: LinkEdge[];
  /** Links that have fewer than two ends on the canvas (vlan, macvlan, or a node no inventory lists). */
  undrawn: TopologyLink[];
}

export interface FlowOptions {
  layout?: NodeLayout;
  /** Positions this browser set and the controller has not confirmed yet; they win over saved ones. */
  overrides?: NodeLayout;
  selectedEdgeId?: string | null;
}

/** Returns the React Flow id of a host's group node, prefixed so that it never equals a node id. */
export function hostGroupId(hostId: string): string {
  return `host:${hostId}`;
}

/** Returns the edge id of a foreign link: the controller's key when it sends one, else one built from its ends. */
export function foreignEdgeId(link: ForeignLink): string {
  return `foreign:${link.id ?? link.endpoints.map((end) => `${end.hostId}/${end.nodeId}/${end.ifname}`).join('|')}`;
}

/** Places the `index`th of `count` nodes on a square-ish grid, the fallback before a layout exists. */
export function gridPosition(index: number, count: number): Position {
  const columns = Math.max(1, Math.ceil(Math.sqrt(count)));
  return {
    x: HOST_PADDING + (index % columns) * (NODE_WIDTH + HOST_PADDING * 2),
    y: HOST_HEADER + Math.floor(index / columns) * (NODE_HEIGHT + HOST_PADDING * 2),
  };
}

/** Text under a node's name: the image of a container, otherwise the kind of namespace. */
export function nodeDetail(kind: string, image?: string | null): string {
  if (kind === 'docker') return image ? image : 'container';
  if (kind === 'netns') return 'netns';
  if (kind === 'current') return "the agent's own";
  return kind;
}

interface PlacedHost {
  group: HostGroupNode;
  children: LabNode[];
}

/** Builds one host's group and node cards; children are moved clear of the title bar and padding. */
function placeHost(host: Topology['hosts'][number], options: FlowOptions): PlacedHost {
  const children: LabNode[] = host.nodes.map((node, index) => ({
    id: node.id,
    type: 'lab',
    parentId: hostGroupId(host.id),
    expandParent: true,
    position: options.overrides?.get(node.id) ?? node.position ?? options.layout?.get(node.id) ?? gridPosition(index, host.nodes.length),
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    data: {
      nodeId: node.id,
      hostId: host.id,
      hostName: host.name,
      // The agent's own namespace has no name of its own.
      name: node.name || (node.kind === 'current' ? 'host namespace' : node.kind),
      kind: node.kind,
      detail: nodeDetail(node.kind, node.image),
      state: node.state,
      present: node.present,
      interfaces: node.interfaces,
    },
  }));

  // A user may have dragged a node left of or above the padding. Every child then moves by the
  // same amount, so the group still encloses them all and their arrangement stays the same.
  const minX = Math.min(...children.map((child) => child.position.x));
  const minY = Math.min(...children.map((child) => child.position.y));
  const shiftX = children.length && minX < HOST_PADDING ? HOST_PADDING - minX : 0;
  const shiftY = children.length && minY < HOST_HEADER ? HOST_HEADER - minY : 0;
  for (const child of children) child.position = { x: child.position.x + shiftX, y: child.position.y + shiftY };

  const width = children.length ? Math.max(EMPTY_HOST_WIDTH, ...children.map((child) => child.position.x + NODE_WIDTH + HOST_PADDING)) : EMPTY_HOST_WIDTH;
  const height = children.length ? Math.max(EMPTY_HOST_HEIGHT, ...children.map((child) => child.position.y + NODE_HEIGHT + HOST_PADDING)) : EMPTY_HOST_HEIGHT;
  const group: HostGroupNode = {
    id: hostGroupId(host.id),
    type: 'host',
    position: { x: 0, y: 0 },
    width,
    height,
    style: { width, height },
    selectable: false,
    draggable: false,
    data: { hostId: host.id, name: host.name, status: host.status, nodeCount: host.nodes.length },
  };
  return { group, children };
}

function edgeEndOf(endpoint: TopologyEndpoint | ForeignEndpoint): EdgeEnd {
  return { hostId: endpoint.hostId, nodeId: endpoint.nodeId ?? '', ifname: endpoint.ifname, addresses: [...endpoint.addresses] };
}

/**
 * Orders a link's two ends so that the edge runs from the left node's right-hand handle to the
 * right node's left-hand handle. An edge drawn the other way would loop around both cards.
 */
function leftToRight<End extends { nodeId: string | null }>(first: End, second: End, absoluteX: ReadonlyMap<string, number>): [End, End] {
  const firstX = absoluteX.get(first.nodeId ?? '') ?? 0;
  const secondX = absoluteX.get(second.nodeId ?? '') ?? 0;
  return secondX < firstX ? [second, first] : [first, second];
}

/**
 * Picks the target's handle: the left one, unless the two cards overlap horizontally (one above
 * the other), where the edge loops from right-hand handle to right-hand handle instead of
 * crossing a card. The connection mode is loose, so a source handle can be an edge's target.
 */
function targetHandleOf(sourceId: string, targetId: string, absoluteX: ReadonlyMap<string, number>): 'in' | 'out' {
  const gap = Math.abs((absoluteX.get(targetId) ?? 0) - (absoluteX.get(sourceId) ?? 0));
  return gap < NODE_WIDTH ? 'out' : 'in';
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\n${b}` : `${b}\n${a}`;
}

/** Numbers the edges that join the same two nodes, so the edge component can bend them apart. */
function numberParallelEdges(edges: LinkEdge[]): void {
  const groups = new Map<string, LinkEdge[]>();
  for (const edge of edges) {
    const key = pairKey(edge.source, edge.target);
    const group = groups.get(key);
    if (group) group.push(edge);
    else groups.set(key, [edge]);
  }
  for (const group of groups.values()) {
    group.forEach((edge, index) => {
      edge.data!.parallelIndex = index;
      edge.data!.parallelCount = group.length;
    });
  }
}

function edgeClassName(data: LinkEdgeData): string {
  const classes = ['koko-edge', `koko-status-${data.status}`];
  if (data.crossHost) classes.push('koko-edge-cross-host');
  if (data.foreign) classes.push('koko-edge-foreign');
  return classes.join(' ');
}

/**
 * Maps the controller's topology to React Flow nodes and edges. Host groups come in the order the
 * controller lists them, side by side in rows. Each node's card sits inside its group at its
 * unconfirmed local position, else its saved position, else its layout position, else on a grid.
 * Each link and foreign pair with both ends on the canvas becomes an edge from its left end to
 * its right end.
 */
export function topologyToFlow(topology: Topology, options: FlowOptions = {}): FlowGraph {
  const nodes: CanvasNode[] = [];
  const absoluteX = new Map<string, number>();
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const host of topology.hosts) {
    const { group, children } = placeHost(host, options);
    const width = group.width ?? EMPTY_HOST_WIDTH;
    if (x > 0 && x + width > HOST_ROW_WIDTH) {
      x = 0;
      y += rowHeight + HOST_GAP;
      rowHeight = 0;
    }
    group.position = { x, y };
    nodes.push(group, ...children);
    for (const child of children) absoluteX.set(child.id, x + child.position.x);
    x += width + HOST_GAP;
    rowHeight = Math.max(rowHeight, group.height ?? EMPTY_HOST_HEIGHT);
  }
  const nodeIds = new Set(absoluteX.keys());

  const edges: LinkEdge[] = [];
  const undrawn: TopologyLink[] = [];
  for (const link of topology.links) {
    if (link.endpoints.length < 2 || !link.endpoints.every((end) => nodeIds.has(end.nodeId))) {
      undrawn.push(link);
      continue;
    }
    const [a, b] = leftToRight(link.endpoints[0]!, link.endpoints[1]!, absoluteX);
    const data: LinkEdgeData = {
      linkId: link.id,
      kind: link.kind,
      status: linkStatusOf(link.status),
      foreign: false,
      crossHost: a.hostId !== b.hostId,
      ...(link.vni != null && { vni: link.vni }),
      ...(link.lastError ? { lastError: link.lastError } : {}),
      source: edgeEndOf(a),
      target: edgeEndOf(b),
      parallelIndex: 0,
      parallelCount: 1,
    };
    edges.push({ id: link.id, type: 'link', source: a.nodeId, target: b.nodeId, sourceHandle: 'out', targetHandle: targetHandleOf(a.nodeId, b.nodeId, absoluteX), selected: options.selectedEdgeId === link.id, className: edgeClassName(data), data });
  }

  for (const foreign of topology.foreignLinks) {
    const [first, second] = foreign.endpoints;
    if (!first?.nodeId || !second?.nodeId || !nodeIds.has(first.nodeId) || !nodeIds.has(second.nodeId)) continue;
    const [a, b] = leftToRight({ ...first, nodeId: first.nodeId }, { ...second, nodeId: second.nodeId }, absoluteX);
    const data: LinkEdgeData = {
      kind: foreign.kind,
      status: 'unknown',
      foreign: true,
      crossHost: a.hostId !== b.hostId,
      ...(foreign.vni != null && { vni: foreign.vni }),
      source: edgeEndOf(a),
      target: edgeEndOf(b),
      parallelIndex: 0,
      parallelCount: 1,
    };
    const id = foreignEdgeId(foreign);
    edges.push({ id, type: 'link', source: a.nodeId, target: b.nodeId, sourceHandle: 'out', targetHandle: targetHandleOf(a.nodeId!, b.nodeId!, absoluteX), selected: options.selectedEdgeId === id, className: edgeClassName(data), data });
  }

  numberParallelEdges(edges);
  return { nodes, edges, undrawn };
}
