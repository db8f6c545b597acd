import { z } from 'zod';
import { describeNode, KokoError, newLinkId, quote, VXLAN_DEFAULT_PORT, withBatchPosition } from '@koko/core';
import { actorSchema, type Actor, type ActorInput } from './actor';
import { allocateVnisIn, type NumberRange } from './allocate';
import { slices } from './batches';
import type { DbTransaction, KokoDatabase } from './database';
import type { Prisma } from './generated/prisma/client';
import { appendHistoryIn, historyRow, type HistoryInput, type HistoryOutcome } from './history';
import { LINK_INCLUDE, linkRecordOf, snapshotOf, type LinkRecord } from './link-record';
import {
  endpointsOfSpec,
  linkDraftSchema,
  LINK_STATUSES,
  nodeKeyOf,
  nodeKeyText,
  type EndpointSpec,
  type LinkDraft,
  type LinkDraftInput,
  type LinkSpec,
  type LinkStatusName,
} from './link-spec';
import { ensureNodesIn } from './nodes';
import { uniqueViolationFields } from './prisma-errors';
import { parseOrThrow } from './validate';

export interface CreateLinkOptions {
  /** Range the VNI of a vxlan link without one comes from. */
  vniRange?: NumberRange;
}

/** Looks up the hosts that `items` name; throws not-found naming every host that is not registered. */
export async function hostIdsByNameIn(transaction: DbTransaction, items: { host: string }[]): Promise<Map<string, string>> {
  const names = [...new Set(items.map((item) => item.host))];
  const rows = await transaction.host.findMany({ where: { name: { in: names } }, select: { id: true, name: true } });
  const ids = new Map(rows.map((row) => [row.name, row.id]));
  const missing = names.filter((name) => !ids.has(name));
  if (missing.length > 0) {
    throw new KokoError('not-found', `host ${missing.map(quote).join(', ')} is not registered; register its agent first`);
  }
  return ids;
}

/** Builds the columns of one link row from a spec whose id and VNI are settled. */
function linkColumns(labId: string, link: LinkSpec): Prisma.LinkCreateManyInput {
  return {
    id: link.id,
    labId,
    kind: link.kind,
    mtu: link.mtu ?? null,
    vni: link.vni ?? null,
    port: link.kind === 'vxlan' ? (link.port ?? VXLAN_DEFAULT_PORT) : null,
    remote: link.remote ?? null,
    vlanId: link.vlanId ?? null,
    macvlanMode: link.kind === 'macvlan' ? (link.macvlanMode ?? 'default') : null,
  };
}

/** Builds the columns of one endpoint row. */
function endpointColumns(side: 'a' | 'b', nodeId: string, endpoint: EndpointSpec) {
  return {
    side,
    nodeId,
    ifname: endpoint.ifname,
    addresses: JSON.stringify(endpoint.addresses),
    parent: endpoint.parent ?? null,
    mirror: endpoint.mirror ? JSON.stringify(endpoint.mirror) : null,
  };
}

/**
 * Stores a link as pending, for the controller to create on the hosts next. A vxlan link without
 * a VNI gets the lowest free one; a link without an id gets a new random one. Nodes that no
 * inventory listed yet get a row. Two links cannot take the same interface name in one node:
 * the unique index on (node, interface name) rejects the second, also from another process,
 * and the error names the interface, the node and the link that uses it.
 */
export async function createLink(
  db: KokoDatabase,
  input: { labId: string; link: LinkDraftInput },
  actorInput: ActorInput,
  options: CreateLinkOptions = {},
): Promise<LinkRecord> {
  const draft = parseOrThrow(linkDraftSchema, input.link, 'link');
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  try {
    const [record] = await storeLinks(db, input.labId, [draft], actor, options);
    return record!;
  } catch (error) {
    const fields = uniqueViolationFields(error);
    if (fields === undefined) throw error;
    throw await explainLinkConflict(db, fields, draft.id, draft.vni, endpointsOfSpec(draft));
  }
}

/**
 * Stores many links as pending in one transaction, as createLink stores one: either all of them
 * are stored or, on any error, none. Their vxlan links without a VNI get the lowest free ones, in
 * order. An error about one link starts with its position, `link 3 of 200: `, and its field
 * starts with `links.2`.
 */
export async function createLinks(
  db: KokoDatabase,
  input: { labId: string; links: LinkDraftInput[] },
  actorInput: ActorInput,
  options: CreateLinkOptions = {},
): Promise<LinkRecord[]> {
  const count = input.links.length;
  const drafts = input.links.map((link, index) => {
    try {
      return parseOrThrow(linkDraftSchema, link, 'link');
    } catch (error) {
      throw withBatchPosition(error, index, count);
    }
  });
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  rejectRepeatsInBatch(drafts);

  try {
    return await storeLinks(db, input.labId, drafts, actor, options);
  } catch (error) {
    const fields = uniqueViolationFields(error);
    if (fields === undefined) throw error;
    throw await explainBatchConflict(db, fields, drafts);
  }
}

/**
 * Inserts the rows of links whose id and VNI are settled, and of their endpoints, into lab `labId`.
 * `nodeIds` maps each end's node key text to its node row, as ensureNodesIn returns it.
 */
export async function insertLinksIn(transaction: DbTransaction, labId: string, specs: LinkSpec[], nodeIds: Map<string, string>): Promise<void> {
  await transaction.link.createMany({ data: specs.map((spec) => linkColumns(labId, spec)) });
  await transaction.linkEndpoint.createMany({
    data: specs.flatMap((spec) =>
      endpointsOfSpec(spec).map((endpoint, index) => ({
        linkId: spec.id,
        ...endpointColumns(index === 0 ? 'a' : 'b', nodeIds.get(nodeKeyText(endpoint.host, endpoint.node))!, endpoint),
      })),
    ),
  });
}

/**
 * Stores drafts as pending links in one write transaction, with a history entry each, and returns
 * them in order. A unique-index violation is thrown as Prisma raised it, for the caller to explain.
 */
async function storeLinks(db: KokoDatabase, labId: string, drafts: LinkDraft[], actor: Actor, options: CreateLinkOptions): Promise<LinkRecord[]> {
  return db.write(async (transaction) => {
    const lab = await transaction.lab.findUnique({ where: { id: labId }, select: { id: true, name: true } });
    if (!lab) throw new KokoError('not-found', `lab ${quote(labId)} does not exist; create it or pick one from the list of labs`);

    const endpoints = drafts.flatMap((draft) => endpointsOfSpec(draft));
    const hostIds = await hostIdsByNameIn(transaction, endpoints);
    const nodeIds = await ensureNodesIn(transaction, hostIds, endpoints);
    const named = new Set(drafts.flatMap((draft) => (draft.vni === undefined ? [] : [draft.vni])));
    const needVni = drafts.filter((draft) => draft.kind === 'vxlan' && draft.vni === undefined).length;
    const vnis = await allocateVnisIn(transaction, needVni, named, options.vniRange);

    let nextVni = 0;
    const specs: LinkSpec[] = drafts.map((draft) => ({
      ...draft,
      id: draft.id ?? newLinkId(),
      ...(draft.kind === 'vxlan' && { vni: draft.vni ?? vnis[nextVni++]! }),
    }));
    await insertLinksIn(transaction, lab.id, specs, nodeIds);

    const stored = await loadLinksIn(transaction, specs.map((spec) => spec.id));
    const records = specs.map((spec) => stored.get(spec.id)!);
    await transaction.historyEntry.createMany({
      data: records.map((record) =>
        historyRow({
          actor,
          action: 'link.create',
          summary: `added ${describeLink(record)}`,
          labId: lab.id,
          labName: lab.name,
          linkId: record.id,
          before: null,
          after: snapshotOf(record),
          outcome: 'pending',
        }),
      ),
    });
    return records;
  });
}

/** Rejects a batch that names one link id, one VNI or one interface of a node twice, before anything is stored. */
function rejectRepeatsInBatch(drafts: LinkDraft[]): void {
  const firstUse = new Map<string, number>();
  const check = (index: number, key: string, subject: string, field: string) => {
    const first = firstUse.get(key);
    if (first === undefined) {
      firstUse.set(key, index);
      return;
    }
    throw withBatchPosition(new KokoError('conflict', `${subject} is already in link ${first + 1} of the batch; give each link its own`, field), index, drafts.length);
  };

  for (const [index, draft] of drafts.entries()) {
    if (draft.id !== undefined) check(index, `id/${draft.id}`, `link id ${quote(draft.id)}`, 'id');
    if (draft.vni !== undefined) check(index, `vni/${draft.vni}`, `VNI ${draft.vni}`, 'vni');
    for (const endpoint of endpointsOfSpec(draft)) {
      const subject = `interface ${quote(endpoint.ifname)} in ${describeNode(endpoint.node)} on host ${quote(endpoint.host)}`;
      check(index, `ifname/${nodeKeyText(endpoint.host, endpoint.node)}/${endpoint.ifname}`, subject, 'ifname');
    }
  }
}

/** Finds the link of a batch that clashed with a stored one and explains the clash as createLink does. */
async function explainBatchConflict(db: KokoDatabase, fields: string[], drafts: LinkDraft[]): Promise<unknown> {
  for (const [index, draft] of drafts.entries()) {
    const endpoints = endpointsOfSpec(draft);
    const clash =
      (fields.includes('ifname') && (await Promise.all(endpoints.map((endpoint) => findInterfaceHolder(db, endpoint)))).some(Boolean)) ||
      (fields.includes('vni') && draft.vni !== undefined && (await db.read((client) => client.link.count({ where: { vni: draft.vni } }))) > 0) ||
      (fields.includes('id') && draft.id !== undefined && (await db.read((client) => client.link.count({ where: { id: draft.id } }))) > 0);
    if (clash) return withBatchPosition(await explainLinkConflict(db, fields, draft.id, draft.vni, endpoints), index, drafts.length);
  }
  return new KokoError('conflict', `a link of the batch clashes with a stored one on ${fields.join(', ')}; try again`);
}

/** Describes a link in one line for history and messages: `veth link 3fa2c10b7e h1/container "r1"/eth1 -- h1/container "r2"/eth1`. */
export function describeLink(link: { id: string; kind: string; a: EndpointSpec; b?: EndpointSpec | undefined; vni?: number | undefined }): string {
  const end = (endpoint: EndpointSpec) => `${endpoint.host}/${describeNode(endpoint.node)}/${endpoint.ifname}`;
  const ends = link.b ? `${end(link.a)} -- ${end(link.b)}` : `${end(link.a)}${link.a.parent ? ` on ${link.a.parent}` : ''}`;
  return `${link.kind} link ${link.id} ${ends}${link.vni !== undefined ? ` (VNI ${link.vni})` : ''}`;
}

/** Turns a unique-index violation from createLink into a conflict error that names the value and the link that uses it. */
async function explainLinkConflict(
  db: KokoDatabase,
  fields: string[],
  id: string | undefined,
  vni: number | undefined,
  endpoints: EndpointSpec[],
): Promise<KokoError> {
  if (fields.includes('ifname')) {
    for (const endpoint of endpoints) {
      const holder = await findInterfaceHolder(db, endpoint);
      if (holder) return interfaceTaken(endpoint, holder);
    }
    // The holder was deleted between the failed insert and this lookup.
    const first = endpoints[0]!;
    return new KokoError('conflict', `interface ${quote(first.ifname)} in ${describeNode(first.node)} on host ${quote(first.host)} was taken by another link; try again`, 'ifname');
  }
  if (fields.includes('vni') && vni !== undefined) {
    const holder = await db.read((client) => client.link.findUnique({ where: { vni }, select: { id: true, lab: { select: { name: true } } } }));
    const by = holder ? ` by link ${holder.id} in lab ${quote(holder.lab.name)}` : '';
    return new KokoError('conflict', `VNI ${vni} is already used${by}; leave the VNI out to get a free one`, 'vni');
  }
  if (fields.includes('id') && id !== undefined) {
    return new KokoError('conflict', `link id ${quote(id)} already exists; leave the id out to get a new one`, 'id');
  }
  return new KokoError('conflict', `the link clashes with a stored one on ${fields.join(', ')}`);
}

/** The stored link that uses an interface name in a node. */
export interface InterfaceHolder {
  linkId: string;
  labName: string;
}

/** Returns the stored link that uses the endpoint's interface name in its node, if one does. */
export async function findInterfaceHolder(db: KokoDatabase, endpoint: Pick<EndpointSpec, 'host' | 'node' | 'ifname'>): Promise<InterfaceHolder | undefined> {
  const key = nodeKeyOf(endpoint.node);
  const row = await db.read((client) =>
    client.linkEndpoint.findFirst({
      where: { ifname: endpoint.ifname, node: { host: { name: endpoint.host }, kind: key.kind, name: key.name } },
      select: { linkId: true, link: { select: { lab: { select: { name: true } } } } },
    }),
  );
  return row ? { linkId: row.linkId, labName: row.link.lab.name } : undefined;
}

export function interfaceTaken(endpoint: Pick<EndpointSpec, 'host' | 'node' | 'ifname'>, holder: InterfaceHolder): KokoError {
  return new KokoError(
    'conflict',
    `interface ${quote(endpoint.ifname)} in ${describeNode(endpoint.node)} on host ${quote(endpoint.host)} is already used by link ${holder.linkId} in lab ${quote(holder.labName)}; pick another interface name or delete that link first`,
    'ifname',
  );
}

const statusChangeSchema = z
  .object({
    status: z.enum(LINK_STATUSES),
    error: z.string().min(1).optional(),
  })
  .superRefine((change, context) => {
    if ((change.status === 'failed' || change.status === 'drifted') && change.error === undefined) {
      context.addIssue({ code: 'custom', path: ['error'], message: `a link marked ${change.status} needs the error that explains it` });
    }
  });
export type LinkStatusChange = z.input<typeof statusChangeSchema>;

const OUTCOME_OF_STATUS: Record<LinkStatusName, HistoryOutcome> = { pending: 'pending', up: 'ok', failed: 'failed', drifted: 'failed' };

/**
 * Records a link's status: up once the agents created it, failed with the agent's error,
 * drifted when what a host reports differs from the stored link, or pending again before a
 * retry. Up and pending clear the last error. Setting the status and error the link already has
 * changes nothing and adds no history entry.
 */
export async function setLinkStatus(db: KokoDatabase, linkId: string, change: LinkStatusChange, actorInput: ActorInput): Promise<LinkRecord> {
  const [record] = await setLinkStatuses(db, [{ linkId, change }], actorInput);
  return record!;
}

/** Records the status of many links in one transaction, each as setLinkStatus does; all are recorded or, on any error, none. */
export async function setLinkStatuses(db: KokoDatabase, changes: { linkId: string; change: LinkStatusChange }[], actorInput: ActorInput): Promise<LinkRecord[]> {
  const parsed = changes.map(({ linkId, change }) => {
    const { status, error } = parseOrThrow(statusChangeSchema, change, 'link status');
    return { linkId, status, lastError: status === 'failed' || status === 'drifted' ? error! : null };
  });
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');

  return db.write(async (transaction) => {
    const before = await loadLinksIn(transaction, parsed.map((item) => item.linkId));
    const missing = parsed.find((item) => !before.has(item.linkId));
    if (missing) throw linkNotFound(missing.linkId);
    // A poller may report the same state again and again; that is no change, so no entry.
    const changed = parsed.filter((item) => before.get(item.linkId)!.status !== item.status || before.get(item.linkId)!.lastError !== item.lastError);
    if (changed.length === 0) return parsed.map((item) => before.get(item.linkId)!);

    // Links that get the same status and error share one update, so a batch of links going up needs one.
    const statusChangedAt = new Date();
    const groups = new Map<string, { status: LinkStatusName; lastError: string | null; ids: string[] }>();
    for (const item of changed) {
      const key = JSON.stringify([item.status, item.lastError]);
      const group = groups.get(key) ?? { status: item.status, lastError: item.lastError, ids: [] };
      group.ids.push(item.linkId);
      groups.set(key, group);
    }
    for (const group of groups.values()) {
      for (const ids of slices(group.ids)) {
        await transaction.link.updateMany({ where: { id: { in: ids } }, data: { status: group.status, lastError: group.lastError, statusChangedAt } });
      }
    }

    const after = await loadLinksIn(transaction, changed.map((item) => item.linkId));
    const labIds = [...new Set([...after.values()].map((record) => record.labId))];
    const labs = await transaction.lab.findMany({ where: { id: { in: labIds } }, select: { id: true, name: true } });
    const labNames = new Map(labs.map((lab) => [lab.id, lab.name]));
    await transaction.historyEntry.createMany({
      data: changed.map((item) => historyRow(statusEntryOf(actor, before.get(item.linkId)!, after.get(item.linkId)!, labNames.get(after.get(item.linkId)!.labId) ?? null))),
    });
    return parsed.map((item) => after.get(item.linkId) ?? before.get(item.linkId)!);
  });
}

/** Loads the links with `ids` that exist, by id. */
async function loadLinksIn(transaction: DbTransaction, ids: string[]): Promise<Map<string, LinkRecord>> {
  const records = new Map<string, LinkRecord>();
  for (const slice of slices([...new Set(ids)])) {
    for (const row of await transaction.link.findMany({ where: { id: { in: slice } }, include: LINK_INCLUDE })) records.set(row.id, linkRecordOf(row));
  }
  return records;
}

/** Builds the history entry of a status change. */
function statusEntryOf(actor: Actor, before: LinkRecord, after: LinkRecord, labName: string | null): HistoryInput {
  return {
    actor,
    action: 'link.status',
    summary: `link ${after.id} ${before.status} -> ${after.status}${after.lastError ? `: ${after.lastError}` : ''}`,
    labId: after.labId,
    labName,
    linkId: after.id,
    before: snapshotOf(before),
    after: snapshotOf(after),
    outcome: OUTCOME_OF_STATUS[after.status],
    error: after.lastError,
  };
}

export const markLinkUp = (db: KokoDatabase, linkId: string, actor: ActorInput) => setLinkStatus(db, linkId, { status: 'up' }, actor);
export const markLinkPending = (db: KokoDatabase, linkId: string, actor: ActorInput) => setLinkStatus(db, linkId, { status: 'pending' }, actor);
export const markLinkFailed = (db: KokoDatabase, linkId: string, error: string, actor: ActorInput) =>
  setLinkStatus(db, linkId, { status: 'failed', error }, actor);
export const markLinkDrifted = (db: KokoDatabase, linkId: string, error: string, actor: ActorInput) =>
  setLinkStatus(db, linkId, { status: 'drifted', error }, actor);

function linkNotFound(linkId: string): KokoError {
  return new KokoError('not-found', `link ${quote(linkId)} does not exist; list the lab's links to see their ids`);
}

async function loadLinkIn(transaction: DbTransaction, linkId: string): Promise<LinkRecord> {
  const row = await transaction.link.findUnique({ where: { id: linkId }, include: LINK_INCLUDE });
  if (!row) throw linkNotFound(linkId);
  return linkRecordOf(row);
}

/**
 * Deletes a stored link and records it. Remove its interfaces from the hosts first; this only
 * changes the database. Its interface names and VNI are free again afterwards.
 */
export async function deleteLink(db: KokoDatabase, linkId: string, actorInput: ActorInput): Promise<LinkRecord> {
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  return db.write(async (transaction) => {
    const record = await loadLinkIn(transaction, linkId);
    const lab = await transaction.lab.findUnique({ where: { id: record.labId }, select: { name: true } });
    await transaction.link.delete({ where: { id: linkId } });
    await appendHistoryIn(transaction, {
      actor,
      action: 'link.delete',
      summary: `deleted ${describeLink(record)}`,
      labId: record.labId,
      labName: lab?.name ?? null,
      linkId,
      before: snapshotOf(record),
      after: null,
      outcome: 'ok',
    });
    return record;
  });
}

export async function getLink(db: KokoDatabase, linkId: string): Promise<LinkRecord> {
  const row = await db.read((client) => client.link.findUnique({ where: { id: linkId }, include: LINK_INCLUDE }));
  if (!row) throw linkNotFound(linkId);
  return linkRecordOf(row);
}

export interface LinkFilter {
  labId?: string;
  /** Links with at least one end on this host. */
  hostId?: string;
  status?: LinkStatusName;
}

/** Lists links, oldest first. */
export async function listLinks(db: KokoDatabase, filter: LinkFilter = {}): Promise<LinkRecord[]> {
  const rows = await db.read((client) =>
    client.link.findMany({
      where: {
        ...(filter.labId !== undefined && { labId: filter.labId }),
        ...(filter.status !== undefined && { status: filter.status }),
        ...(filter.hostId !== undefined && { endpoints: { some: { node: { hostId: filter.hostId } } } }),
      },
      include: LINK_INCLUDE,
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    }),
  );
  return rows.map(linkRecordOf);
}
