import { ipLinks, Lab, linkNames } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/server/controller';
import type { LinkView } from '../../src/server/views';
import { addHost, callerFor, nodeIn, openController, startAgentProcess, tempDir, type AgentProcess, type Caller } from './helpers';

// One host (an agent inside netns h) and three netns nodes. Three people change one lab; the
// tests read the history back and restore the lab to an earlier point.

const lab = new Lab('kct');
const dir = tempDir('history');
let agent: AgentProcess;
let controller: Controller;
let alice: Caller;
let bob: Caller;
let carol: Caller;
let labId: string;
let n1: string;
let n2: string;
let n3: string;
let first: LinkView;
let second: LinkView;
let third: LinkView;
/** The last history entry before `first` was deleted: the point the lab is restored to. */
let restorePoint: number;
/** Time between the delete of `first` and the creation of `third`. */
let beforeThird: Date;

async function node(name: string): Promise<string> {
  const hostId = (await alice.hosts.list())[0]!.id;
  return nodeIn(await alice.topology.get({}), hostId, 'netns', name).id;
}

function tagOf(links: Awaited<ReturnType<typeof ipLinks>>, ifname: string): string | undefined {
  return links.find((entry) => entry.ifname === ifname)?.ifalias;
}

beforeAll(async () => {
  const h = await lab.netns('h');
  [n1, n2, n3] = await Promise.all([lab.netns('n1'), lab.netns('n2'), lab.netns('n3')]);
  agent = await startAgentProcess({ netns: h });
  controller = await openController(`${dir.path}/koko.db`);
  [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => callerFor(controller, name)) as [Caller, Caller, Caller];
  await addHost(alice, 'h', agent);
  labId = (await alice.labs.create({ name: 'kct restore' })).id;

  const [id1, id2, id3] = await Promise.all([node(n1), node(n2), node(n3)]);
  first = await alice.links.connect({ labId, a: { nodeId: id1, ifname: 'e1', addresses: ['10.211.0.1/30'] }, b: { nodeId: id2, ifname: 'e1', addresses: ['10.211.0.2/30'] } });
  second = await bob.links.connect({ labId, a: { nodeId: id2, ifname: 'e2', addresses: ['10.212.0.1/30'] }, b: { nodeId: id3, ifname: 'e2', addresses: ['10.212.0.2/30'] } });
  restorePoint = (await alice.history.list({ labId, limit: 1 }))[0]!.id;
  await alice.links.delete({ id: first.id });
  beforeThird = new Date();
  third = await carol.links.connect({ labId, a: { nodeId: id1, ifname: 'e3', addresses: ['10.213.0.1/30'] }, b: { nodeId: id3, ifname: 'e3', addresses: ['10.213.0.2/30'] } });
});

afterAll(async () => {
  await controller?.close();
  await agent?.stop();
  await lab.cleanup();
  dir.remove();
});

describe('history', () => {
  it('records who and outcome', async () => {
    const entries = (await alice.history.list({ labId })).reverse();
    const outline = entries.filter((entry) => entry.action !== 'agent.call').map((entry) => `${entry.actor.name} ${entry.action} ${entry.outcome}`);
    expect(outline).toEqual([
      'alice lab.create ok',
      'alice link.create pending',
      'alice link.status ok',
      'bob link.create pending',
      'bob link.status ok',
      'alice link.delete ok',
      'carol link.create pending',
      'carol link.status ok',
    ]);
    expect(entries.filter((entry) => entry.action === 'agent.call').map((entry) => entry.actor.name)).toEqual(['alice', 'bob', 'alice', 'carol']);
  });

  it('filters by person and time', async () => {
    const byBob = await alice.history.list({ actor: 'bob' });
    expect(byBob.length).toBeGreaterThan(0);
    expect(byBob.every((entry) => entry.actor.name === 'bob')).toBe(true);

    const recent = await alice.history.list({ labId, since: beforeThird.toISOString() });
    expect(recent.every((entry) => entry.linkId === third.id)).toBe(true);
    expect(recent.map((entry) => entry.action)).toContain('link.create');

    const older = await alice.history.list({ labId, until: beforeThird.toISOString() });
    expect(older.some((entry) => entry.linkId === third.id)).toBe(false);
  });

  it('shows before and after', async () => {
    const [deletion] = await alice.history.list({ labId, action: 'link.delete' });
    const detail = await alice.history.get({ id: deletion!.id });
    expect(detail.after).toBeNull();
    expect(detail.before).toMatchObject({ id: first.id, kind: 'veth', a: { ifname: 'e1', addresses: ['10.211.0.1/30'] } });
  });

  it('rejects an invalid time filter', async () => {
    await expect(alice.history.list({ since: 'yesterday' })).rejects.toThrow(/time "yesterday" is invalid; give a time as an ISO string/);
  });
});

describe('restore', () => {
  it('previews additions and removals', async () => {
    const preview = await alice.history.restorePreview({ id: restorePoint });
    expect(preview.add.map((link) => link.id)).toEqual([first.id]);
    expect(preview.remove.map((link) => link.id)).toEqual([third.id]);
    expect(preview.keep).toBe(1);
  });

  it('restore changes the kernel links', async () => {
    expect(await linkNames(n1)).toEqual(['e3', 'lo']);

    const result = await bob.history.restore({ id: restorePoint });
    expect(result.failed).toEqual([]);
    expect(result.removed).toEqual([third.id]);
    expect(result.created.map((link) => [link.id, link.status])).toEqual([[first.id, 'up']]);

    const [links1, links3] = await Promise.all([ipLinks(n1), ipLinks(n3)]);
    expect(links1.map((entry) => entry.ifname).sort()).toEqual(['e1', 'lo']);
    expect(tagOf(links1, 'e1')).toBe(`koko:${first.id}`);
    expect(tagOf(links3, 'e2')).toBe(`koko:${second.id}`);
    expect(links3.map((entry) => entry.ifname)).not.toContain('e3');
    expect(await lab.ping(n1, '10.211.0.2')).toBe(true);

    const stored = (await alice.links.list({ labId })).map((link) => link.id).sort();
    expect(stored).toEqual([first.id, second.id].sort());
    const restores = await alice.history.list({ labId, action: 'lab.restore' });
    expect(restores.map((entry) => `${entry.actor.name} ${entry.outcome}`)).toEqual(['bob ok', 'bob pending']);
  });

  it('restore to creation empties the lab', async () => {
    const [creation] = await alice.history.list({ labId, action: 'lab.create' });
    const result = await alice.history.restore({ id: creation!.id });
    expect(result.removed.sort()).toEqual([first.id, second.id].sort());
    expect(await alice.links.list({ labId })).toEqual([]);
    expect(await linkNames(n2)).toEqual(['lo']);
  });
});
