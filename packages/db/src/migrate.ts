import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { isKokoError, KokoError } from '@koko/core';

/**
 * prisma/migrations at the top of the koko checkout.
 * NOTE: found from this source file's own location; a bundle that moves the file must pass
 * `migrationsDirectory` to openDatabase. It is built with path.resolve rather than
 * `new URL(relative, import.meta.url)`, which bundlers take for a file to copy into the bundle.
 */
export const DEFAULT_MIGRATIONS_DIRECTORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../prisma/migrations');

/**
 * The table in which Prisma Migrate records applied migrations (Prisma 6.19.3, SQLite). The
 * runner keeps its records in the same table and form, so `prisma migrate status` and
 * `prisma migrate deploy` agree with it.
 */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

export interface Migration {
  /** Directory name, such as 20261204203557_init; the names sort in the order they apply. */
  name: string;
  sql: string;
  /** SHA-256 of migration.sql in hex, as Prisma Migrate computes it. */
  checksum: string;
}

interface MigrationRecord {
  migration_name: string;
  checksum: string;
  finished_at: string | null;
  rolled_back_at: string | null;
}

/** Reads every `<name>/migration.sql` under `directory`, oldest first. */
export function readMigrations(directory: string): Migration[] {
  if (!existsSync(directory)) {
    throw new KokoError('not-found', `migrations directory ${JSON.stringify(directory)} does not exist; pass the path of prisma/migrations`);
  }
  const names = readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(directory, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort();

  return names.map((name) => {
    const sql = readFileSync(path.join(directory, name, 'migration.sql'), 'utf8');
    return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

/**
 * Applies the migrations that `connection` has not applied yet, each in its own transaction, and
 * returns their names. Running it again applies nothing. Several processes may run it at once:
 * each migration is checked again after the write lock is taken.
 */
export function applyMigrations(connection: BetterSqlite3.Database, migrations: Migration[]): string[] {
  connection.exec(CREATE_MIGRATIONS_TABLE);
  checkApplied(readRecords(connection), migrations);

  const applied: string[] = [];
  for (const migration of migrations) {
    if (applyOne(connection, migration)) applied.push(migration.name);
  }
  return applied;
}

/** Names the migrations of `migrations` that the database has not applied. */
export function pendingMigrations(connection: BetterSqlite3.Database, migrations: Migration[]): string[] {
  connection.exec(CREATE_MIGRATIONS_TABLE);
  const records = readRecords(connection);
  checkApplied(records, migrations);
  const done = new Set(records.filter(isFinished).map((record) => record.migration_name));
  return migrations.filter((migration) => !done.has(migration.name)).map((migration) => migration.name);
}

function readRecords(connection: BetterSqlite3.Database): MigrationRecord[] {
  return connection
    .prepare('SELECT "migration_name", "checksum", "finished_at", "rolled_back_at" FROM "_prisma_migrations" ORDER BY "started_at"')
    .all() as MigrationRecord[];
}

function isFinished(record: MigrationRecord): boolean {
  return record.finished_at !== null && record.rolled_back_at === null;
}

/** Rejects a database that a newer koko migrated, one whose applied migration was edited, and one with a failed migration. */
function checkApplied(records: MigrationRecord[], migrations: Migration[]): void {
  const known = new Map(migrations.map((migration) => [migration.name, migration]));

  for (const record of records) {
    if (record.rolled_back_at !== null) continue;
    const migration = known.get(record.migration_name);
    if (!migration) {
      throw new KokoError(
        'conflict',
        `the database has migration ${record.migration_name}, which this koko does not know; it was migrated by a newer koko, so run that version or restore a backup`,
      );
    }
    if (record.finished_at === null) {
      throw new KokoError(
        'failed',
        `migration ${record.migration_name} started earlier but did not finish; restore the database from a backup, or mark it rolled back with: prisma migrate resolve --rolled-back ${record.migration_name}`,
      );
    }
    if (record.checksum !== migration.checksum) {
      throw new KokoError(
        'conflict',
        `migration ${record.migration_name} was changed after it was applied to this database; restore prisma/migrations/${record.migration_name}/migration.sql and add the change as a new migration`,
      );
    }
  }
}

/**
 * Applies one migration unless it is already recorded, and returns whether it applied it.
 * Foreign keys are off while the script runs, because SQLite changes a column by copying the
 * table (Prisma writes such migrations) and `PRAGMA foreign_keys` has no effect inside a
 * transaction. `foreign_key_check` then rejects any row the script left dangling.
 */
function applyOne(connection: BetterSqlite3.Database, migration: Migration): boolean {
  const foreignKeys = connection.pragma('foreign_keys', { simple: true }) as number;
  connection.pragma('foreign_keys = OFF');
  try {
    const run = connection.transaction((): boolean => {
      const done = connection
        .prepare('SELECT 1 FROM "_prisma_migrations" WHERE "migration_name" = ? AND "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL')
        .get(migration.name);
      if (done) return false;

      const startedAt = timestamp();
      connection.exec(migration.sql);
      const dangling = connection.pragma('foreign_key_check') as unknown[];
      if (dangling.length > 0) {
        throw new KokoError('failed', `migration ${migration.name} leaves ${dangling.length} rows whose foreign key points nowhere; fix the migration`);
      }
      connection
        .prepare(
          'INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "logs", "rolled_back_at", "started_at", "applied_steps_count") VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)',
        )
        .run(randomUUID(), migration.checksum, timestamp(), migration.name, startedAt);
      return true;
    });
    return run.immediate();
  } catch (error) {
    if (isKokoError(error)) throw error;
    throw new KokoError('failed', `migration ${migration.name} failed: ${(error as Error).message}; the database is unchanged by it`);
  } finally {
    connection.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

/** Formats a time the way Prisma's SQLite adapter writes DateTime columns. */
function timestamp(): string {
  return new Date().toISOString().replace('Z', '+00:00');
}
