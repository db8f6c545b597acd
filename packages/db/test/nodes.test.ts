import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KokoDatabase } from '../src/database';
import { listHistory } from '../src/history';
import type { HostRecord } from '../src/hosts';
import { findNode, getNode, listNodes, saveNodePosition, syncNodes } from '../src/nodes';
import { ALICE, openTempDatabase, twoHosts } from './helpers';

let db: KokoDatabase;
let cleanup: () => Promise<void>;
let h1: HostRecord;
let h2: HostRecord;

beforeEach(async () => {
  ({ db, cleanup } = await openTempDatabase());
  [h1, h2] = await twoHosts(db);
});
afterEach(async () => {
  await cleanup();
});

describe('nodes', () => {
  it('sync adds every kind of node', async () => {
    const seen = new Date('2026-03-01T10:00:00Z');
    const nodes = await syncNodes(
      db,
      h1.id,
      [
        { node: { kind: 'docker', container: 'r1' }, containerId: 'c0ffee', state: 'running', interfaces: ['lo', 'eth0'] },
        { node: { kind: 'netns', name: 'lab-ns' }, interfaces: ['lo'] },
        { node: { kind: 'pid', pid: 4242 } },
        { node: { kind: 'path', path: '/run/netns/other' } },
        { node: { kind: 'current' } },
      ],
      seen,
    );

    expect(nodes).toHaveLength(5);
    const r1 = nodes.find((node) => node.node.kind === 'docker')!;
    expect(r1).toMatchObject({ hostId: h1.id, hostName: 'h1', node: { kind: 'docker', container: 'r1' }, containerId: 'c0ffee', state: 'running', interfaces: ['lo', 'eth0'], present: true, lastSeenAt: seen, position: null });
    expect(nodes.map((node) => node.node)).toContainEqual({ kind: 'pid', pid: 4242 });
    expect(nodes.map((node) => node.node)).toContainEqual({ kind: 'path', path: '/run/netns/other' });
    expect(nodes.map((node) => node.node)).toContainEqual({ kind: 'current' });
    expect(await listNodes(db, { hostId: h2.id })).toEqual([]);
  });

  it('sync marks vanished nodes absent and keeps their position', async () => {
    const [r1] = await syncNodes(db, h1.id, [{ node: { kind: 'docker', container: 'r1' } }, { node: { kind: 'docker', container: 'r2' } }], new Date('2026-03-01T10:00:00Z'));
    await saveNodePosition(db, r1!.id, { x: 120.5, y: -40 }, ALICE);

    const later = new Date('2026-03-01T10:05:00Z');
    const after = await syncNodes(db, h1.id, [{ node: { kind: 'docker', container: 'r2' }, state: 'running' }], later);
    const gone = after.find((node) => node.id === r1!.id)!;
    expect(gone.present).toBe(false);
    expect(gone.position).toEqual({ x: 120.5, y: -40 });
    expect(after.find((node) => node.id !== r1!.id)).toMatchObject({ present: true, state: 'running', lastSeenAt: later });

    const back = await syncNodes(db, h1.id, [{ node: { kind: 'docker', container: 'r1' } }], new Date('2026-03-01T10:10:00Z'));
    const returned = back.find((node) => node.id === r1!.id)!;
    expect(returned.present).toBe(true);
    expect(returned.position).toEqual({ x: 120.5, y: -40 });
    expect(await listNodes(db, { present: true })).toHaveLength(1);
  });

  it('sync ignores a node listed twice', async () => {
    const nodes = await syncNodes(db, h1.id, [{ node: { kind: 'netns', name: 'a' } }, { node: { kind: 'netns', name: 'a' } }]);
    expect(nodes).toHaveLength(1);
  });

  it('sync rejects a bad inventory entry', async () => {
    await expect(syncNodes(db, h1.id, [{ node: { kind: 'docker', container: 'r1' }, interfaces: ['eth 0'] }])).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/^inventory at 0\.interfaces\.0: interface name "eth 0" contains a space/),
    });
    await expect(syncNodes(db, 'no-such-host', [])).rejects.toMatchObject({ code: 'not-found' });
  });

  it('position is saved with history', async () => {
    const [node] = await syncNodes(db, h2.id, [{ node: { kind: 'netns', name: 'n1' } }]);
    const moved = await saveNodePosition(db, node!.id, { x: 10, y: 20 }, ALICE);
    expect(moved.position).toEqual({ x: 10, y: 20 });
    expect((await getNode(db, node!.id)).position).toEqual({ x: 10, y: 20 });

    const [entry] = await listHistory(db, { action: 'node.position' });
    expect(entry).toMatchObject({
      actor: { name: 'Alice', sessionId: 'session-alice' },
      before: { host: 'h2', node: { kind: 'netns', name: 'n1' }, position: null },
      after: { host: 'h2', node: { kind: 'netns', name: 'n1' }, position: { x: 10, y: 20 } },
      outcome: 'ok',
    });
  });

  it.each([
    [{ x: Number.NaN, y: 0 }],
    [{ x: 0, y: Number.POSITIVE_INFINITY }],
    [{ x: 1e12, y: 0 }],
  ])('position rejects %j', async (position) => {
    const [node] = await syncNodes(db, h1.id, [{ node: { kind: 'netns', name: 'n1' } }]);
    await expect(saveNodePosition(db, node!.id, position, ALICE)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/canvas coordinate .* is invalid/) });
    expect((await getNode(db, node!.id)).position).toBeNull();
  });

  it('findNode looks up by host and reference', async () => {
    await syncNodes(db, h1.id, [{ node: { kind: 'docker', container: 'r1' } }]);
    expect((await findNode(db, 'h1', { kind: 'docker', container: 'r1' }))?.hostId).toBe(h1.id);
    expect(await findNode(db, 'h2', { kind: 'docker', container: 'r1' })).toBeUndefined();
    await expect(getNode(db, 'missing')).rejects.toMatchObject({ code: 'not-found' });
  });
});
