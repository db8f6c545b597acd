import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type KokoDatabase } from '../src/database';
import { listHistory } from '../src/history';
import type { HostRecord } from '../src/hosts';
import type { LabRecord } from '../src/labs';
import { createLink, createLinks, deleteLink, getLink, listLinks, markLinkDrifted, markLinkFailed, markLinkPending, markLinkUp, setLinkStatus, setLinkStatuses } from '../src/links';
import { listNodes } from '../src/nodes';
import { ALICE, BOB, makeLab, openTempDatabase, twoHosts, vethDraft, vxlanDraft } from './helpers';

let db: KokoDatabase;
let url: string;
let cleanup: () => Promise<void>;
let h1: HostRecord;
let h2: HostRecord;
let lab: LabRecord;

beforeEach(async () => {
  ({ db, url, cleanup } = await openTempDatabase());
  [h1, h2] = await twoHosts(db);
  lab = await makeLab(db);
});
afterEach(async () => {
  await cleanup();
});

describe('createLinks', () => {
  it('stores a batch with VNIs in order', async () => {
    const explicit = await createLink(db, { labId: lab.id, link: { ...vxlanDraft('r0', 'r9', 'vx0'), vni: 2 } }, ALICE);
    const links = await createLinks(
      db,
      { labId: lab.id, links: [vxlanDraft('r1', 'r9', 'vx1'), vethDraft('r1', 'r2'), { ...vxlanDraft('r2', 'r9', 'vx2'), vni: 3 }, vxlanDraft('r3', 'r9', 'vx3')] },
      ALICE,
    );

    expect(explicit.vni).toBe(2);
    expect(links.map((link) => [link.kind, link.vni ?? null, link.status])).toEqual([
      ['vxlan', 1, 'pending'],
      ['veth', null, 'pending'],
      ['vxlan', 3, 'pending'],
      ['vxlan', 4, 'pending'],
    ]);
    expect(links[1]!.a).toMatchObject({ host: 'h1', node: { kind: 'docker', container: 'r1' }, ifname: 'eth1' });
    expect(await listLinks(db, { labId: lab.id })).toHaveLength(5);
    const entries = await listHistory(db, { action: 'link.create' });
    expect(entries.filter((entry) => links.some((link) => link.id === entry.linkId)).map((entry) => entry.summary)).toHaveLength(4);
    expect(entries.find((entry) => entry.linkId === links[3]!.id)?.summary).toMatch(/^added vxlan link .* \(VNI 4\)$/);
  });

  it('stores nothing when one link clashes', async () => {
    const holder = await createLink(db, { labId: lab.id, link: vethDraft('r5', 'r6') }, ALICE);
    await expect(createLinks(db, { labId: lab.id, links: [vethDraft('r1', 'r2'), vethDraft('r3', 'r4'), vethDraft('r7', 'r5', 'eth2', 'eth1')] }, BOB)).rejects.toMatchObject({
      code: 'conflict',
      field: 'links.2.ifname',
      message: `link 3 of 3: interface "eth1" in container "r5" on host "h1" is already used by link ${holder.id} in lab "lab1"; pick another interface name or delete that link first`,
    });
    expect(await listLinks(db)).toHaveLength(1);
    expect(await listHistory(db, { actorName: 'Bob' })).toHaveLength(0);
  });

  it('rejects repeats within the batch', async () => {
    await expect(createLinks(db, { labId: lab.id, links: [vethDraft('r1', 'r2'), vethDraft('r3', 'r1')] }, ALICE)).rejects.toMatchObject({
      code: 'conflict',
      field: 'links.1.ifname',
      message: 'link 2 of 2: interface "eth1" in container "r1" on host "h1" is already in link 1 of the batch; give each link its own',
    });
    await expect(createLinks(db, { labId: lab.id, links: [{ ...vxlanDraft('r1', 'r2'), vni: 7 }, { ...vxlanDraft('r3', 'r4'), vni: 7 }] }, ALICE)).rejects.toMatchObject({
      field: 'links.1.vni',
      message: expect.stringMatching(/^link 2 of 2: VNI 7 is already in link 1/),
    });
    await expect(createLinks(db, { labId: lab.id, links: [vethDraft('r1', 'r2'), vethDraft('r8', 'r9', 'bad name')] }, ALICE)).rejects.toMatchObject({
      code: 'invalid',
      field: expect.stringMatching(/^links\.1\./),
    });
    expect(await listLinks(db)).toHaveLength(0);
  });

  it('rejects a VNI range too small for the batch', async () => {
    await expect(createLinks(db, { labId: lab.id, links: [vxlanDraft('r1', 'r2'), vxlanDraft('r3', 'r4')] }, ALICE, { vniRange: { min: 10, max: 10 } })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/only 1 VNIs from 10 to 10 are free, and 2 links need one/),
    });
  });
});

describe('setLinkStatuses', () => {
  it('records many statuses at once', async () => {
    const [first, second] = await createLinks(db, { labId: lab.id, links: [vethDraft('r1', 'r2'), vethDraft('r3', 'r4')] }, ALICE);
    const records = await setLinkStatuses(db, [{ linkId: first!.id, change: { status: 'up' } }, { linkId: second!.id, change: { status: 'failed', error: 'RTNETLINK answers: File exists' } }], ALICE);

    expect(records.map((record) => [record.status, record.lastError])).toEqual([
      ['up', null],
      ['failed', 'RTNETLINK answers: File exists'],
    ]);
    expect((await listHistory(db, { action: 'link.status' })).map((entry) => entry.outcome).sort()).toEqual(['failed', 'ok']);
  });

  it('records nothing when one link is unknown', async () => {
    const [first] = await createLinks(db, { labId: lab.id, links: [vethDraft('r1', 'r2')] }, ALICE);
    await expect(setLinkStatuses(db, [{ linkId: first!.id, change: { status: 'up' } }, { linkId: 'nosuchlink', change: { status: 'up' } }], ALICE)).rejects.toMatchObject({ code: 'not-found' });
    expect((await getLink(db, first!.id)).status).toBe('pending');
  });
});

describe('createLink', () => {
  it('stores a veth as pending', async () => {
    const draft = vethDraft('r1', 'r2');
    draft.a.addresses = ['192.0.2.1/30'] as never;
    const link = await createLink(db, { labId: lab.id, link: { ...draft, mtu: 9000 } }, ALICE);

    expect(link.id).toMatch(/^[0-9a-f]{10}$/);
    expect(link).toMatchObject({
      labId: lab.id,
      kind: 'veth',
      status: 'pending',
      lastError: null,
      mtu: 9000,
      a: { host: 'h1', hostId: h1.id, node: { kind: 'docker', container: 'r1' }, ifname: 'eth1', addresses: ['192.0.2.1/30'] },
      b: { host: 'h1', hostId: h1.id, node: { kind: 'docker', container: 'r2' }, ifname: 'eth1', addresses: [] },
    });
    expect(link.vni).toBeUndefined();
    expect(await getLink(db, link.id)).toEqual(link);

    const nodes = await listNodes(db);
    expect(nodes.map((node) => node.node)).toEqual([
      { kind: 'docker', container: 'r1' },
      { kind: 'docker', container: 'r2' },
    ]);
    expect(nodes.every((node) => !node.present)).toBe(true);
  });

  it('records the creation in history', async () => {
    const link = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    const [entry] = await listHistory(db, { linkId: link.id });
    expect(entry).toMatchObject({
      action: 'link.create',
      actor: { name: 'Alice', sessionId: 'session-alice' },
      labId: lab.id,
      labName: 'lab1',
      linkId: link.id,
      before: null,
      after: { id: link.id, kind: 'veth', status: 'pending', a: { host: 'h1', ifname: 'eth1' } },
      outcome: 'pending',
    });
    expect(entry!.summary).toContain(link.id);
  });

  it('gives a cross-host vxlan a VNI and the default port', async () => {
    const link = await createLink(db, { labId: lab.id, link: vxlanDraft('r1', 'r9') }, ALICE);
    expect(link).toMatchObject({ kind: 'vxlan', vni: 1, port: 4789, a: { host: 'h1', parent: 'eth0' }, b: { host: 'h2', hostId: h2.id, parent: 'eth0' } });
  });

  it('keeps a given VNI, port and link id', async () => {
    const link = await createLink(db, { labId: lab.id, link: { ...vxlanDraft('r1', 'r9'), id: 'my-link-1', vni: 5000, port: 8472 } }, ALICE);
    expect(link).toMatchObject({ id: 'my-link-1', vni: 5000, port: 8472 });
  });

  it('stores one-ended vxlan, vlan and macvlan links', async () => {
    const endpoint = (ifname: string) => ({ host: 'h2', node: { kind: 'netns' as const, name: 'edge' }, ifname, parent: 'eth0' });
    const vxlan = await createLink(db, { labId: lab.id, link: { kind: 'vxlan', a: endpoint('vx9'), remote: '198.51.100.7', vni: 77 } }, ALICE);
    const vlan = await createLink(db, { labId: lab.id, link: { kind: 'vlan', a: endpoint('eth0.10'), vlanId: 10 } }, ALICE);
    const macvlan = await createLink(db, { labId: lab.id, link: { kind: 'macvlan', a: endpoint('mv0'), macvlanMode: 'bridge' } }, ALICE);
    const macvlanDefault = await createLink(db, { labId: lab.id, link: { kind: 'macvlan', a: endpoint('mv1') } }, ALICE);

    expect(vxlan).toMatchObject({ remote: '198.51.100.7', vni: 77, port: 4789 });
    expect(vxlan.b).toBeUndefined();
    expect(vlan).toMatchObject({ vlanId: 10, a: { parent: 'eth0', ifname: 'eth0.10' } });
    expect(macvlan.macvlanMode).toBe('bridge');
    expect(macvlanDefault.macvlanMode).toBe('default');
  });

  it('stores a mirror on an endpoint', async () => {
    const draft = vethDraft('r1', 'r2');
    const link = await createLink(db, { labId: lab.id, link: { ...draft, a: { ...draft.a, mirror: { direction: 'both', source: 'eth0' } } } }, ALICE);
    expect((await getLink(db, link.id)).a.mirror).toEqual({ direction: 'both', source: 'eth0' });
  });

  it.each([
    ['veth across hosts', { ...vethDraft('r1', 'r2'), b: { ...vethDraft('r1', 'r2').b, host: 'h2' } }, /ends are on "h1" and "h2"; use a vxlan link between hosts/],
    ['veth with one end', { kind: 'veth', a: vethDraft('r1', 'r2').a }, /a veth link needs two endpoints/],
    ['veth on one interface', vethDraft('r1', 'r1'), /both ends of the veth are "eth1" in the same node/],
    ['veth with a VNI', { ...vethDraft('r1', 'r2'), vni: 10 }, /vni applies to vxlan links only/],
    ['vxlan on one host', { ...vxlanDraft('r1', 'r2'), b: { ...vxlanDraft('r1', 'r2').b, host: 'h1' } }, /both ends of the vxlan are on host "h1"; join nodes on one host with a veth/],
    ['vxlan without parent', { ...vxlanDraft('r1', 'r2'), a: { ...vxlanDraft('r1', 'r2').a, parent: undefined } }, /needs the parent interface on host "h1"/],
    ['vxlan without remote or b', { kind: 'vxlan', a: vxlanDraft('r1', 'r2').a }, /needs either a second endpoint/],
    ['vxlan with remote and b', { ...vxlanDraft('r1', 'r2'), remote: '192.0.2.9' }, /remove remote/],
    ['VNI out of range', { ...vxlanDraft('r1', 'r2'), vni: 16_777_216 }, /VNI 16777216 is out of range/],
    ['vlan without id', { kind: 'vlan', a: { ...vxlanDraft('r1', 'r2').a } }, /a vlan link needs a VLAN id/],
    ['vlan with two ends', { ...vxlanDraft('r1', 'r2'), kind: 'vlan', vlanId: 5 }, /a vlan link has one end; remove the second endpoint/],
    ['interface name with a newline', vethDraft('r1', 'r2', 'eth1\nrm'), /contains a newline/],
    ['bad address', { ...vethDraft('r1', 'r2'), a: { ...vethDraft('r1', 'r2').a, addresses: ['10.0.0.300/24'] } }, /is not an IPv4 or IPv6 address/],
    ['unknown kind', { ...vethDraft('r1', 'r2'), kind: 'bridge' }, /link kind "bridge" is invalid/],
  ])('rejects %s', async (_name, draft, message) => {
    await expect(createLink(db, { labId: lab.id, link: draft as never }, ALICE)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(message) });
    expect(await listLinks(db)).toEqual([]);
  });

  it('rejects an unregistered host and a missing lab', async () => {
    const draft = vxlanDraft('r1', 'r2');
    await expect(createLink(db, { labId: lab.id, link: { ...draft, b: { ...draft.b, host: 'h3' } } }, ALICE)).rejects.toMatchObject({
      code: 'not-found',
      message: 'host "h3" is not registered; register its agent first',
    });
    await expect(createLink(db, { labId: 'no-such-lab', link: vethDraft('r1', 'r2') }, ALICE)).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/lab "no-such-lab" does not exist/) });
    expect(await listNodes(db)).toEqual([]);
  });
});

describe('interface name conflicts', () => {
  const expectedMessage = (linkId: string) =>
    `interface "eth1" in container "r1" on host "h1" is already used by link ${linkId} in lab "lab1"; pick another interface name or delete that link first`;

  it('second link on a taken interface is a conflict', async () => {
    const first = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    await expect(createLink(db, { labId: lab.id, link: vethDraft('r1', 'r3') }, BOB)).rejects.toMatchObject({ code: 'conflict', message: expectedMessage(first.id) });
    // The same name in another node, or another name in the same node, is fine.
    await createLink(db, { labId: lab.id, link: vethDraft('r3', 'r4') }, BOB);
    await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r5', 'eth2', 'eth1') }, BOB);
    expect(await listLinks(db)).toHaveLength(3);
    expect(await listHistory(db, { actorName: 'Bob', action: 'link.create' })).toHaveLength(2);
  });

  it('the same name on another host is fine', async () => {
    await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    const draft = vethDraft('r1', 'r2');
    const other = await createLink(db, { labId: lab.id, link: { ...draft, a: { ...draft.a, host: 'h2' }, b: { ...draft.b, host: 'h2' } } }, ALICE);
    expect(other.a.hostId).toBe(h2.id);
  });

  it('two concurrent calls on one handle: one wins', async () => {
    const results = await Promise.allSettled([
      createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE),
      createLink(db, { labId: lab.id, link: vethDraft('r1', 'r3') }, BOB),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ code: 'conflict', message: expectedMessage(won[0]!.value.id) });
    expect(await listLinks(db)).toHaveLength(1);
  });

  it('two concurrent calls on two connections: one wins', async () => {
    const second = await openDatabase({ url });
    try {
      const results = await Promise.allSettled([
        createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE),
        createLink(second, { labId: lab.id, link: vethDraft('r1', 'r3') }, BOB),
      ]);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result) => result.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost[0]?.reason).toMatchObject({ code: 'conflict', message: expectedMessage(won[0]!.value.id) });
    } finally {
      await second.close();
    }
    expect(await listLinks(db)).toHaveLength(1);
    expect(await listHistory(db, { action: 'link.create' })).toHaveLength(1);
  });

  it('two concurrent processes: one wins', async () => {
    const fixture = path.join(import.meta.dirname, 'fixtures', 'create-link-process.ts');
    const start = (draft: object) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, url, lab.id, JSON.stringify(draft)], { stdio: ['pipe', 'pipe', 'inherit'] });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const ready = new Promise<void>((resolve) => child.stdout.on('data', () => output.includes('ready\n') && resolve()));
      const done = once(child, 'exit').then(() => JSON.parse(output.split('\n').filter(Boolean).at(-1)!) as { ok: boolean; code?: string; message?: string; id?: string });
      return { child, ready, done };
    };

    const children = [start(vethDraft('r1', 'r2')), start(vethDraft('r1', 'r3'))];
    try {
      await Promise.all(children.map((child) => child.ready));
      for (const { child } of children) child.stdin.write('go\n');
      const outcomes = await Promise.all(children.map((child) => child.done));

      const won = outcomes.filter((outcome) => outcome.ok);
      const lost = outcomes.filter((outcome) => !outcome.ok);
      expect(won).toHaveLength(1);
      expect(lost).toEqual([{ ok: false, code: 'conflict', message: expectedMessage(won[0]!.id!) }]);
    } finally {
      for (const { child } of children) if (child.exitCode === null) child.kill();
    }
    expect((await listLinks(db)).map((link) => link.id)).toEqual([expect.any(String)]);
  });

  it('the unique index rejects a write that skips createLink', async () => {
    const first = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    const nodeId = first.a.nodeId;
    await expect(
      db.client.link.create({ data: { id: 'raw-link', labId: lab.id, kind: 'veth', endpoints: { create: [{ side: 'a', nodeId, ifname: 'eth1' }] } } }),
    ).rejects.toMatchObject({ code: 'P2002' });
  });
});

describe('link status', () => {
  it('moves through up, failed, drifted and pending with history', async () => {
    const link = await createLink(db, { labId: lab.id, link: vxlanDraft('r1', 'r9') }, ALICE);

    const up = await markLinkUp(db, link.id, ALICE);
    expect(up).toMatchObject({ status: 'up', lastError: null });
    expect(up.statusChangedAt.getTime()).toBeGreaterThanOrEqual(link.statusChangedAt.getTime());

    const drifted = await markLinkDrifted(db, link.id, 'vx1 is missing in container "r9" on h2', { name: 'koko' });
    expect(drifted).toMatchObject({ status: 'drifted', lastError: 'vx1 is missing in container "r9" on h2' });

    const pending = await markLinkPending(db, link.id, BOB);
    expect(pending).toMatchObject({ status: 'pending', lastError: null });

    const failed = await markLinkFailed(db, link.id, 'RTNETLINK answers: File exists', BOB);
    expect(failed).toMatchObject({ status: 'failed', lastError: 'RTNETLINK answers: File exists' });

    const entries = (await listHistory(db, { linkId: link.id })).reverse();
    expect(entries.map((entry) => [entry.action, entry.outcome, entry.actor.name])).toEqual([
      ['link.create', 'pending', 'Alice'],
      ['link.status', 'ok', 'Alice'],
      ['link.status', 'failed', 'koko'],
      ['link.status', 'pending', 'Bob'],
      ['link.status', 'failed', 'Bob'],
    ]);
    expect(entries[4]).toMatchObject({ error: 'RTNETLINK answers: File exists', before: { status: 'pending' }, after: { status: 'failed', vni: link.vni } });
  });

  it('repeating the same status adds no entry', async () => {
    const link = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    await markLinkDrifted(db, link.id, 'eth1 is missing in container "r2"', ALICE);
    const again = await markLinkDrifted(db, link.id, 'eth1 is missing in container "r2"', ALICE);
    expect(again.status).toBe('drifted');
    await markLinkDrifted(db, link.id, 'eth1 has the wrong address in container "r2"', ALICE);
    await markLinkPending(db, link.id, ALICE);
    await markLinkPending(db, link.id, ALICE);

    const errors = (await listHistory(db, { linkId: link.id, action: 'link.status' })).map((entry) => entry.error);
    expect(errors).toEqual([null, 'eth1 has the wrong address in container "r2"', 'eth1 is missing in container "r2"']);
  });

  it('failed needs an error', async () => {
    const link = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    await expect(setLinkStatus(db, link.id, { status: 'failed' }, ALICE)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/needs the error that explains it/) });
    await expect(setLinkStatus(db, link.id, { status: 'gone' as never }, ALICE)).rejects.toMatchObject({ code: 'invalid' });
    expect((await getLink(db, link.id)).status).toBe('pending');
  });

  it('unknown link is not-found', async () => {
    await expect(markLinkUp(db, 'nosuchlink', ALICE)).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/link "nosuchlink" does not exist/) });
  });
});

describe('deleteLink and listLinks', () => {
  it('delete frees the interface names and records the link', async () => {
    const link = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    const deleted = await deleteLink(db, link.id, BOB);
    expect(deleted.id).toBe(link.id);
    await expect(getLink(db, link.id)).rejects.toMatchObject({ code: 'not-found' });

    const [entry] = await listHistory(db, { action: 'link.delete' });
    expect(entry).toMatchObject({ linkId: link.id, actor: { name: 'Bob' }, before: { id: link.id, status: 'pending' }, after: null, outcome: 'ok' });
    await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    await expect(deleteLink(db, link.id, BOB)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('list filters by lab, host and status', async () => {
    const other = await makeLab(db, 'lab2');
    const veth = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    const vxlan = await createLink(db, { labId: lab.id, link: vxlanDraft('r1', 'r9') }, ALICE);
    const onH2 = await createLink(db, { labId: other.id, link: { kind: 'macvlan', a: { host: 'h2', node: { kind: 'netns', name: 'n' }, ifname: 'mv0', parent: 'eth0' } } }, ALICE);
    await markLinkUp(db, vxlan.id, ALICE);

    const ids = (links: { id: string }[]) => links.map((link) => link.id).sort();
    expect(ids(await listLinks(db, { labId: lab.id }))).toEqual([veth.id, vxlan.id].sort());
    expect(ids(await listLinks(db, { labId: other.id }))).toEqual([onH2.id]);
    expect(ids(await listLinks(db, { hostId: h1.id }))).toEqual([veth.id, vxlan.id].sort());
    expect(ids(await listLinks(db, { hostId: h2.id }))).toEqual([vxlan.id, onH2.id].sort());
    expect(ids(await listLinks(db, { status: 'up' }))).toEqual([vxlan.id]);
    expect(ids(await listLinks(db, { labId: lab.id, status: 'pending' }))).toEqual([veth.id]);
    expect(await listLinks(db)).toHaveLength(3);
  });
});
