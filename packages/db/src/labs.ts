import { z } from 'zod';
import { KokoError, quote } from '@koko/core';
import { actorSchema, type Actor, type ActorInput } from './actor';
import {
  DEFAULT_IPV4_PAIR_PREFIX,
  DEFAULT_IPV4_POOL,
  DEFAULT_IPV6_PAIR_PREFIX,
  DEFAULT_IPV6_POOL,
  parseAddressPool,
} from './address-pool';
import { allocateLabGroupIn } from './allocate';
import type { DbTransaction, KokoDatabase } from './database';
import type { Prisma } from './generated/prisma/client';
import { appendHistoryIn, historyRow } from './history';
import { LINK_INCLUDE, linkRecordOf, snapshotOf, type LinkRecord } from './link-record';
import type { LinkStatusName } from './link-spec';
import { labNameSchema } from './names';
import { violatesUnique } from './prisma-errors';
import { parseOrThrow } from './validate';

export interface LabPool {
  ipv4: string;
  ipv4Prefix: number;
  ipv6: string;
  ipv6Prefix: number;
}

export interface LabRecord {
  id: string;
  name: string;
  description: string;
  /** Interface group of every interface the lab creates on its hosts. */
  group: number;
  pool: LabPool;
  createdAt: Date;
  updatedAt: Date;
}

export interface LabSummary extends LabRecord {
  links: number;
  /** Number of links per status; statuses with no links are 0. */
  linksByStatus: Record<LinkStatusName, number>;
}

type LabRow = Prisma.LabGetPayload<object>;

export function labRecordOf(row: LabRow): LabRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    group: row.group,
    pool: { ipv4: row.ipv4Pool, ipv4Prefix: row.ipv4Prefix, ipv6: row.ipv6Pool, ipv6Prefix: row.ipv6Prefix },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Returns the lab as history stores it. */
export function labHistoryView(lab: LabRecord) {
  return { id: lab.id, name: lab.name, description: lab.description, group: lab.group, pool: lab.pool };
}

export const labPoolSchema = z
  .strictObject({
    ipv4: z.string().default(DEFAULT_IPV4_POOL),
    ipv4Prefix: z.number().default(DEFAULT_IPV4_PAIR_PREFIX),
    ipv6: z.string().default(DEFAULT_IPV6_POOL),
    ipv6Prefix: z.number().default(DEFAULT_IPV6_PAIR_PREFIX),
  })
  .superRefine((pool, context) => {
    for (const [family, range, prefix, path] of [
      [4, pool.ipv4, pool.ipv4Prefix, 'ipv4'],
      [6, pool.ipv6, pool.ipv6Prefix, 'ipv6'],
    ] as const) {
      try {
        parseAddressPool(range, prefix, family);
      } catch (error) {
        context.addIssue({ code: 'custom', path: [path], message: (error as Error).message });
      }
    }
  });

export const createLabSchema = z.object({
  name: labNameSchema,
  description: z.string().max(1000, { error: 'lab description is longer than 1000 characters' }).default(''),
  pool: labPoolSchema.default({ ipv4: DEFAULT_IPV4_POOL, ipv4Prefix: DEFAULT_IPV4_PAIR_PREFIX, ipv6: DEFAULT_IPV6_POOL, ipv6Prefix: DEFAULT_IPV6_PAIR_PREFIX }),
});
export type CreateLabInput = z.input<typeof createLabSchema>;

function labNameTaken(name: string): KokoError {
  return new KokoError('conflict', `lab ${quote(name)} already exists; pick another name or delete that lab first`, 'name');
}

/** Creates a lab inside a running transaction and records it. */
export async function createLabIn(
  transaction: DbTransaction,
  lab: z.output<typeof createLabSchema>,
  actor: Actor,
  action: 'lab.create' | 'lab.import' = 'lab.create',
  summary = `created lab ${lab.name}`,
): Promise<LabRecord> {
  const row = await transaction.lab.create({
    data: {
      name: lab.name,
      description: lab.description,
      group: await allocateLabGroupIn(transaction),
      ipv4Pool: lab.pool.ipv4,
      ipv4Prefix: lab.pool.ipv4Prefix,
      ipv6Pool: lab.pool.ipv6,
      ipv6Prefix: lab.pool.ipv6Prefix,
    },
  });
  const record = labRecordOf(row);
  await appendHistoryIn(transaction, {
    actor,
    action,
    summary,
    labId: record.id,
    labName: record.name,
    before: null,
    after: labHistoryView(record),
    outcome: 'ok',
  });
  return record;
}

/** Creates an empty lab with its own interface group and address pool. */
export async function createLab(db: KokoDatabase, input: CreateLabInput, actorInput: ActorInput): Promise<LabRecord> {
  const lab = parseOrThrow(createLabSchema, input, 'lab');
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  try {
    return await db.write((transaction) => createLabIn(transaction, lab, actor));
  } catch (error) {
    if (violatesUnique(error, ['name'])) throw labNameTaken(lab.name);
    throw error;
  }
}

function labNotFound(labId: string): KokoError {
  return new KokoError('not-found', `lab ${quote(labId)} does not exist; list labs to see their ids`);
}

export async function getLab(db: KokoDatabase, labId: string): Promise<LabRecord> {
  const row = await db.read((client) => client.lab.findUnique({ where: { id: labId } }));
  if (!row) throw labNotFound(labId);
  return labRecordOf(row);
}

export async function findLabByName(db: KokoDatabase, name: string): Promise<LabRecord | undefined> {
  const row = await db.read((client) => client.lab.findUnique({ where: { name } }));
  return row ? labRecordOf(row) : undefined;
}

/** Lists labs by name, each with its number of links per status. */
export async function listLabs(db: KokoDatabase): Promise<LabSummary[]> {
  const [rows, counts] = await db.read((client) =>
    Promise.all([client.lab.findMany({ orderBy: { name: 'asc' } }), client.link.groupBy({ by: ['labId', 'status'], _count: { _all: true } })]),
  );
  return rows.map((row) => {
    const linksByStatus: Record<LinkStatusName, number> = { pending: 0, up: 0, failed: 0, drifted: 0 };
    for (const count of counts) {
      if (count.labId === row.id) linksByStatus[count.status] = count._count._all;
    }
    const links = Object.values(linksByStatus).reduce((sum, value) => sum + value, 0);
    return { ...labRecordOf(row), links, linksByStatus };
  });
}

export interface DeletedLab {
  lab: LabRecord;
  /** The links the lab had, so the caller can remove their interfaces from the hosts. */
  links: LinkRecord[];
}

/**
 * Deletes a lab and all its links in one transaction, with one history entry per link and one
 * for the lab. Remove the interfaces from the hosts first (one `ip link del group N` per host);
 * this only changes the database.
 */
export async function deleteLab(db: KokoDatabase, labId: string, actorInput: ActorInput): Promise<DeletedLab> {
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  return db.write(async (transaction) => {
    const row = await transaction.lab.findUnique({ where: { id: labId } });
    if (!row) throw labNotFound(labId);
    const lab = labRecordOf(row);
    const links = (await transaction.link.findMany({ where: { labId }, include: LINK_INCLUDE, orderBy: { createdAt: 'asc' } })).map(linkRecordOf);

    await transaction.lab.delete({ where: { id: labId } });
    const entries = links.map((link) =>
      historyRow({
        actor,
        action: 'link.delete',
        summary: `deleted link ${link.id} with lab ${lab.name}`,
        labId,
        labName: lab.name,
        linkId: link.id,
        before: snapshotOf(link),
        after: null,
        outcome: 'ok',
      }),
    );
    entries.push(
      historyRow({
        actor,
        action: 'lab.delete',
        summary: `deleted lab ${lab.name} and its ${links.length} link(s)`,
        labId,
        labName: lab.name,
        before: { ...labHistoryView(lab), links: links.map((link) => link.id) },
        after: null,
        outcome: 'ok',
      }),
    );
    await transaction.historyEntry.createMany({ data: entries });
    return { lab, links };
  });
}
