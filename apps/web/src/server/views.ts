import { describeNode, type NodeRef } from '@koko/core';
import { nodeKeyOf, type HistoryRecord, type LabSummary, type LabRecord, type LinkRecord, type NodeRecord } from '@koko/db';

// Shapes the procedures return. Times are ISO strings, because the endpoint uses no transformer: a
// Date would reach the browser as a string anyway, and these types match that.

export type HostStatusView = 'online' | 'offline' | 'token-rejected' | 'unknown';

/** An interface of a host that a vxlan can use as its parent, with one of its addresses. */
export interface UnderlayCandidate {
  interface: string;
  address: string;
  family: 4 | 6;
  /** MTU of the interface; a vxlan over it carries this less 50 bytes (IPv4) or 70 (IPv6). */
  mtu: number;
  /** Operational state as the kernel reports it: `UP`, `DOWN`, `UNKNOWN`, ... */
  state: string;
}

export interface HostView {
  id: string;
  name: string;
  /** `http://host:port` or `unix:/path/to/agent.sock`. */
  agentUrl: string;
  status: HostStatusView;
  lastSeenAt: string | null;
  lastError: string | null;
  /** Address other hosts send vxlan traffic to. */
  underlay: string | null;
  /** Interface that carries the underlay address, once the agent reported it. */
  underlayInterface: string | null;
  underlayCandidates: UnderlayCandidate[];
  /** From the agent's host info, once the agent responded. */
  hostname: string | null;
  kernel: string | null;
  agentVersion: string | null;
  dockerError: string | null;
  createdAt: string;
}

export interface NodeView {
  id: string;
  hostId: string;
  kind: NodeRef['kind'];
  /** Container name, netns name, PID, namespace file, or "" for the host's own namespace. */
  name: string;
  /** Name used in messages: `container "r1"`, `netns "lab"`, `the current namespace`. */
  label: string;
  image: string | null;
  /** Docker's state for containers; `present` or `absent` for others; `unknown` while the host is not online. */
  state: string;
  present: boolean;
  position: { x: number; y: number } | null;
  interfaces: string[];
}

export type LinkStatusView = 'pending' | 'up' | 'failed' | 'drifted' | 'unknown';

export interface LinkEndpointView {
  hostId: string;
  hostName: string;
  nodeId: string;
  nodeKind: NodeRef['kind'];
  nodeName: string;
  ifname: string;
  addresses: string[];
  /** Parent interface of a vxlan, vlan or macvlan end. */
  parent: string | null;
}

export interface LinkView {
  id: string;
  labId: string;
  kind: LinkRecord['kind'];
  /** `unknown` while a host of the link is not online; `storedStatus` keeps the last known one. */
  status: LinkStatusView;
  storedStatus: LinkRecord['status'];
  lastError: string | null;
  vni: number | null;
  port: number | null;
  mtu: number | null;
  /** Display name of the person who created the link. */
  createdBy: string;
  createdAt: string;
  statusChangedAt: string;
  endpoints: LinkEndpointView[];
}

export interface LabView {
  id: string;
  name: string;
  description: string;
  group: number;
  pool: LabRecord['pool'];
  links: number;
  linksByStatus: LabSummary['linksByStatus'];
  createdAt: string;
}

export interface HistoryEntryView {
  id: number;
  at: string;
  actor: HistoryRecord['actor'];
  labId: string | null;
  labName: string | null;
  linkId: string | null;
  action: string;
  summary: string;
  outcome: HistoryRecord['outcome'];
  error: string | null;
}

export interface HistoryEntryDetailView extends HistoryEntryView {
  before: unknown;
  after: unknown;
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function nodeViewOf(record: NodeRecord, hostOnline: boolean, image: string | null): NodeView {
  const key = nodeKeyOf(record.node);
  let state: string;
  if (!hostOnline) state = 'unknown';
  else if (record.node.kind === 'docker') state = record.state ?? (record.present ? 'running' : 'absent');
  else state = record.present ? 'present' : 'absent';
  return {
    id: record.id,
    hostId: record.hostId,
    kind: key.kind,
    name: key.name,
    label: describeNode(record.node),
    image,
    state,
    present: record.present,
    position: record.position,
    interfaces: record.interfaces,
  };
}

export function linkViewOf(record: LinkRecord, createdBy: string, onlineHosts: Set<string>): LinkView {
  const ends = record.b === undefined ? [record.a] : [record.a, record.b];
  const reachable = ends.every((end) => onlineHosts.has(end.hostId));
  return {
    id: record.id,
    labId: record.labId,
    kind: record.kind,
    status: reachable ? record.status : 'unknown',
    storedStatus: record.status,
    lastError: record.lastError,
    vni: record.vni ?? null,
    port: record.port ?? null,
    mtu: record.mtu ?? null,
    createdBy,
    createdAt: record.createdAt.toISOString(),
    statusChangedAt: record.statusChangedAt.toISOString(),
    endpoints: ends.map((end) => ({
      hostId: end.hostId,
      hostName: end.host,
      nodeId: end.nodeId,
      nodeKind: end.node.kind,
      nodeName: nodeKeyOf(end.node).name,
      ifname: end.ifname,
      addresses: end.addresses,
      parent: end.parent ?? null,
    })),
  };
}

export function labViewOf(lab: LabSummary): LabView {
  return {
    id: lab.id,
    name: lab.name,
    description: lab.description,
    group: lab.group,
    pool: lab.pool,
    links: lab.links,
    linksByStatus: lab.linksByStatus,
    createdAt: lab.createdAt.toISOString(),
  };
}

export function historyViewOf(entry: HistoryRecord): HistoryEntryView {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    actor: entry.actor,
    labId: entry.labId,
    labName: entry.labName,
    linkId: entry.linkId,
    action: entry.action,
    summary: entry.summary,
    outcome: entry.outcome,
    error: entry.error,
  };
}

export function historyDetailOf(entry: HistoryRecord): HistoryEntryDetailView {
  return { ...historyViewOf(entry), before: entry.before, after: entry.after };
}

export { iso };
