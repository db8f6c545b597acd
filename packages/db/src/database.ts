import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { KokoError } from '@koko/core';
import { databaseFileFromUrl } from './database-url';
import { PrismaClient, type Prisma } from './generated/prisma/client';
import { applyMigrations, DEFAULT_MIGRATIONS_DIRECTORY, readMigrations } from './migrate';
import { Mutex } from './mutex';
import { rethrowBusy } from './prisma-errors';

/** How long a connection waits for another process to release the write lock, in milliseconds. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * Upper limit of one write transaction, in milliseconds. Writes queue behind each other in this
 * process, so this bounds the work inside one transaction (a large import), not the wait.
 */
const TRANSACTION_TIMEOUT_MS = 60_000;

export interface OpenDatabaseOptions {
  /** SQLite file URL such as `file:./data/koko.db`; defaults to DATABASE_URL, then to that URL. */
  url?: string;
  /** Directory holding `<name>/migration.sql`; defaults to prisma/migrations of this checkout. */
  migrationsDirectory?: string;
  busyTimeoutMs?: number;
  /** Called with the name of each migration that opening the database applied. */
  onMigrationApplied?: (name: string) => void;
}

function createClient(file: string, busyTimeoutMs: number) {
  const adapter = new PrismaBetterSQLite3({ url: `file:${file}`, timeout: busyTimeoutMs });
  return new PrismaClient({
    adapter,
    // Agent tokens stay on the server: queries return a host's token only when they ask for it.
    omit: { host: { token: true } },
    transactionOptions: { maxWait: TRANSACTION_TIMEOUT_MS, timeout: TRANSACTION_TIMEOUT_MS },
  });
}

export type DbClient = ReturnType<typeof createClient>;
export type DbTransaction = Prisma.TransactionClient;

/**
 * One queue per database file in this process. The driver adapter keeps a single SQLite
 * connection, so a query issued while another call's transaction is open would run inside that
 * transaction. Queueing every call prevents it. Two handles on the same file share the queue,
 * because a handle waiting synchronously for SQLite's lock would otherwise block the event loop
 * that the lock holder needs in order to finish.
 */
const queues = new Map<string, Mutex>();

function queueFor(file: string): Mutex {
  let queue = queues.get(file);
  if (!queue) {
    queue = new Mutex();
    queues.set(file, queue);
  }
  return queue;
}

/** An open koko database: the Prisma client plus the queue that every repository call goes through. */
export class KokoDatabase {
  readonly #queue: Mutex;
  #closed = false;

  constructor(
    /** Absolute path of the SQLite file. */
    readonly file: string,
    /** The Prisma client. Calls made on it directly bypass the queue; use `read` and `write`. */
    readonly client: DbClient,
  ) {
    this.#queue = queueFor(file);
  }

  /** Runs `work` with the client once the calls queued before it have finished. */
  read<T>(work: (client: DbClient) => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      this.#checkOpen();
      return await rethrowBusy(this.file, () => work(this.client));
    });
  }

  /**
   * Runs `work` in one transaction that holds SQLite's write lock from its first statement, so
   * what it reads stays true until it commits, also when another process writes to the file.
   */
  write<T>(work: (transaction: DbTransaction) => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      this.#checkOpen();
      return await rethrowBusy(this.file, () =>
        this.client.$transaction(async (transaction) => {
          await takeWriteLock(transaction);
          return await work(transaction);
        }),
      );
    });
  }

  /** Waits for queued calls, then closes the connection. */
  close(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      await this.client.$disconnect();
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new KokoError('failed', `database ${JSON.stringify(this.file)} is closed; open it again with openDatabase()`);
  }
}

/**
 * Makes the transaction SQLite's writer now. The adapter begins transactions with a deferred
 * BEGIN, which takes the write lock only at the first write. A transaction that had read before
 * another process committed would then fail with SQLITE_BUSY instead of waiting. A write that
 * matches no row takes the lock without changing anything.
 */
async function takeWriteLock(transaction: DbTransaction): Promise<void> {
  await transaction.$executeRawUnsafe('UPDATE "_prisma_migrations" SET "id" = "id" WHERE 0');
}

/**
 * Opens the koko database: creates the file and its directory when missing, switches it to
 * write-ahead logging, applies pending migrations and connects the Prisma client.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<KokoDatabase> {
  const file = databaseFileFromUrl(options.url ?? process.env.DATABASE_URL);
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const migrations = readMigrations(options.migrationsDirectory ?? DEFAULT_MIGRATIONS_DIRECTORY);

  // Migrate in the queue, so a second handle on the same file waits for the first one's migration.
  const client = await queueFor(file).run(async () => {
    prepareFile(file, busyTimeoutMs, (connection) => {
      for (const name of applyMigrations(connection, migrations)) options.onMigrationApplied?.(name);
    });
    const created = createClient(file, busyTimeoutMs);
    await created.$connect();
    return created;
  });
  return new KokoDatabase(file, client);
}

/** Migrates the database at `url` without keeping it open, and returns the names of the migrations it applied. */
export function migrateDatabase(options: Omit<OpenDatabaseOptions, 'onMigrationApplied'> = {}): { file: string; applied: string[] } {
  const file = databaseFileFromUrl(options.url ?? process.env.DATABASE_URL);
  const migrations = readMigrations(options.migrationsDirectory ?? DEFAULT_MIGRATIONS_DIRECTORY);
  let applied: string[] = [];
  prepareFile(file, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, (connection) => {
    applied = applyMigrations(connection, migrations);
  });
  return { file, applied };
}

/** Opens `file` with better-sqlite3 (creating it and its directory), turns on WAL and runs `work`. */
function prepareFile(file: string, busyTimeoutMs: number, work: (connection: BetterSqlite3.Database) => void): void {
  mkdirSync(path.dirname(file), { recursive: true });
  let connection: BetterSqlite3.Database;
  try {
    connection = new BetterSqlite3(file, { timeout: busyTimeoutMs });
  } catch (error) {
    throw new KokoError('failed', `cannot open database file ${JSON.stringify(file)}: ${(error as Error).message}; check the path in DATABASE_URL and its permissions`);
  }

  try {
    const mode = connection.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new KokoError('unsupported', `database file ${JSON.stringify(file)} cannot use write-ahead logging (journal mode is ${String(mode)}); put it on a local file system`);
    }
    work(connection);
  } finally {
    connection.close();
  }
}
