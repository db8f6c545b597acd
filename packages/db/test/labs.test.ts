import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KokoDatabase } from '../src/database';
import { listHistory } from '../src/history';
import { LAB_GROUP_RANGE } from '../src/allocate';
import { createLab, deleteLab, findLabByName, getLab, listLabs } from '../src/labs';
import { createLink, listLinks, markLinkFailed, markLinkUp } from '../src/links';
import { ALICE, BOB, openTempDatabase, twoHosts, vethDraft, vxlanDraft } from './helpers';

let db: KokoDatabase;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ db, cleanup } = await openTempDatabase());
  await twoHosts(db);
});
afterEach(async () => {
  await cleanup();
});

describe('labs', () => {
  it('create with defaults and distinct groups', async () => {
    const first = await createLab(db, { name: 'core lab', description: 'two routers' }, ALICE);
    const second = await createLab(db, { name: 'edge' }, ALICE);

    expect(first).toMatchObject({ name: 'core lab', description: 'two routers', pool: { ipv4: '192.0.2.0/24', ipv4Prefix: 30, ipv6: '2001:db8::/32', ipv6Prefix: 64 } });
    expect(first.group).toBe(LAB_GROUP_RANGE.min);
    expect(second.group).toBe(LAB_GROUP_RANGE.min + 1);
    expect((await getLab(db, first.id)).name).toBe('core lab');
    expect((await findLabByName(db, 'edge'))?.id).toBe(second.id);
  });

  it('reuse the group of a deleted lab', async () => {
    const first = await createLab(db, { name: 'a' }, ALICE);
    await createLab(db, { name: 'b' }, ALICE);
    await deleteLab(db, first.id, ALICE);
    expect((await createLab(db, { name: 'c' }, ALICE)).group).toBe(first.group);
  });

  it('reject a duplicate name', async () => {
    await createLab(db, { name: 'lab1' }, ALICE);
    await expect(createLab(db, { name: ' lab1 ' }, BOB)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/lab "lab1" already exists/) });
  });

  it.each([
    [{ name: '' }, /lab name is empty/],
    [{ name: 'x'.repeat(65) }, /is 65 characters long; use at most 64/],
    [{ name: 'tab\there' }, /contains a control character/],
    [{ name: 'p', pool: { ipv4: '192.0.2.1/24' } }, /has host bits set; write the range as 192\.0\.2\.0\/24/],
    [{ name: 'p', pool: { ipv4: '2001:db8::/32' } }, /IPv4 pool "2001:db8::\/32" is not an IPv4 range/],
    [{ name: 'p', pool: { ipv4Prefix: 29 } }, /IPv4 pair prefix \/29 is not offered; use \/30 or \/31/],
    [{ name: 'p', pool: { ipv6: '2001:db8::/120', ipv6Prefix: 64 } }, /smaller than one \/64 pair/],
  ])('reject invalid lab %#', async (input, message) => {
    await expect(createLab(db, input, ALICE)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(message) });
  });

  it('list counts links by status', async () => {
    const lab = await createLab(db, { name: 'lab1' }, ALICE);
    await createLab(db, { name: 'empty' }, ALICE);
    const one = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    const two = await createLink(db, { labId: lab.id, link: vethDraft('r3', 'r4') }, ALICE);
    await createLink(db, { labId: lab.id, link: vxlanDraft('r1', 'r9') }, ALICE);
    await markLinkUp(db, one.id, ALICE);
    await markLinkFailed(db, two.id, 'RTNETLINK answers: File exists', ALICE);

    const labs = await listLabs(db);
    expect(labs.map((item) => item.name)).toEqual(['empty', 'lab1']);
    expect(labs[0]).toMatchObject({ links: 0, linksByStatus: { pending: 0, up: 0, failed: 0, drifted: 0 } });
    expect(labs[1]).toMatchObject({ links: 3, linksByStatus: { pending: 1, up: 1, failed: 1, drifted: 0 } });
  });

  it('delete removes links and records each', async () => {
    const lab = await createLab(db, { name: 'lab1' }, ALICE);
    const other = await createLab(db, { name: 'other' }, ALICE);
    const veth = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    const vxlan = await createLink(db, { labId: lab.id, link: vxlanDraft('r1', 'r9') }, ALICE);
    const kept = await createLink(db, { labId: other.id, link: vethDraft('s1', 's2') }, ALICE);

    const deleted = await deleteLab(db, lab.id, BOB);
    expect(deleted.lab.name).toBe('lab1');
    expect(deleted.links.map((link) => link.id).sort()).toEqual([veth.id, vxlan.id].sort());
    expect((await listLinks(db)).map((link) => link.id)).toEqual([kept.id]);
    await expect(getLab(db, lab.id)).rejects.toMatchObject({ code: 'not-found' });

    const entries = await listHistory(db, { labId: lab.id, actorName: 'Bob' });
    expect(entries.map((entry) => entry.action).sort()).toEqual(['lab.delete', 'link.delete', 'link.delete']);
    expect(entries.find((entry) => entry.action === 'lab.delete')).toMatchObject({ labName: 'lab1', before: { name: 'lab1', links: expect.arrayContaining([veth.id, vxlan.id]) }, after: null });

    // The interface names and the VNI are free again.
    const again = await createLab(db, { name: 'lab1' }, ALICE);
    const reused = await createLink(db, { labId: again.id, link: { ...vxlanDraft('r1', 'r9'), vni: vxlan.vni } }, ALICE);
    expect(reused.vni).toBe(vxlan.vni);
    await createLink(db, { labId: again.id, link: vethDraft('r1', 'r2') }, ALICE);
  });

  it('delete of a missing lab is not-found', async () => {
    await expect(deleteLab(db, 'no-such-lab', ALICE)).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/lab "no-such-lab" does not exist/) });
  });
});
