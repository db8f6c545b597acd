import { z } from 'zod';
import { KokoError } from '@koko/core';
import { actorSchema, type Actor, type ActorInput } from './actor';
import type { DbTransaction, KokoDatabase } from './database';
import type { Prisma } from './generated/prisma/client';
import { parseOrThrow } from './validate';

/** The verbs koko records. */
export const HISTORY_ACTIONS = [
  'host.register',
  'host.update',
  'host.remove',
  'node.position',
  'lab.create',
  'lab.delete',
  'lab.import',
  'lab.restore',
  'link.create',
  'link.status',
  'link.delete',
  'agent.call',
] as const;
export type HistoryAction = (typeof HISTORY_ACTIONS)[number];

/**
 * The actions that change a link's desired state. Their entries hold the link's whole state in
 * `after` (null once deleted), so replaying them rebuilds a lab's links at any past entry.
 */
export const LINK_CHANGE_ACTIONS = ['link.create', 'link.status', 'link.delete'] as const satisfies readonly HistoryAction[];

export const HISTORY_OUTCOMES = ['pending', 'ok', 'failed'] as const;
/** `pending`: written to the database, hosts not changed yet; `ok`: done; `failed`: see `error`. */
export type HistoryOutcome = (typeof HISTORY_OUTCOMES)[number];

export interface HistoryInput {
  actor: Actor;
  action: HistoryAction;
  summary: string;
  labId?: string | null;
  labName?: string | null;
  linkId?: string | null;
  /** JSON-serializable state of the subject before the change; null when it did not exist. */
  before?: unknown;
  after?: unknown;
  outcome: HistoryOutcome;
  error?: string | null;
}

export interface HistoryRecord {
  /** Increases with every entry and is never reused: "the state after change N" names this N. */
  id: number;
  at: Date;
  actor: Actor;
  labId: string | null;
  labName: string | null;
  linkId: string | null;
  action: string;
  summary: string;
  before: unknown;
  after: unknown;
  outcome: HistoryOutcome;
  error: string | null;
}

function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Turns a history input into a row, for `create` and `createMany`. */
export function historyRow(input: HistoryInput): Prisma.HistoryEntryCreateManyInput {
  return {
    actorName: input.actor.name,
    actorId: input.actor.userId ?? null,
    sessionId: input.actor.sessionId ?? null,
    labId: input.labId ?? null,
    labName: input.labName ?? null,
    linkId: input.linkId ?? null,
    action: input.action,
    summary: input.summary,
    before: toJson(input.before),
    after: toJson(input.after),
    outcome: input.outcome,
    error: input.error ?? null,
  };
}

type HistoryRow = Prisma.HistoryEntryGetPayload<object>;

export function historyRecordOf(row: HistoryRow): HistoryRecord {
  return {
    id: row.id,
    at: row.at,
    actor: {
      name: row.actorName,
      ...(row.actorId !== null && { userId: row.actorId }),
      ...(row.sessionId !== null && { sessionId: row.sessionId }),
    },
    labId: row.labId,
    labName: row.labName,
    linkId: row.linkId,
    action: row.action,
    summary: row.summary,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
    outcome: row.outcome,
    error: row.error,
  };
}

/** Appends one entry inside a running transaction, so the entry commits or rolls back with its change. */
export async function appendHistoryIn(transaction: DbTransaction, input: HistoryInput): Promise<HistoryRecord> {
  return historyRecordOf(await transaction.historyEntry.create({ data: historyRow(input) }));
}

const appendInputSchema = z.object({
  action: z.enum(HISTORY_ACTIONS),
  summary: z.string().min(1, { error: 'history summary is empty; say what happened' }),
  labId: z.string().nullish(),
  labName: z.string().nullish(),
  linkId: z.string().nullish(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  outcome: z.enum(HISTORY_OUTCOMES),
  error: z.string().nullish(),
});

/**
 * Appends an entry for a step that changes nothing in the database, such as an agent call. The
 * repository functions record their own changes.
 */
export async function appendHistory(
  db: KokoDatabase,
  input: Omit<HistoryInput, 'actor'> & { actor: ActorInput },
): Promise<HistoryRecord> {
  const actor = parseOrThrow(actorSchema, input.actor, 'actor');
  const entry = parseOrThrow(appendInputSchema, input, 'history entry');
  if ((LINK_CHANGE_ACTIONS as readonly string[]).includes(entry.action)) {
    // Restore replays these entries, so only the link functions, which write them with the change, may add them.
    throw new KokoError('invalid', `history action ${entry.action} is written by the link functions with the change itself; record other steps as agent.call or lab.restore`);
  }
  return db.write((transaction) => appendHistoryIn(transaction, { ...entry, actor, action: entry.action }));
}

/** Largest page `listHistory` returns. */
export const MAX_HISTORY_PAGE = 1000;

export const historyFilterSchema = z.object({
  labId: z.string().optional(),
  linkId: z.string().optional(),
  actorName: z.string().optional(),
  actorId: z.string().optional(),
  action: z.enum(HISTORY_ACTIONS).optional(),
  outcome: z.enum(HISTORY_OUTCOMES).optional(),
  /** Entries at or after this time. */
  since: z.date().optional(),
  /** Entries before this time. */
  until: z.date().optional(),
  /** Entries with an id below this one: pass the last id of a page to get the next. */
  beforeId: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(MAX_HISTORY_PAGE).default(100),
});
export type HistoryFilter = z.input<typeof historyFilterSchema>;

/** Lists entries newest first, filtered by lab, link, person, action, outcome and time. */
export async function listHistory(db: KokoDatabase, filter: HistoryFilter = {}): Promise<HistoryRecord[]> {
  const parsed = parseOrThrow(historyFilterSchema, filter, 'history filter');
  const where: Prisma.HistoryEntryWhereInput = {
    ...(parsed.labId !== undefined && { labId: parsed.labId }),
    ...(parsed.linkId !== undefined && { linkId: parsed.linkId }),
    ...(parsed.actorName !== undefined && { actorName: parsed.actorName }),
    ...(parsed.actorId !== undefined && { actorId: parsed.actorId }),
    ...(parsed.action !== undefined && { action: parsed.action }),
    ...(parsed.outcome !== undefined && { outcome: parsed.outcome }),
    ...(parsed.beforeId !== undefined && { id: { lt: parsed.beforeId } }),
    ...((parsed.since !== undefined || parsed.until !== undefined) && {
      at: { ...(parsed.since && { gte: parsed.since }), ...(parsed.until && { lt: parsed.until }) },
    }),
  };
  const rows = await db.read((client) => client.historyEntry.findMany({ where, orderBy: { id: 'desc' }, take: parsed.limit }));
  return rows.map(historyRecordOf);
}

export async function getHistoryEntry(db: KokoDatabase, id: number): Promise<HistoryRecord> {
  const row = await db.read((client) => client.historyEntry.findUnique({ where: { id } }));
  if (!row) throw new KokoError('not-found', `history entry ${id} does not exist; list history to see the entry ids`);
  return historyRecordOf(row);
}
