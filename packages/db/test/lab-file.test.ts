import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KokoDatabase } from '../src/database';
import { listHistory } from '../src/history';
import { registerHost } from '../src/hosts';
import { exportLab, importLab, labFileSchema, type LabFile } from '../src/lab-file';
import { createLab, deleteLab, listLabs, type LabRecord } from '../src/labs';
import { createLink, listLinks, markLinkUp } from '../src/links';
import { findNode, saveNodePosition } from '../src/nodes';
import { ALICE, BOB, openTempDatabase, twoHosts, vethDraft, vxlanDraft } from './helpers';

let db: KokoDatabase;
let cleanup: () => Promise<void>;
let lab: LabRecord;

beforeEach(async () => {
  ({ db, cleanup } = await openTempDatabase());
  await twoHosts(db);
  lab = await createLab(db, { name: 'lab1', description: 'two routers and a switch', pool: { ipv4: '198.51.100.0/24', ipv4Prefix: 31 } }, ALICE);
});
afterEach(async () => {
  await cleanup();
});

/** Fills the lab with one link of each kind and places two nodes on the canvas. */
async function fillLab(): Promise<void> {
  const veth = vethDraft('r1', 'r2');
  const up = await createLink(db, { labId: lab.id, link: { ...veth, mtu: 1400, a: { ...veth.a, addresses: ['198.51.100.0/31', '2001:db8::/127'], mirror: { direction: 'ingress', source: 'eth0' } }, b: { ...veth.b, addresses: ['198.51.100.1/31'] } } }, ALICE);
  await markLinkUp(db, up.id, ALICE);
  await createLink(db, { labId: lab.id, link: { ...vxlanDraft('r1', 'r9'), port: 8472 } }, ALICE);
  await createLink(db, { labId: lab.id, link: { kind: 'vxlan', a: { host: 'h2', node: { kind: 'netns', name: 'edge' }, ifname: 'vx9', parent: 'eth0' }, remote: '203.0.113.9', vni: 900 } }, ALICE);
  await createLink(db, { labId: lab.id, link: { kind: 'vlan', a: { host: 'h2', node: { kind: 'netns', name: 'edge' }, ifname: 'eth0.10', parent: 'eth0' }, vlanId: 10 } }, ALICE);
  await createLink(db, { labId: lab.id, link: { kind: 'macvlan', a: { host: 'h1', node: { kind: 'current' }, ifname: 'mv0', parent: 'eth0' }, macvlanMode: 'private' } }, ALICE);
  await saveNodePosition(db, (await findNode(db, 'h1', { kind: 'docker', container: 'r1' }))!.id, { x: 10, y: 20 }, ALICE);
  await saveNodePosition(db, (await findNode(db, 'h2', { kind: 'netns', name: 'edge' }))!.id, { x: -5.5, y: 300 }, ALICE);
}

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((left, right) => left.id.localeCompare(right.id));

describe('lab files', () => {
  it('export and import round trip into a fresh database', async () => {
    await fillLab();
    const exported = await exportLab(db, lab.id);
    const text = JSON.stringify(exported);

    expect(exported).toMatchObject({ format: 'koko-lab', version: 1, lab: { name: 'lab1', description: 'two routers and a switch', pool: { ipv4: '198.51.100.0/24', ipv4Prefix: 31, ipv6: '2001:db8::/32', ipv6Prefix: 64 } } });
    expect(exported.links).toHaveLength(5);
    expect(exported.nodes).toEqual([
      { host: 'h1', node: { kind: 'docker', container: 'r1' }, position: { x: 10, y: 20 } },
      { host: 'h2', node: { kind: 'netns', name: 'edge' }, position: { x: -5.5, y: 300 } },
    ]);
    expect(text).not.toMatch(/token/);

    const fresh = await openTempDatabase();
    try {
      await twoHosts(fresh.db);
      const imported = await importLab(fresh.db, JSON.parse(text), BOB);
      expect(imported.renamedLinks).toEqual({});
      expect(imported.lab).toMatchObject({ name: 'lab1', description: 'two routers and a switch', pool: exported.lab.pool });
      expect(imported.links.every((link) => link.status === 'pending')).toBe(true);

      const again = await exportLab(fresh.db, imported.lab.id);
      expect(byId(again.links)).toEqual(byId(exported.links));
      expect(again.nodes).toEqual(exported.nodes);
      expect(again.lab).toEqual(exported.lab);

      const entries = await listHistory(fresh.db, { labId: imported.lab.id });
      expect(entries.filter((entry) => entry.action === 'link.create')).toHaveLength(5);
      expect(entries.filter((entry) => entry.action === 'lab.import')).toHaveLength(1);
      expect(entries.every((entry) => entry.actor.name === 'Bob')).toBe(true);
    } finally {
      await fresh.cleanup();
    }
  });

  it('import keeps an existing layout', async () => {
    await fillLab();
    const exported = await exportLab(db, lab.id);
    await deleteLab(db, lab.id, ALICE);
    const r1 = (await findNode(db, 'h1', { kind: 'docker', container: 'r1' }))!;
    await saveNodePosition(db, r1.id, { x: 99, y: 99 }, ALICE);

    await importLab(db, exported, ALICE);
    expect((await findNode(db, 'h1', { kind: 'docker', container: 'r1' }))?.position).toEqual({ x: 99, y: 99 });
  });

  it('import renames link ids that are taken', async () => {
    await createLink(db, { labId: lab.id, link: { ...vethDraft('r1', 'r2'), id: 'shared-id' } }, ALICE);
    const exported = await exportLab(db, lab.id);
    const file: LabFile = { ...exported, links: exported.links.map((link) => ({ ...link, a: { ...link.a, ifname: 'eth7' }, b: { ...link.b!, ifname: 'eth7' } })) };

    const imported = await importLab(db, file, ALICE, { name: 'copy' });
    const newId = imported.renamedLinks['shared-id'];
    expect(newId).toMatch(/^[0-9a-f]{10}$/);
    expect(imported.links.map((link) => link.id)).toEqual([newId]);
    expect((await listLinks(db)).map((link) => link.id).sort()).toEqual([newId, 'shared-id'].sort());
  });

  it('import into the same database clashes on interfaces', async () => {
    await fillLab();
    const exported = await exportLab(db, lab.id);
    await expect(importLab(db, exported, ALICE, { name: 'copy' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^interface "[^"]+" in .* on host "h\d" is already used by link [0-9a-f]{10} in lab "lab1"; delete that link or change the file$/),
    });
    await expect(importLab(db, exported, ALICE)).rejects.toMatchObject({ code: 'conflict' });
    expect((await listLabs(db)).map((item) => item.name)).toEqual(['lab1']);
  });

  it('import clashes on a VNI in use', async () => {
    const held = await createLink(db, { labId: lab.id, link: vxlanDraft('r1', 'r9') }, ALICE);
    const exported = await exportLab(db, lab.id);
    const file = { ...exported, links: exported.links.map((link) => ({ ...link, a: { ...link.a, ifname: 'vx2' }, b: { ...link.b!, ifname: 'vx2' } })) };
    await expect(importLab(db, file, ALICE, { name: 'copy' })).rejects.toMatchObject({
      code: 'conflict',
      message: `VNI ${held.vni} is already used by link ${held.id} in lab "lab1"; delete that link or change the VNI in the file`,
    });
  });

  it('import needs the hosts registered', async () => {
    await fillLab();
    const exported = await exportLab(db, lab.id);
    const fresh = await openTempDatabase();
    try {
      await registerHost(fresh.db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 't' }, ALICE);
      await expect(importLab(fresh.db, exported, ALICE)).rejects.toMatchObject({ code: 'not-found', message: 'host "h2" is not registered; register its agent first' });
      expect(await listLabs(fresh.db)).toEqual([]);
      expect(await listHistory(fresh.db, { action: 'lab.import' })).toEqual([]);
    } finally {
      await fresh.cleanup();
    }
  });

  it.each([
    ['wrong format', { format: 'other' }, /not a koko lab file/],
    ['newer version', { version: 2 }, /unsupported lab file version/],
    ['bad interface name', { links: [{ id: 'l1', ...vethDraft('r1', 'r2', 'e/1') }] }, /^lab file at links\.0\.a\.ifname: interface name "e\/1" contains "\/"/],
    ['vxlan without VNI', { links: [{ id: 'l1', ...vxlanDraft('r1', 'r2') }] }, /a stored vxlan link has a VNI/],
    ['duplicate link id', { links: [{ id: 'l1', ...vethDraft('r1', 'r2') }, { id: 'l1', ...vethDraft('r3', 'r4') }] }, /link id "l1" appears twice/],
    ['duplicate interface', { links: [{ id: 'l1', ...vethDraft('r1', 'r2') }, { id: 'l2', ...vethDraft('r1', 'r3') }] }, /interface "eth1" in container "r1" on host "h1" is used by links l1 and l2/],
    ['duplicate VNI', { links: [{ id: 'l1', ...vxlanDraft('r1', 'r2'), vni: 5 }, { id: 'l2', ...vxlanDraft('r3', 'r4'), vni: 5 }] }, /VNI 5 is used by links l1 and l2/],
    ['bad pool', { lab: { name: 'x', pool: { ipv4: '10.0.0.0/33' } } }, /IPv4 pool: address "10\.0\.0\.0\/33" has prefix length 33/],
  ])('import rejects %s', async (_name, change, message) => {
    const file = { format: 'koko-lab', version: 1, lab: { name: 'imported', pool: {} }, links: [], ...change };
    await expect(importLab(db, file, ALICE)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(message) });
    expect((await listLabs(db)).map((item) => item.name)).toEqual(['lab1']);
  });

  it('import of an empty lab with defaults', async () => {
    const imported = await importLab(db, { format: 'koko-lab', version: 1, lab: { name: 'blank', pool: {} }, links: [] }, ALICE);
    expect(imported.lab.pool).toEqual({ ipv4: '192.0.2.0/24', ipv4Prefix: 30, ipv6: '2001:db8::/32', ipv6Prefix: 64 });
    expect(imported.links).toEqual([]);
    await expect(importLab(db, { format: 'koko-lab', version: 1, lab: { name: 'blank', pool: {} }, links: [] }, ALICE)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/lab "blank" already exists/),
    });
  });

  it('imports 1000 links in one transaction', async () => {
    const links = Array.from({ length: 1000 }, (_, index) => ({ id: `bulk-${index}`, ...vethDraft(`b${index}`, `c${index}`) }));
    const file = labFileSchema.parse({ format: 'koko-lab', version: 1, lab: { name: 'bulk', pool: {} }, links });

    const started = performance.now();
    const imported = await importLab(db, file, ALICE);
    const elapsed = performance.now() - started;

    expect(imported.links).toHaveLength(1000);
    expect(await listLinks(db, { labId: imported.lab.id })).toHaveLength(1000);
    expect(await listHistory(db, { labId: imported.lab.id, action: 'link.create', limit: 1000 })).toHaveLength(1000);
    console.log(`imported 1000 links (2000 nodes, 2000 endpoints, 1001 history entries) in ${elapsed.toFixed(0)} ms`);
  });
});
