import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KokoDatabase } from '../src/database';
import { listHistory } from '../src/history';
import { getAgentCredentials, getHost, listHosts, registerHost, removeHost, updateHost, updateHostStatus } from '../src/hosts';
import { createLink } from '../src/links';
import { listNodes, syncNodes } from '../src/nodes';
import { ALICE, BOB, makeLab, openTempDatabase, twoHosts, vethDraft } from './helpers';

let db: KokoDatabase;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ db, cleanup } = await openTempDatabase());
});
afterEach(async () => {
  await cleanup();
});

describe('hosts', () => {
  it('register and list without the token', async () => {
    const host = await registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 'secret-token-1', underlay: '192.0.2.101' }, ALICE);

    expect(host.name).toBe('h1');
    expect(host.status).toBe('unknown');
    expect(host.underlay).toBe('192.0.2.101');
    expect(host).not.toHaveProperty('token');
    const listed = await listHosts(db);
    expect(listed.map((item) => item.name)).toEqual(['h1']);
    expect(JSON.stringify(listed)).not.toContain('secret-token-1');
    expect(JSON.stringify(await getHost(db, host.id))).not.toContain('secret-token-1');
  });

  it('give the token only through getAgentCredentials', async () => {
    const host = await registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 'secret-token-1' }, ALICE);
    expect(await getAgentCredentials(db, host.id)).toEqual({ hostId: host.id, agentUrl: 'http://127.0.0.1:7381', token: 'secret-token-1' });
  });

  it('keep the token out of history', async () => {
    const host = await registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 'secret-token-1' }, ALICE);
    await updateHost(db, host.id, { token: 'secret-token-2' }, BOB);
    const entries = await listHistory(db);
    expect(entries.map((entry) => entry.action)).toEqual(['host.update', 'host.register']);
    expect(JSON.stringify(entries)).not.toMatch(/secret-token/);
    expect(await getAgentCredentials(db, host.id)).toMatchObject({ token: 'secret-token-2' });
  });

  it('reject a second host with the same name', async () => {
    await registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 't' }, ALICE);
    await expect(registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7382', token: 't' }, ALICE)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/host "h1" is already registered/),
    });
  });

  it('reject a second host with the same agent address', async () => {
    await registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 't' }, ALICE);
    await expect(registerHost(db, { name: 'h2', agentUrl: 'http://127.0.0.1:7381', token: 't' }, ALICE)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/agent address "http:\/\/127.0.0.1:7381" is already registered/),
    });
  });

  it.each([
    [{ name: 'bad name', agentUrl: 'http://127.0.0.1:1', token: 't' }, /host name "bad name" is invalid/],
    [{ name: 'h1', agentUrl: 'ftp://127.0.0.1', token: 't' }, /agent address "ftp:\/\/127.0.0.1" uses ftp:/],
    [{ name: 'h1', agentUrl: 'not a url', token: 't' }, /is not a URL/],
    [{ name: 'h1', agentUrl: 'http://127.0.0.1:1', token: '' }, /agent token is empty/],
    [{ name: 'h1', agentUrl: 'http://127.0.0.1:1', token: 'a b' }, /agent token contains whitespace/],
    [{ name: 'h1', agentUrl: 'http://127.0.0.1:1', token: 't', underlay: '224.0.0.1' }, /not a unicast address/],
  ])('reject invalid registration %#', async (input, message) => {
    await expect(registerHost(db, input, ALICE)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(message) });
    expect(await listHosts(db)).toEqual([]);
  });

  it('accept a unix socket agent address', async () => {
    const host = await registerHost(db, { name: 'local', agentUrl: 'unix:/run/koko/agent.sock', token: 't' }, ALICE);
    expect(host.agentUrl).toBe('unix:/run/koko/agent.sock');
  });

  it('reject an actor without a display name', async () => {
    await expect(registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:1', token: 't' }, { name: '  ' })).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/display name is empty/),
    });
  });

  it('record online and offline status', async () => {
    const host = await registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 't' }, ALICE);
    const seen = new Date('2026-01-02T03:04:05Z');

    const online = await updateHostStatus(db, host.id, { status: 'online', lastSeenAt: seen, underlay: '192.0.2.7' });
    expect(online).toMatchObject({ status: 'online', lastSeenAt: seen, underlay: '192.0.2.7', lastError: null });

    const offline = await updateHostStatus(db, host.id, { status: 'offline', error: 'connect ECONNREFUSED 127.0.0.1:7381' });
    expect(offline.status).toBe('offline');
    expect(offline.lastError).toBe('connect ECONNREFUSED 127.0.0.1:7381');
    expect(offline.lastSeenAt).toEqual(seen);

    const back = await updateHostStatus(db, host.id, { status: 'online' });
    expect(back.lastError).toBeNull();
    expect(back.lastSeenAt!.getTime()).toBeGreaterThan(seen.getTime());
    expect((await listHistory(db)).map((entry) => entry.action)).toEqual(['host.register']);
  });

  it('report an unknown host id', async () => {
    await expect(updateHostStatus(db, 'no-such-host', { status: 'online' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(getHost(db, 'no-such-host')).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/"no-such-host" is not registered/) });
    await expect(getAgentCredentials(db, 'no-such-host')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('remove a host and its nodes', async () => {
    const host = await registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 't' }, ALICE);
    await syncNodes(db, host.id, [{ node: { kind: 'docker', container: 'r1' } }]);

    const removed = await removeHost(db, host.id, BOB);
    expect(removed.name).toBe('h1');
    expect(await listHosts(db)).toEqual([]);
    expect(await listNodes(db)).toEqual([]);
    const [entry] = await listHistory(db, { action: 'host.remove' });
    expect(entry).toMatchObject({ actor: { name: 'Bob' }, before: { name: 'h1' }, after: null, outcome: 'ok' });
  });

  it('keep a host that still has links', async () => {
    const [h1] = await twoHosts(db);
    const lab = await makeLab(db);
    await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);

    await expect(removeHost(db, h1.id, ALICE)).rejects.toMatchObject({
      code: 'conflict',
      message: 'host "h1" still has 1 link(s) in lab "lab1"; delete those links or labs first',
    });
    expect((await listHosts(db)).map((host) => host.name)).toEqual(['h1', 'h2']);
  });
});
