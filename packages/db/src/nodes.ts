import { z } from 'zod';
import { describeNode, interfaceAddressSchema, interfaceNameSchema, KokoError, nodeRefSchema, quote, type NodeRef } from '@koko/core';
import { actorSchema, type ActorInput } from './actor';
import type { DbTransaction, KokoDatabase } from './database';
import type { Prisma } from './generated/prisma/client';
import { appendHistoryIn } from './history';
import { nodeKeyOf, nodeKeyText, nodeRefOf } from './link-spec';
import { parseOrThrow } from './validate';

export interface NodePosition {
  x: number;
  y: number;
}

/** A container or namespace on a host, as its host's inventory last reported it. */
export interface NodeRecord {
  id: string;
  hostId: string;
  hostName: string;
  node: NodeRef;
  containerId: string | null;
  state: string | null;
  interfaces: string[];
  /** Addresses (CIDR) on the node's interfaces in its last inventory, so suggestions avoid their subnets. */
  addresses: string[];
  /** Whether the last inventory of the host listed the node. */
  present: boolean;
  lastSeenAt: Date | null;
  position: NodePosition | null;
}

type NodeRow = Prisma.NodeGetPayload<{ include: { host: { select: { name: true } } } }>;

export function nodeRecordOf(row: NodeRow): NodeRecord {
  return {
    id: row.id,
    hostId: row.hostId,
    hostName: row.host.name,
    node: nodeRefOf({ kind: row.kind, name: row.name }),
    containerId: row.containerId,
    state: row.state,
    interfaces: JSON.parse(row.interfaces) as string[],
    addresses: JSON.parse(row.addresses) as string[],
    present: row.present,
    lastSeenAt: row.lastSeenAt,
    position: row.positionX === null || row.positionY === null ? null : { x: row.positionX, y: row.positionY },
  };
}

const withHostName = { host: { select: { name: true } } } as const;

/** One node as an inventory reports it. */
export const nodeObservationSchema = z.object({
  node: nodeRefSchema,
  containerId: z.string().optional(),
  state: z.string().optional(),
  interfaces: z.array(interfaceNameSchema).default([]),
  addresses: z.array(interfaceAddressSchema).default([]),
});
export type NodeObservation = z.input<typeof nodeObservationSchema>;

/**
 * Stores a host's inventory: adds nodes seen for the first time, refreshes the ones seen again,
 * and marks the ones it no longer lists as not present. Rows are kept, with their canvas
 * position, so a container that comes back finds its place. No history entry: inventory is an
 * observation, not a change anyone made.
 */
export async function syncNodes(db: KokoDatabase, hostId: string, inventory: NodeObservation[], seenAt: Date = new Date()): Promise<NodeRecord[]> {
  const observed = parseOrThrow(z.array(nodeObservationSchema), inventory, 'inventory');
  return db.write(async (transaction) => {
    const host = await transaction.host.findUnique({ where: { id: hostId }, select: { id: true, name: true } });
    if (!host) throw new KokoError('not-found', `host ${quote(hostId)} is not registered; register it before storing its inventory`);

    const existing = await transaction.node.findMany({ where: { hostId }, select: { id: true, kind: true, name: true } });
    const idByKey = new Map(existing.map((row) => [nodeKeyText(host.name, nodeRefOf(row)), row.id]));
    const seenIds = new Set<string>();
    const fresh = new Map<string, Prisma.NodeCreateManyInput>();

    for (const item of observed) {
      const key = nodeKeyOf(item.node);
      const data = {
        containerId: item.containerId ?? null,
        state: item.state ?? null,
        interfaces: JSON.stringify(item.interfaces),
        addresses: JSON.stringify(item.addresses),
        present: true,
        lastSeenAt: seenAt,
      };
      const text = nodeKeyText(host.name, item.node);
      const id = idByKey.get(text);
      if (id === undefined) {
        fresh.set(text, { hostId, kind: key.kind, name: key.name, ...data });
      } else if (!seenIds.has(id)) {
        seenIds.add(id);
        await transaction.node.update({ where: { id }, data });
      }
    }

    if (fresh.size > 0) await transaction.node.createMany({ data: [...fresh.values()] });
    await transaction.node.updateMany({ where: { hostId, present: true, id: { notIn: [...seenIds] }, lastSeenAt: { lt: seenAt } }, data: { present: false } });

    const rows = await transaction.node.findMany({ where: { hostId }, include: withHostName, orderBy: [{ kind: 'asc' }, { name: 'asc' }] });
    return rows.map(nodeRecordOf);
  });
}

export interface NodeFilter {
  hostId?: string;
  present?: boolean;
}

export async function listNodes(db: KokoDatabase, filter: NodeFilter = {}): Promise<NodeRecord[]> {
  const rows = await db.read((client) =>
    client.node.findMany({
      where: {
        ...(filter.hostId !== undefined && { hostId: filter.hostId }),
        ...(filter.present !== undefined && { present: filter.present }),
      },
      include: withHostName,
      orderBy: [{ host: { name: 'asc' } }, { kind: 'asc' }, { name: 'asc' }],
    }),
  );
  return rows.map(nodeRecordOf);
}

export async function getNode(db: KokoDatabase, nodeId: string): Promise<NodeRecord> {
  const row = await db.read((client) => client.node.findUnique({ where: { id: nodeId }, include: withHostName }));
  if (!row) throw nodeNotFound(nodeId);
  return nodeRecordOf(row);
}

/** Finds a node by host name and reference, or returns undefined when no inventory or link has named it. */
export async function findNode(db: KokoDatabase, hostName: string, node: NodeRef): Promise<NodeRecord | undefined> {
  const key = nodeKeyOf(node);
  const row = await db.read((client) =>
    client.node.findFirst({ where: { host: { name: hostName }, kind: key.kind, name: key.name }, include: withHostName }),
  );
  return row ? nodeRecordOf(row) : undefined;
}

function nodeNotFound(nodeId: string): KokoError {
  return new KokoError('not-found', `node ${quote(nodeId)} does not exist; list nodes to see their ids`);
}

/** A canvas coordinate: finite, and within a range no drawing needs, so a bad client cannot store Infinity or 1e308. */
const coordinateProblem = (input: unknown) => `canvas coordinate ${String(input)} is invalid; use a finite number between -10000000 and 10000000`;
const coordinateSchema = z
  .number({ error: (issue) => coordinateProblem(issue.input) })
  .refine((value) => Math.abs(value) <= 1e7, { error: (issue) => coordinateProblem(issue.input) });
export const nodePositionSchema = z.object({ x: coordinateSchema, y: coordinateSchema });

/** Saves where the user put a node on the canvas. */
export async function saveNodePosition(db: KokoDatabase, nodeId: string, position: NodePosition, actorInput: ActorInput): Promise<NodeRecord> {
  const { x, y } = parseOrThrow(nodePositionSchema, position, 'node position');
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  return db.write(async (transaction) => {
    const row = await transaction.node.findUnique({ where: { id: nodeId }, include: withHostName });
    if (!row) throw nodeNotFound(nodeId);
    const before = nodeRecordOf(row);

    const updated = await transaction.node.update({ where: { id: nodeId }, data: { positionX: x, positionY: y }, include: withHostName });
    const record = nodeRecordOf(updated);
    await appendHistoryIn(transaction, {
      actor,
      action: 'node.position',
      summary: `moved ${describeNode(record.node)} on host ${record.hostName}`,
      before: { host: before.hostName, node: before.node, position: before.position },
      after: { host: record.hostName, node: record.node, position: record.position },
      outcome: 'ok',
    });
    return record;
  });
}

/** Creates rows for nodes not stored yet, all in one insert, and maps each node's key text to its id. */
export async function ensureNodesIn(
  transaction: DbTransaction,
  hostIds: Map<string, string>,
  items: { host: string; node: NodeRef }[],
): Promise<Map<string, string>> {
  const requested = new Map(items.map((item) => [nodeKeyText(item.host, item.node), item]));
  const hostIdList = [...new Set([...requested.values()].map((item) => hostIds.get(item.host)!))];
  const load = async () => {
    const rows = await transaction.node.findMany({ where: { hostId: { in: hostIdList } }, select: { id: true, kind: true, name: true, host: { select: { name: true } } } });
    return new Map(rows.map((row) => [`${row.host.name}/${row.kind}/${row.name}`, row.id]));
  };

  const existing = await load();
  const missing = [...requested.entries()].filter(([key]) => !existing.has(key));
  if (missing.length === 0) return existing;
  await transaction.node.createMany({
    data: missing.map(([, item]) => ({ hostId: hostIds.get(item.host)!, ...nodeKeyOf(item.node) })),
  });
  return load();
}
