import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KokoDatabase } from '../src/database';
import { appendHistory, getHistoryEntry, listHistory } from '../src/history';
import { createLab, type LabRecord } from '../src/labs';
import { createLink, markLinkUp } from '../src/links';
import { ALICE, BOB, openTempDatabase, twoHosts, vethDraft } from './helpers';

let db: KokoDatabase;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ db, cleanup } = await openTempDatabase());
});
afterEach(async () => {
  await cleanup();
});

describe('history', () => {
  it('is append-only in the database itself', async () => {
    await appendHistory(db, { actor: ALICE, action: 'agent.call', summary: 'called h1', outcome: 'ok' });
    const [entry] = await listHistory(db);

    await expect(db.client.$executeRawUnsafe('UPDATE "HistoryEntry" SET "summary" = \'rewritten\'')).rejects.toThrow(/history entries are append-only and cannot be updated/);
    await expect(db.client.$executeRawUnsafe('DELETE FROM "HistoryEntry"')).rejects.toThrow(/history entries are append-only and cannot be deleted/);
    await expect(db.client.historyEntry.update({ where: { id: entry!.id }, data: { outcome: 'failed' } })).rejects.toThrow();
    await expect(db.client.historyEntry.deleteMany({})).rejects.toThrow();

    expect(await getHistoryEntry(db, entry!.id)).toEqual(entry);
  });

  it('entry ids only grow', async () => {
    for (let index = 0; index < 5; index++) await appendHistory(db, { actor: ALICE, action: 'agent.call', summary: `call ${index}`, outcome: 'ok' });
    const ids = (await listHistory(db)).map((entry) => entry.id);
    expect(ids).toEqual([...ids].sort((left, right) => right - left));
    expect(new Set(ids).size).toBe(5);
  });

  it('filters by lab, person, action, outcome and time', async () => {
    await twoHosts(db);
    const lab1: LabRecord = await createLab(db, { name: 'lab1' }, ALICE);
    await sleep(20);
    const middle = new Date();
    await sleep(20);
    const lab2 = await createLab(db, { name: 'lab2' }, BOB);
    const link = await createLink(db, { labId: lab2.id, link: vethDraft('r1', 'r2') }, BOB);
    await markLinkUp(db, link.id, { name: 'Carol', userId: 'user-42' });
    await appendHistory(db, { actor: BOB, action: 'agent.call', summary: 'createLink on h1 failed', labId: lab2.id, outcome: 'failed', error: 'connect ECONNREFUSED' });

    const actions = (entries: { action: string }[]) => entries.map((entry) => entry.action);
    expect(actions(await listHistory(db, { labId: lab1.id }))).toEqual(['lab.create']);
    expect(actions(await listHistory(db, { labId: lab2.id }))).toEqual(['agent.call', 'link.status', 'link.create', 'lab.create']);
    expect(actions(await listHistory(db, { actorName: 'Bob' }))).toEqual(['agent.call', 'link.create', 'lab.create']);
    expect(actions(await listHistory(db, { actorName: 'Alice' }))).toEqual(['lab.create', 'host.register', 'host.register']);
    expect(actions(await listHistory(db, { actorId: 'user-42' }))).toEqual(['link.status']);
    expect(actions(await listHistory(db, { outcome: 'failed' }))).toEqual(['agent.call']);
    expect(actions(await listHistory(db, { action: 'lab.create' }))).toEqual(['lab.create', 'lab.create']);
    expect(actions(await listHistory(db, { since: middle }))).toEqual(['agent.call', 'link.status', 'link.create', 'lab.create']);
    expect(actions(await listHistory(db, { until: middle }))).toEqual(['lab.create', 'host.register', 'host.register']);
    expect(actions(await listHistory(db, { labId: lab2.id, actorName: 'Bob', since: middle }))).toEqual(['agent.call', 'link.create', 'lab.create']);
  });

  it('pages with beforeId and limit', async () => {
    for (let index = 0; index < 7; index++) await appendHistory(db, { actor: ALICE, action: 'agent.call', summary: `call ${index}`, outcome: 'ok' });
    const first = await listHistory(db, { limit: 3 });
    const second = await listHistory(db, { limit: 3, beforeId: first.at(-1)!.id });
    const third = await listHistory(db, { limit: 3, beforeId: second.at(-1)!.id });
    expect([...first, ...second, ...third].map((entry) => entry.summary)).toEqual(['call 6', 'call 5', 'call 4', 'call 3', 'call 2', 'call 1', 'call 0']);
    await expect(listHistory(db, { limit: 0 })).rejects.toMatchObject({ code: 'invalid' });
    await expect(listHistory(db, { limit: 5000 })).rejects.toMatchObject({ code: 'invalid' });
  });

  it('shows one entry with before and after', async () => {
    await twoHosts(db);
    const lab = await createLab(db, { name: 'lab1' }, ALICE);
    const link = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    await markLinkUp(db, link.id, BOB);
    const [status] = await listHistory(db, { action: 'link.status' });

    const shown = await getHistoryEntry(db, status!.id);
    expect(shown).toMatchObject({
      actor: { name: 'Bob', sessionId: 'session-bob' },
      labId: lab.id,
      labName: 'lab1',
      linkId: link.id,
      before: { id: link.id, status: 'pending' },
      after: { id: link.id, status: 'up' },
      outcome: 'ok',
      error: null,
    });
    expect(shown.at).toBeInstanceOf(Date);
    await expect(getHistoryEntry(db, 999_999)).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/history entry 999999 does not exist/) });
  });

  it('appendHistory keeps link changes to the link functions', async () => {
    await expect(appendHistory(db, { actor: ALICE, action: 'link.create', summary: 'fake', linkId: 'abc', outcome: 'ok' })).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/written by the link functions/),
    });
    await expect(appendHistory(db, { actor: ALICE, action: 'no.such' as never, summary: 'x', outcome: 'ok' })).rejects.toMatchObject({ code: 'invalid' });
    await expect(appendHistory(db, { actor: { name: '' }, action: 'agent.call', summary: 'x', outcome: 'ok' })).rejects.toMatchObject({ code: 'invalid' });
    expect(await listHistory(db)).toEqual([]);
  });
});
