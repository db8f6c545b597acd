import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../src/database';
import { DEFAULT_MIGRATIONS_DIRECTORY, readMigrations } from '../src/migrate';
import { registerHost } from '../src/hosts';
import { createLab } from '../src/labs';
import { createLink } from '../src/links';
import { syncNodes } from '../src/nodes';
import { ALICE, fileUrl, makeTempDirectory, vethDraft } from './helpers';

const run = promisify(execFile);

const packageDirectory = path.resolve(import.meta.dirname, '..');
const temp = makeTempDirectory();
afterAll(() => temp.remove());

// pnpm's launcher replaces itself with node (exec), so a kill reaches the Prisma CLI itself.
const prismaCli = path.join(packageDirectory, 'node_modules/.bin/prisma');
const PRISMA_TRY_TIMEOUT = 40_000;
const PRISMA_TEST_TIMEOUT = 2 * PRISMA_TRY_TIMEOUT + 10_000;

/**
 * Runs the Prisma CLI against one database and returns its output. A run that takes more than
 * 40 s is killed and tried once more, because one CI run saw `db push` hang (it usually takes 1 s).
 * CHECKPOINT_DISABLE turns off Prisma's version check, which would try the network.
 */
async function prisma(args: string[], databaseUrl: string): Promise<string> {
  const options = { cwd: packageDirectory, env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1' }, timeout: PRISMA_TRY_TIMEOUT, killSignal: 'SIGKILL' as const };
  try {
    return (await run(prismaCli, args, options)).stdout;
  } catch (error) {
    if (!(error as { killed?: boolean }).killed) throw error;
    return (await run(prismaCli, args, options)).stdout;
  }
}

/** Lists every table, index and trigger with its SQL, to compare two states of a database. */
function schemaOf(file: string): string[] {
  const connection = new BetterSqlite3(file, { readonly: true });
  try {
    const rows = connection.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as { type: string; name: string; sql: string | null }[];
    return rows.map((row) => `${row.type} ${row.name}: ${row.sql ?? ''}`);
  } finally {
    connection.close();
  }
}

function migrationRows(file: string) {
  const connection = new BetterSqlite3(file, { readonly: true });
  try {
    return connection.prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at').all() as {
      migration_name: string;
      checksum: string;
      finished_at: string | null;
      rolled_back_at: string | null;
    }[];
  } finally {
    connection.close();
  }
}

/** Copies the real migrations into a directory a test may change. */
function copyMigrations(name: string): string {
  const directory = path.join(temp.path, name);
  cpSync(DEFAULT_MIGRATIONS_DIRECTORY, directory, { recursive: true });
  return directory;
}

describe('migrations', () => {
  it('apply to an empty database and create every table', async () => {
    const directory = path.join(temp.path, 'empty', 'not', 'yet', 'there');
    const db = await openDatabase({ url: fileUrl(directory) });
    await db.close();

    const schema = schemaOf(path.join(directory, 'koko.db')).join('\n');
    for (const table of ['Host', 'Node', 'Lab', 'Link', 'LinkEndpoint', 'HistoryEntry', '_prisma_migrations']) {
      expect(schema).toContain(`table ${table}:`);
    }
    expect(schema).toContain('index LinkEndpoint_nodeId_ifname_key');
    expect(schema).toContain('index Link_vni_key');
    expect(schema).toContain('trigger HistoryEntry_reject_update');
    expect(schema).toContain('trigger HistoryEntry_reject_delete');
  });

  it('are idempotent: a second run changes nothing', async () => {
    const url = fileUrl(temp.path, 'twice.db');
    const file = path.join(temp.path, 'twice.db');
    const applied: string[] = [];

    const first = await openDatabase({ url, onMigrationApplied: (name) => applied.push(name) });
    await first.close();
    const schemaAfterFirst = schemaOf(file);
    const rowsAfterFirst = migrationRows(file);

    const second = await openDatabase({ url, onMigrationApplied: (name) => applied.push(name) });
    await second.close();
    const again = migrateDatabase({ url });

    expect(applied).toEqual(readMigrations(DEFAULT_MIGRATIONS_DIRECTORY).map((migration) => migration.name));
    expect(again.applied).toEqual([]);
    expect(schemaOf(file)).toEqual(schemaAfterFirst);
    expect(migrationRows(file)).toEqual(rowsAfterFirst);
  });

  it('record checksums the way Prisma Migrate does', async () => {
    const url = fileUrl(temp.path, 'checksum.db');
    migrateDatabase({ url });
    const rows = migrationRows(path.join(temp.path, 'checksum.db'));
    const migrations = readMigrations(DEFAULT_MIGRATIONS_DIRECTORY);

    expect(rows.map((row) => row.migration_name)).toEqual(migrations.map((migration) => migration.name));
    for (const [index, row] of rows.entries()) {
      const sql = readFileSync(path.join(DEFAULT_MIGRATIONS_DIRECTORY, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.checksum).toBe(migrations[index]!.checksum);
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
  });

  it('prisma migrate status agrees with the runner', async () => {
    const url = fileUrl(temp.path, 'status.db');
    migrateDatabase({ url });
    expect(await prisma(['migrate', 'status'], url)).toMatch(/Database schema is up to date/);
  }, PRISMA_TEST_TIMEOUT);

  it('runner accepts a database that prisma migrate deploy migrated', async () => {
    const url = fileUrl(temp.path, 'deployed.db');
    mkdirSync(temp.path, { recursive: true });
    await prisma(['migrate', 'deploy'], url);
    expect(migrateDatabase({ url }).applied).toEqual([]);
  }, PRISMA_TEST_TIMEOUT);

  it('schema.prisma matches what the migrations build', async () => {
    const migrated = path.join(temp.path, 'migrated.db');
    const pushed = path.join(temp.path, 'pushed.db');
    migrateDatabase({ url: `file:${migrated}` });
    // `prisma db push` builds a database straight from schema.prisma, with no migrations.
    await prisma(['db', 'push', '--skip-generate'], `file:${pushed}`);

    const tablesAndIndexes = (file: string) => schemaOf(file).filter((line) => !line.startsWith('trigger ') && !line.includes('_prisma_migrations'));
    expect(tablesAndIndexes(migrated)).toEqual(tablesAndIndexes(pushed));
    expect(tablesAndIndexes(migrated).length).toBeGreaterThan(6);
  }, PRISMA_TEST_TIMEOUT);

  it('reject a migration edited after it was applied', async () => {
    const migrations = copyMigrations('edited');
    const url = fileUrl(temp.path, 'edited.db');
    migrateDatabase({ url, migrationsDirectory: migrations });

    const first = readMigrations(migrations)[0]!;
    writeFileSync(path.join(migrations, first.name, 'migration.sql'), `${first.sql}\n-- edited\n`);
    expect(() => migrateDatabase({ url, migrationsDirectory: migrations })).toThrow(new RegExp(`migration ${first.name} was changed after it was applied`));
  });

  it('reject a database migrated by a newer koko', async () => {
    const newer = copyMigrations('newer');
    mkdirSync(path.join(newer, '29990101000000_future'));
    writeFileSync(path.join(newer, '29990101000000_future', 'migration.sql'), 'CREATE TABLE "Future" ("id" INTEGER PRIMARY KEY);\n');
    const url = fileUrl(temp.path, 'newer.db');
    migrateDatabase({ url, migrationsDirectory: newer });

    await expect(openDatabase({ url })).rejects.toThrow(/has migration 29990101000000_future, which this koko does not know/);
  });

  it('roll back a failing migration completely', async () => {
    const broken = copyMigrations('broken');
    mkdirSync(path.join(broken, '29990101000000_broken'));
    writeFileSync(path.join(broken, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "Half" ("id" INTEGER PRIMARY KEY);\nINSERT INTO "NoSuchTable" VALUES (1);\n');
    const url = fileUrl(temp.path, 'broken.db');
    const file = path.join(temp.path, 'broken.db');
    migrateDatabase({ url });
    const before = schemaOf(file);

    expect(() => migrateDatabase({ url, migrationsDirectory: broken })).toThrow(/migration 29990101000000_broken failed: no such table: NoSuchTable/);
    expect(schemaOf(file)).toEqual(before);
    expect(migrationRows(file).map((row) => row.migration_name)).not.toContain('29990101000000_broken');
  });

  it('a table rebuild keeps rows that reference the table', async () => {
    // Prisma writes this kind of migration to add a column with a default to Host: it copies the
    // table, drops the old one and renames the copy. With foreign keys on, the drop would delete
    // every node of every host through ON DELETE CASCADE.
    const rebuild = copyMigrations('rebuild');
    mkdirSync(path.join(rebuild, '29990101000000_host_comment'));
    cpSync(path.join(import.meta.dirname, 'fixtures', 'redefine-host-table.sql'), path.join(rebuild, '29990101000000_host_comment', 'migration.sql'));

    const url = fileUrl(temp.path, 'rebuild.db');
    const db = await openDatabase({ url });
    try {
      const host = await registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 't' }, ALICE);
      await syncNodes(db, host.id, [{ node: { kind: 'docker', container: 'r1' } }, { node: { kind: 'netns', name: 'n1' } }]);
      const lab = await createLab(db, { name: 'lab1' }, ALICE);
      await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    } finally {
      await db.close();
    }

    expect(migrateDatabase({ url, migrationsDirectory: rebuild }).applied).toEqual(['29990101000000_host_comment']);
    const connection = new BetterSqlite3(path.join(temp.path, 'rebuild.db'), { readonly: true });
    try {
      expect(connection.prepare('SELECT count(*) AS count FROM "Node"').get()).toEqual({ count: 3 });
      expect(connection.prepare('SELECT count(*) AS count FROM "LinkEndpoint"').get()).toEqual({ count: 2 });
      expect(connection.prepare('SELECT "name", "comment" FROM "Host"').all()).toEqual([{ name: 'h1', comment: '' }]);
      expect(connection.pragma('foreign_key_check')).toEqual([]);
    } finally {
      connection.close();
    }
  });

  it('pnpm db:migrate migrates, then reports up to date', async () => {
    const url = fileUrl(path.join(temp.path, 'command'));
    const env = { ...process.env, DATABASE_URL: url };
    const first = await run('pnpm', ['-s', 'db:migrate'], { cwd: packageDirectory, env });
    expect(first.stdout).toMatch(/applied 2 migration\(s\): \d{14}_init, \d{14}_node_addresses/);
    expect(existsSync(path.join(temp.path, 'command', 'koko.db'))).toBe(true);

    const second = await run('pnpm', ['-s', 'db:migrate'], { cwd: packageDirectory, env });
    expect(second.stdout).toMatch(/is up to date/);
  });

  it('pnpm db:migrate reports a bad DATABASE_URL and fails', async () => {
    const result = await run('pnpm', ['-s', 'db:migrate'], { cwd: packageDirectory, env: { ...process.env, DATABASE_URL: 'mysql://localhost/koko' } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect('code' in result && result.code).toBe(1);
    expect('stderr' in result && result.stderr).toMatch(/is not a SQLite file URL/);
  });
});
