import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupDatabase } from '../src/backup';
import { openDatabase, type KokoDatabase } from '../src/database';
import { exportLab } from '../src/lab-file';
import { listHistory } from '../src/history';
import { getAgentCredentials, listHosts, updateHostStatus } from '../src/hosts';
import { createLab, listLabs } from '../src/labs';
import { createLink, listLinks, markLinkFailed } from '../src/links';
import { listNodes, saveNodePosition, syncNodes } from '../src/nodes';
import { ALICE, fileUrl, makeTempDirectory, twoHosts, vethDraft, vxlanDraft, type TempDirectory } from './helpers';

const run = promisify(execFile);

let directory: TempDirectory;
let url: string;
let file: string;
let db: KokoDatabase;

beforeEach(async () => {
  directory = makeTempDirectory();
  url = fileUrl(directory.path);
  file = path.join(directory.path, 'koko.db');
  db = await openDatabase({ url });
});
afterEach(async () => {
  await db.close();
  directory.remove();
});

/** Writes one of everything, so that a lost table or column shows up in a snapshot. */
async function fill(target: KokoDatabase): Promise<void> {
  const [h1] = await twoHosts(target);
  await updateHostStatus(target, h1.id, { status: 'online', lastSeenAt: new Date('2026-05-05T05:05:05Z') });
  const [node] = await syncNodes(target, h1.id, [{ node: { kind: 'docker', container: 'r1' }, containerId: 'abc', state: 'running', interfaces: ['eth0'] }]);
  await saveNodePosition(target, node!.id, { x: 1.5, y: 2.5 }, ALICE);
  const lab = await createLab(target, { name: 'lab1' }, ALICE);
  const veth = await createLink(target, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
  await createLink(target, { labId: lab.id, link: vxlanDraft('r1', 'r9') }, ALICE);
  await markLinkFailed(target, veth.id, 'container "r2" is not running', ALICE);
}

/** Everything a controller can read back, for comparing two opens of one file. */
async function snapshot(target: KokoDatabase) {
  const labs = await listLabs(target);
  const hosts = await listHosts(target);
  return {
    hosts,
    credentials: await Promise.all(hosts.map((host) => getAgentCredentials(target, host.id))),
    nodes: await listNodes(target),
    labs,
    links: await listLinks(target),
    history: await listHistory(target, { limit: 1000 }),
    exports: await Promise.all(labs.map((lab) => exportLab(target, lab.id))),
  };
}

function journalMode(databaseFile: string): string {
  const connection = new BetterSqlite3(databaseFile, { readonly: true });
  try {
    return connection.pragma('journal_mode', { simple: true }) as string;
  } finally {
    connection.close();
  }
}

describe('persistence', () => {
  it('reopening the database loses nothing', async () => {
    await fill(db);
    const before = await snapshot(db);
    expect(before.links).toHaveLength(2);
    expect(before.history.length).toBeGreaterThan(5);

    await db.close();
    db = await openDatabase({ url });
    expect(await snapshot(db)).toEqual(before);
  });

  it('the database uses write-ahead logging', async () => {
    await fill(db);
    expect(await db.client.$queryRawUnsafe('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(existsSync(`${file}-wal`)).toBe(true);
    expect(journalMode(file)).toBe('wal');
  });

  it('foreign keys are enforced', async () => {
    expect(await db.client.$queryRawUnsafe('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1n }]);
    await expect(db.client.node.create({ data: { hostId: 'no-such-host', kind: 'netns', name: 'x' } })).rejects.toThrow();
  });

  it('a closed handle rejects calls', async () => {
    await db.close();
    await expect(listHosts(db)).rejects.toMatchObject({ code: 'failed', message: expect.stringMatching(/is closed; open it again/) });
    db = await openDatabase({ url });
  });

  it('a lock held by another process past the timeout is a clear error', async () => {
    const impatient = await openDatabase({ url, busyTimeoutMs: 100 });
    // Another program holding the write lock, as sqlite3 in a second terminal would.
    const other = new BetterSqlite3(file);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      await expect(createLab(impatient, { name: 'blocked' }, ALICE)).rejects.toMatchObject({
        code: 'failed',
        message: expect.stringMatching(/stayed locked by another process past the busy timeout; retry/),
      });
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect((await createLab(impatient, { name: 'after' }, ALICE)).name).toBe('after');
    await impatient.close();
  });

  it('backupDatabase copies a database in use', async () => {
    await fill(db);
    const before = await snapshot(db);
    const target = path.join(directory.path, 'backups', 'copy.db');

    const result = await backupDatabase(file, target);
    expect(result.file).toBe(target);
    expect(result.bytes).toBe(statSync(target).size);
    expect(existsSync(`${target}-wal`)).toBe(false);
    expect(journalMode(target)).toBe('delete');

    const copy = await openDatabase({ url: `file:${target}` });
    try {
      expect(await snapshot(copy)).toEqual(before);
    } finally {
      await copy.close();
    }
    await expect(backupDatabase(file, target)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/already exists/) });
    await expect(backupDatabase(path.join(directory.path, 'missing.db'), path.join(directory.path, 'x.db'))).rejects.toMatchObject({ code: 'not-found' });
  });

  it('pnpm db:backup writes a copy', async () => {
    await fill(db);
    const target = path.join(directory.path, 'command-copy.db');
    const { stdout } = await run('pnpm', ['-s', 'db:backup', target], { cwd: path.resolve(import.meta.dirname, '..'), env: { ...process.env, DATABASE_URL: url } });
    expect(stdout).toContain(`to ${target}`);

    const copy = await openDatabase({ url: `file:${target}` });
    try {
      expect((await listLinks(copy)).map((link) => link.id).sort()).toEqual((await listLinks(db)).map((link) => link.id).sort());
    } finally {
      await copy.close();
    }
  });

  it('a checkpoint then a file copy is a full backup', async () => {
    await fill(db);
    const before = await snapshot(db);
    await db.close();

    // What docs/data.md describes for a stopped server: checkpoint, then copy the one file.
    const connection = new BetterSqlite3(file);
    connection.pragma('wal_checkpoint(TRUNCATE)');
    connection.close();
    const target = path.join(directory.path, 'copied.db');
    copyFileSync(file, target);

    db = await openDatabase({ url: `file:${target}` });
    expect(await snapshot(db)).toEqual(before);
  });

  const sqlite3 = (() => {
    try {
      execFileSync('sqlite3', ['-version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  // The sqlite3 command comes from Debian's sqlite3 package, which setup does not install.
  it.skipIf(!sqlite3)('sqlite3 .backup copies a database in use', async () => {
    await fill(db);
    const before = await snapshot(db);
    const target = path.join(directory.path, 'cli-copy.db');

    await run('sqlite3', [file, `.backup '${target}'`]);
    const copy = await openDatabase({ url: `file:${target}` });
    try {
      expect(await snapshot(copy)).toEqual(before);
    } finally {
      await copy.close();
    }
  });
});
