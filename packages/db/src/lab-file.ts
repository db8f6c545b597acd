import { z } from 'zod';
import { describeNode, KokoError, newLinkId, nodeRefSchema, quote } from '@koko/core';
import { actorSchema, type ActorInput } from './actor';
import type { DbTransaction, KokoDatabase } from './database';
import { historyRow } from './history';
import { createLabIn, labPoolSchema, labRecordOf, type LabRecord } from './labs';
import { LINK_INCLUDE, linkRecordOf, specOf, type LinkRecord } from './link-record';
import { endpointsOfSpec, linkSpecSchema, nodeKeyText, nodeRefOf, type EndpointSpec, type LinkSpec } from './link-spec';
import { describeLink, hostIdsByNameIn, insertLinksIn } from './links';
import { hostNameSchema, labNameSchema } from './names';
import { ensureNodesIn, nodePositionSchema } from './nodes';
import { slices } from './batches';
import { violatesUnique } from './prisma-errors';
import { parseOrThrow } from './validate';

export const LAB_FILE_FORMAT = 'koko-lab';
export const LAB_FILE_VERSION = 1;

export const labFileSchema = z
  .object({
    format: z.literal(LAB_FILE_FORMAT, { error: `not a koko lab file: "format" must be "${LAB_FILE_FORMAT}"` }),
    version: z.literal(LAB_FILE_VERSION, { error: `unsupported lab file version; this koko reads version ${LAB_FILE_VERSION}` }),
    lab: z.object({
      name: labNameSchema,
      description: z.string().max(1000).default(''),
      pool: labPoolSchema,
    }),
    links: z.array(linkSpecSchema),
    /** Canvas positions of the nodes the links use. */
    nodes: z.array(z.object({ host: hostNameSchema, node: nodeRefSchema, position: nodePositionSchema })).default([]),
  })
  .superRefine((file, context) => {
    const ids = new Set<string>();
    const interfaces = new Map<string, string>();
    const vnis = new Map<number, string>();
    file.links.forEach((link, index) => {
      if (ids.has(link.id)) context.addIssue({ code: 'custom', path: ['links', index, 'id'], message: `link id ${quote(link.id)} appears twice; give each link its own id` });
      ids.add(link.id);

      if (link.vni !== undefined) {
        const other = vnis.get(link.vni);
        if (other) context.addIssue({ code: 'custom', path: ['links', index, 'vni'], message: `VNI ${link.vni} is used by links ${other} and ${link.id}; give each vxlan link its own VNI` });
        vnis.set(link.vni, link.id);
      }

      for (const endpoint of endpointsOfSpec(link)) {
        const key = `${nodeKeyText(endpoint.host, endpoint.node)}/${endpoint.ifname}`;
        const other = interfaces.get(key);
        if (other) {
          context.addIssue({
            code: 'custom',
            path: ['links', index],
            message: `interface ${quote(endpoint.ifname)} in ${describeNode(endpoint.node)} on host ${quote(endpoint.host)} is used by links ${other} and ${link.id}; give each end its own name`,
          });
        }
        interfaces.set(key, link.id);
      }
    });
  });
export type LabFile = z.output<typeof labFileSchema>;

/** Writes a lab as a file that importLab reads back: its settings, its links' desired state and its nodes' canvas positions. */
export async function exportLab(db: KokoDatabase, labId: string): Promise<LabFile> {
  const { lab, links, nodes } = await db.read(async (client) => {
    const labRow = await client.lab.findUnique({ where: { id: labId } });
    if (!labRow) throw new KokoError('not-found', `lab ${quote(labId)} does not exist; list labs to see their ids`);
    const linkRows = await client.link.findMany({ where: { labId }, include: LINK_INCLUDE, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    const nodeRows = await client.node.findMany({
      where: { endpoints: { some: { link: { labId } } }, positionX: { not: null }, positionY: { not: null } },
      include: { host: { select: { name: true } } },
      orderBy: [{ host: { name: 'asc' } }, { kind: 'asc' }, { name: 'asc' }],
    });
    return { lab: labRecordOf(labRow), links: linkRows.map(linkRecordOf), nodes: nodeRows };
  });

  return {
    format: LAB_FILE_FORMAT,
    version: LAB_FILE_VERSION,
    lab: { name: lab.name, description: lab.description, pool: lab.pool },
    links: links.map(specOf),
    nodes: nodes.map((row) => ({
      host: row.host.name,
      node: nodeRefOf(row),
      position: { x: row.positionX!, y: row.positionY! },
    })),
  };
}

export interface ImportLabOptions {
  /** Name for the new lab instead of the one in the file. */
  name?: string;
}

export interface ImportedLab {
  lab: LabRecord;
  links: LinkRecord[];
  /** Links whose id was taken in this database and that got a new one: old id to new id. */
  renamedLinks: Record<string, string>;
}

/**
 * Creates a lab from an exported file in one transaction: the lab, every link as pending, and a
 * history entry for each. The hosts must be registered under the names the file uses. Link ids
 * already taken here get new ones; a VNI or interface name already in use is a conflict.
 * Positions are set only on nodes that have none, so an import keeps an existing layout.
 */
export async function importLab(db: KokoDatabase, input: unknown, actorInput: ActorInput, options: ImportLabOptions = {}): Promise<ImportedLab> {
  const file = parseOrThrow(labFileSchema, input, 'lab file');
  const actor = parseOrThrow(actorSchema, actorInput, 'actor');
  const name = options.name === undefined ? file.lab.name : parseOrThrow(labNameSchema, options.name, 'lab name');

  try {
    return await db.write(async (transaction) => {
      const endpoints = file.links.flatMap((link) => endpointsOfSpec(link));
      const hostIds = await hostIdsByNameIn(transaction, [...endpoints, ...file.nodes]);
      const nodeIds = await ensureNodesIn(transaction, hostIds, [...endpoints, ...file.nodes]);
      await checkFreeIn(transaction, file.links, nodeIds);

      const renamedLinks = await renameTakenIdsIn(transaction, file.links);
      const links = file.links.map((link) => ({ ...link, id: renamedLinks[link.id] ?? link.id }));

      const lab = await createLabIn(transaction, { name, description: file.lab.description, pool: file.lab.pool }, actor, 'lab.import', `imported lab ${name} with ${links.length} link(s)`);
      await insertLinksIn(transaction, lab.id, links, nodeIds);

      const records = (await transaction.link.findMany({ where: { labId: lab.id }, include: LINK_INCLUDE, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map(linkRecordOf);
      const byId = new Map(records.map((record) => [record.id, record]));
      await transaction.historyEntry.createMany({
        data: links.map((link) => {
          const record = byId.get(link.id)!;
          return historyRow({
            actor,
            action: 'link.create',
            summary: `added ${describeLink(record)} by import`,
            labId: lab.id,
            labName: lab.name,
            linkId: link.id,
            before: null,
            after: { ...specOf(record), labId: lab.id, status: record.status, lastError: null },
            outcome: 'pending',
          });
        }),
      });

      for (const item of file.nodes) {
        const nodeId = nodeIds.get(nodeKeyText(item.host, item.node))!;
        await transaction.node.updateMany({ where: { id: nodeId, positionX: null }, data: { positionX: item.position.x, positionY: item.position.y } });
      }
      return { lab, links: links.map((link) => byId.get(link.id)!), renamedLinks };
    });
  } catch (error) {
    if (violatesUnique(error, ['name'])) throw new KokoError('conflict', `lab ${quote(name)} already exists; import under another name`, 'name');
    throw error;
  }
}

/** Rejects the import when one of its interface names or VNIs is held by a stored link. */
async function checkFreeIn(transaction: DbTransaction, links: LinkSpec[], nodeIds: Map<string, string>): Promise<void> {
  const ends = new Map<string, EndpointSpec>();
  for (const endpoint of links.flatMap((link) => endpointsOfSpec(link))) {
    ends.set(`${nodeIds.get(nodeKeyText(endpoint.host, endpoint.node))!}/${endpoint.ifname}`, endpoint);
  }

  for (const nodeIdSlice of slices([...new Set(nodeIds.values())])) {
    const stored = await transaction.linkEndpoint.findMany({
      where: { nodeId: { in: nodeIdSlice } },
      select: { nodeId: true, ifname: true, linkId: true, link: { select: { lab: { select: { name: true } } } } },
    });
    const taken = stored.find((row) => ends.has(`${row.nodeId}/${row.ifname}`));
    if (taken) {
      const endpoint = ends.get(`${taken.nodeId}/${taken.ifname}`)!;
      throw new KokoError(
        'conflict',
        `interface ${quote(taken.ifname)} in ${describeNode(endpoint.node)} on host ${quote(endpoint.host)} is already used by link ${taken.linkId} in lab ${quote(taken.link.lab.name)}; delete that link or change the file`,
        'ifname',
      );
    }
  }

  const vnis = links.flatMap((link) => (link.vni === undefined ? [] : [link.vni]));
  for (const vniSlice of slices(vnis)) {
    const held = await transaction.link.findFirst({ where: { vni: { in: vniSlice } }, select: { id: true, vni: true, lab: { select: { name: true } } } });
    if (held) {
      throw new KokoError('conflict', `VNI ${held.vni} is already used by link ${held.id} in lab ${quote(held.lab.name)}; delete that link or change the VNI in the file`, 'vni');
    }
  }
}

/** Gives a new id to every link whose id this database already has. */
async function renameTakenIdsIn(transaction: DbTransaction, links: LinkSpec[]): Promise<Record<string, string>> {
  const renamed: Record<string, string> = {};
  for (const idSlice of slices(links.map((link) => link.id))) {
    const rows = await transaction.link.findMany({ where: { id: { in: idSlice } }, select: { id: true } });
    for (const row of rows) renamed[row.id] = newLinkId();
  }
  return renamed;
}
