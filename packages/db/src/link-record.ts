import type { Prisma } from './generated/prisma/client';
import type { EndpointSpec, LinkKindName, LinkSpec, LinkStatusName } from './link-spec';
import { canonicalLinkSpec, nodeRefOf } from './link-spec';
import type { Mirror } from '@koko/core';

/** A stored link end: its spec plus the rows behind it. */
export interface EndpointRecord extends EndpointSpec {
  hostId: string;
  nodeId: string;
}

/** A stored link: its desired state, its status, and the rows behind its ends. */
export interface LinkRecord extends Omit<LinkSpec, 'a' | 'b'> {
  labId: string;
  kind: LinkKindName;
  a: EndpointRecord;
  b?: EndpointRecord;
  status: LinkStatusName;
  lastError: string | null;
  statusChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** The relations a link query includes so that linkRecordOf can build a record. */
export const LINK_INCLUDE = {
  endpoints: { include: { node: { select: { kind: true, name: true, hostId: true, host: { select: { name: true } } } } } },
} as const satisfies Prisma.LinkInclude;

type LinkRow = Prisma.LinkGetPayload<{ include: typeof LINK_INCLUDE }>;
type EndpointRow = LinkRow['endpoints'][number];

function endpointRecordOf(row: EndpointRow): EndpointRecord {
  return {
    host: row.node.host.name,
    node: nodeRefOf({ kind: row.node.kind, name: row.node.name }),
    ifname: row.ifname,
    addresses: JSON.parse(row.addresses) as string[],
    ...(row.parent !== null && { parent: row.parent }),
    ...(row.mirror !== null && { mirror: JSON.parse(row.mirror) as Mirror }),
    hostId: row.node.hostId,
    nodeId: row.nodeId,
  };
}

export function linkRecordOf(row: LinkRow): LinkRecord {
  const a = row.endpoints.find((endpoint) => endpoint.side === 'a');
  const b = row.endpoints.find((endpoint) => endpoint.side === 'b');
  if (!a) throw new Error(`link ${row.id} has no endpoint a; the database is inconsistent`);
  return {
    id: row.id,
    labId: row.labId,
    kind: row.kind,
    a: endpointRecordOf(a),
    ...(b && { b: endpointRecordOf(b) }),
    ...(row.mtu !== null && { mtu: row.mtu }),
    ...(row.vni !== null && { vni: row.vni }),
    ...(row.port !== null && { port: row.port }),
    ...(row.remote !== null && { remote: row.remote }),
    ...(row.vlanId !== null && { vlanId: row.vlanId }),
    ...(row.macvlanMode !== null && { macvlanMode: row.macvlanMode as LinkSpec['macvlanMode'] }),
    status: row.status,
    lastError: row.lastError,
    statusChangedAt: row.statusChangedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Returns the desired state of a stored link, without row ids or status. */
export function specOf(record: LinkRecord): LinkSpec {
  return canonicalLinkSpec(record as unknown as LinkSpec);
}

/** Returns what history keeps of a link: its desired state plus its status. */
export function snapshotOf(record: LinkRecord): LinkSpec & { labId: string; status: LinkStatusName; lastError: string | null } {
  return { ...specOf(record), labId: record.labId, status: record.status, lastError: record.lastError };
}
