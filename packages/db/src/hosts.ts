import { z } from 'zod';
import { KokoError, quote } from '@koko/core';
import { actorSchema, type ActorInput } from './actor';
import type { KokoDatabase } from './database';
import type { Prisma } from './generated/prisma/client';
import { appendHistoryIn } from './history';
import { agentTokenSchema, agentUrlSchema, hostNameSchema, underlayAddressSchema } from './names';
import { violatesUnique } from './prisma-errors';
import { parseOrThrow } from './validate';

export const HOST_STATUSES = ['unknown', 'online', 'offline'] as const;
export type HostStatusName = (typeof HOST_STATUSES)[number];

/** A host as the dashboard may see it: everything but the agent token. */
export interface HostRecord {
  id: string;
  name: string;
  agentUrl: string;
  underlay: string | null;
  status: HostStatusName;
  lastSeenAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Address and token the controller needs to call a host's agent. Keep them on the server. */
export interface AgentCredentials {
  hostId: string;
  agentUrl: string;
  token: string;
}

type HostRow = Omit<Prisma.HostGetPayload<object>, 'token'>;

function hostRecordOf(row: HostRow): HostRecord {
  return {
    id: row.id,
    name: row.name,
    agentUrl: row.agentUrl,
    underlay: row.underlay,
    status: row.status,
    lastSeenAt: row.lastSeenAt,
    lastError: row.lastError,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Returns the host as history stores it: no token, no timestamps that change on every poll. */
function historyViewOf(host: HostRecord) {
  return { id: host.id, name: host.name, agentUrl: host.agentUrl, underlay: host.underlay };
}

export const registerHostSchema = z.object({
  name: hostNameSchema,
  agentUrl: agentUrlSchema,
  token: agentTokenSchema,
  underlay: underlayAddressSchema.optional(),
});
export type RegisterHostInput = z.input<typeof registerHostSchema>;

function hostConflict(error: unknown, name: string, agentUrl: string | undefined): never {
  if (violatesUnique(error, ['name'])) {
    throw new KokoError('conflict', `host ${quote(name)} is already registered; pick another name or remove that host first`, 'name');
  }
  if (agentUrl !== undefined && violatesUnique(error, ['agentUrl'])) {
    throw new KokoError('conflict', `agent address ${quote(agentUrl)} is already registered for another host; one agent serves one host`, 'agentUrl');
  }
  throw error;
}

/** Registers a host by its agent address and token. Status stays unknown until the controller reaches the agent. */
export async function registerHost(db: KokoDatabase, input: RegisterHostInput, actorInput: ActorInput): Promise<HostRecord> {
  const host = parseOrThrow(registerHostSchema, input, 'host');
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  try {
    return await db.write(async (transaction) => {
      const row = await transaction.host.create({
        data: { name: host.name, agentUrl: host.agentUrl, token: host.token, underlay: host.underlay ?? null },
        omit: { token: true },
      });
      const record = hostRecordOf(row);
      await appendHistoryIn(transaction, {
        actor,
        action: 'host.register',
        summary: `registered host ${record.name} at ${record.agentUrl}`,
        before: null,
        after: historyViewOf(record),
        outcome: 'ok',
      });
      return record;
    });
  } catch (error) {
    hostConflict(error, host.name, host.agentUrl);
  }
}

export const updateHostSchema = z.object({
  agentUrl: agentUrlSchema.optional(),
  token: agentTokenSchema.optional(),
  underlay: underlayAddressSchema.nullable().optional(),
});
export type UpdateHostInput = z.input<typeof updateHostSchema>;

/** Changes how the controller reaches a host: its agent address, token or underlay address. */
export async function updateHost(db: KokoDatabase, hostId: string, input: UpdateHostInput, actorInput: ActorInput): Promise<HostRecord> {
  const change = parseOrThrow(updateHostSchema, input, 'host change');
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  let hostName = hostId;
  try {
    return await db.write(async (transaction) => {
      const found = await transaction.host.findUnique({ where: { id: hostId } });
      if (!found) throw hostNotFound(hostId);
      hostName = found.name;
      const before = hostRecordOf(found);

      const row = await transaction.host.update({
        where: { id: hostId },
        data: {
          ...(change.agentUrl !== undefined && { agentUrl: change.agentUrl }),
          ...(change.token !== undefined && { token: change.token }),
          ...(change.underlay !== undefined && { underlay: change.underlay }),
        },
        omit: { token: true },
      });
      const record = hostRecordOf(row);
      await appendHistoryIn(transaction, {
        actor,
        action: 'host.update',
        summary: `changed ${Object.keys(change).join(', ')} of host ${record.name}`,
        before: historyViewOf(before),
        after: historyViewOf(record),
        outcome: 'ok',
      });
      return record;
    });
  } catch (error) {
    hostConflict(error, hostName, change.agentUrl);
  }
}

export const hostStatusSchema = z.object({
  status: z.enum(HOST_STATUSES),
  /** Time the agent last replied; defaults to now when status is online. */
  lastSeenAt: z.date().optional(),
  /** Reason the agent could not be reached; cleared when status is online. */
  error: z.string().optional(),
  underlay: underlayAddressSchema.optional(),
});
export type HostStatusInput = z.input<typeof hostStatusSchema>;

/**
 * Records what the controller observed when it polled a host. Observations are not changes
 * anyone made, so they add no history entry.
 */
export async function updateHostStatus(db: KokoDatabase, hostId: string, input: HostStatusInput): Promise<HostRecord> {
  const observed = parseOrThrow(hostStatusSchema, input, 'host status');
  const online = observed.status === 'online';
  const row = await db.write(async (transaction) => {
    const found = await transaction.host.findUnique({ where: { id: hostId }, select: { id: true } });
    if (!found) throw hostNotFound(hostId);
    return transaction.host.update({
      where: { id: hostId },
      data: {
        status: observed.status,
        lastError: online ? null : (observed.error ?? null),
        ...((observed.lastSeenAt !== undefined || online) && { lastSeenAt: observed.lastSeenAt ?? new Date() }),
        ...(observed.underlay !== undefined && { underlay: observed.underlay }),
      },
      omit: { token: true },
    });
  });
  return hostRecordOf(row);
}

function hostNotFound(idOrName: string): KokoError {
  return new KokoError('not-found', `host ${quote(idOrName)} is not registered; list hosts to see the registered ones, or register it`);
}

export async function listHosts(db: KokoDatabase): Promise<HostRecord[]> {
  const rows = await db.read((client) => client.host.findMany({ orderBy: { name: 'asc' } }));
  return rows.map(hostRecordOf);
}

export async function getHost(db: KokoDatabase, hostId: string): Promise<HostRecord> {
  const row = await db.read((client) => client.host.findUnique({ where: { id: hostId } }));
  if (!row) throw hostNotFound(hostId);
  return hostRecordOf(row);
}

export async function findHostByName(db: KokoDatabase, name: string): Promise<HostRecord | undefined> {
  const row = await db.read((client) => client.host.findUnique({ where: { name } }));
  return row ? hostRecordOf(row) : undefined;
}

/** Returns the agent address and token of a host. Only the server-side controller calls this. */
export async function getAgentCredentials(db: KokoDatabase, hostId: string): Promise<AgentCredentials> {
  const row = await db.read((client) =>
    client.host.findUnique({ where: { id: hostId }, select: { id: true, agentUrl: true, token: true } }),
  );
  if (!row) throw hostNotFound(hostId);
  return { hostId: row.id, agentUrl: row.agentUrl, token: row.token };
}

/** Removes a host and its nodes. A host that still has link ends is kept: delete those links first. */
export async function removeHost(db: KokoDatabase, hostId: string, actorInput: ActorInput): Promise<HostRecord> {
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  return db.write(async (transaction) => {
    const row = await transaction.host.findUnique({ where: { id: hostId } });
    if (!row) throw hostNotFound(hostId);
    const record = hostRecordOf(row);

    const ends = await transaction.linkEndpoint.findMany({
      where: { node: { hostId } },
      select: { linkId: true, link: { select: { lab: { select: { name: true } } } } },
    });
    if (ends.length > 0) {
      const labs = [...new Set(ends.map((end) => quote(end.link.lab.name)))].join(', ');
      const links = new Set(ends.map((end) => end.linkId)).size;
      throw new KokoError('conflict', `host ${quote(record.name)} still has ${links} link(s) in lab ${labs}; delete those links or labs first`);
    }

    await transaction.host.delete({ where: { id: hostId } });
    await appendHistoryIn(transaction, {
      actor,
      action: 'host.remove',
      summary: `removed host ${record.name}`,
      before: historyViewOf(record),
      after: null,
      outcome: 'ok',
    });
    return record;
  });
}
