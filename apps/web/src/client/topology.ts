/**
 * The parts of the controller's `topology.get` output that the dashboard draws. The controller's
 * output type must stay assignable to these, so the graph mapping works on plain objects in tests
 * and on the live query alike.
 */

export const LINK_STATUSES = ['pending', 'up', 'down', 'failed', 'drifted', 'unknown'] as const;
/** A link's state as the canvas colours it; `down` is an up-to-date link whose interface is down. */
export type LinkStatus = (typeof LINK_STATUSES)[number];

export type HostStatus = 'online' | 'offline' | 'token-rejected' | 'unknown';

export interface Position {
  x: number;
  y: number;
}

export interface TopologyNode {
  id: string;
  /** docker, netns, pid, path or current. */
  kind: string;
  name: string;
  image?: string | null;
  /** running, exited, present, missing, ... as the controller reports it. */
  state: string;
  /** False when the last inventory of the host no longer lists the node. */
  present: boolean;
  /** Position inside its host group, saved when a user dragged the node; null until then. */
  position?: Position | null;
  interfaces: string[];
}

export interface TopologyHost {
  id: string;
  name: string;
  status: string;
  nodes: TopologyNode[];
}

export interface TopologyEndpoint {
  hostId: string;
  nodeId: string;
  ifname: string;
  addresses: string[];
}

export interface TopologyLink {
  id: string;
  labId?: string | null;
  kind: string;
  status: string;
  lastError?: string | null;
  vni?: number | null;
  mtu?: number | null;
  createdBy?: string | null;
  createdAt?: string | Date | null;
  endpoints: TopologyEndpoint[];
}

/** An end of a foreign link; its node id is null when the namespace is no node on the canvas. */
export interface ForeignEndpoint {
  hostId: string;
  nodeId: string | null;
  ifname: string;
  addresses: string[];
}

/** A veth pair or vxlan interface that an agent reports and koko did not make. */
export interface ForeignLink {
  /** The controller's stable key for it, when it sends one. */
  id?: string;
  kind: string;
  vni?: number | null;
  endpoints: ForeignEndpoint[];
}

export interface Topology {
  hosts: TopologyHost[];
  links: TopologyLink[];
  foreignLinks: ForeignLink[];
}

/** Maps any status text to one the canvas has a colour for, so a new controller status still draws. */
export function linkStatusOf(status: string): LinkStatus {
  return (LINK_STATUSES as readonly string[]).includes(status) ? (status as LinkStatus) : 'unknown';
}
