import { KokoError, quote } from '@koko/core';
import type { KokoDatabase } from './database';
import { LINK_CHANGE_ACTIONS } from './history';
import { LINK_INCLUDE, linkRecordOf, specOf, type LinkRecord } from './link-record';
import { canonicalLinkSpec, linkSpecSchema, sameLinkSpec, type LinkSpec } from './link-spec';
import { labRecordOf, type LabRecord } from './labs';

/** Changes that return a lab to its state after one history entry. */
export interface RestorePlan {
  lab: LabRecord;
  /** The entry whose "after" state the lab returns to. */
  entryId: number;
  /** Every link the lab had right after that entry. */
  target: LinkSpec[];
  /** Stored links to delete: absent from the target, or different there. */
  remove: LinkRecord[];
  /** Links to create, with the ids and VNIs they had. */
  create: LinkSpec[];
  /** Stored links that already match the target. */
  keep: LinkRecord[];
}

/**
 * Rebuilds the links a lab had right after history entry `entryId` by replaying its link
 * entries in order: each contains the link's whole desired state after it, or null once deleted.
 * Entry ids grow with time across all labs, so any entry names a point in time.
 */
export async function desiredLinksAfter(db: KokoDatabase, labId: string, entryId: number): Promise<LinkSpec[]> {
  const entries = await db.read(async (client) => {
    const point = await client.historyEntry.findUnique({ where: { id: entryId }, select: { id: true } });
    if (!point) throw new KokoError('not-found', `history entry ${entryId} does not exist; list history to see the entry ids`);
    return client.historyEntry.findMany({
      where: { labId, id: { lte: entryId }, action: { in: [...LINK_CHANGE_ACTIONS] }, linkId: { not: null } },
      orderBy: { id: 'asc' },
      select: { id: true, linkId: true, after: true },
    });
  });

  const links = new Map<string, LinkSpec>();
  for (const entry of entries) {
    if (entry.after === null) {
      links.delete(entry.linkId!);
      continue;
    }
    const parsed = linkSpecSchema.safeParse(JSON.parse(entry.after));
    if (!parsed.success) {
      throw new KokoError('failed', `history entry ${entry.id} contains a link that this koko cannot parse (${parsed.error.issues[0]?.message}); restore to a later entry`);
    }
    links.set(entry.linkId!, canonicalLinkSpec(parsed.data));
  }
  return [...links.values()];
}

/**
 * Computes what restoring lab `labId` to the state after entry `entryId` changes: which stored
 * links to delete and which to create. The controller applies it through the agents and
 * records each step with the link functions.
 */
export async function planRestore(db: KokoDatabase, labId: string, entryId: number): Promise<RestorePlan> {
  const labRow = await db.read((client) => client.lab.findUnique({ where: { id: labId } }));
  if (!labRow) throw new KokoError('not-found', `lab ${quote(labId)} does not exist; a deleted lab cannot be restored in place, import its exported file instead`);

  const target = await desiredLinksAfter(db, labId, entryId);
  const current = (await db.read((client) => client.link.findMany({ where: { labId }, include: LINK_INCLUDE, orderBy: { createdAt: 'asc' } }))).map(linkRecordOf);

  const wanted = new Map(target.map((spec) => [spec.id, spec]));
  const keep: LinkRecord[] = [];
  const remove: LinkRecord[] = [];
  for (const link of current) {
    const spec = wanted.get(link.id);
    if (spec && sameLinkSpec(spec, specOf(link))) keep.push(link);
    else remove.push(link);
  }
  const kept = new Set(keep.map((link) => link.id));
  const create = target.filter((spec) => !kept.has(spec.id));
  return { lab: labRecordOf(labRow), entryId, target, remove, create, keep };
}
