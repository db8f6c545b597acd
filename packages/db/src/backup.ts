import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { KokoError } from '@koko/core';

export interface BackupResult {
  file: string;
  bytes: number;
}

/**
 * Copies the database at `source` into a new file `target` with SQLite's online backup, which
 * gives a consistent copy, with everything in the write-ahead log, while the server keeps
 * writing. The copy is a single file.
 */
export async function backupDatabase(source: string, target: string): Promise<BackupResult> {
  const resolved = path.resolve(target);
  if (existsSync(resolved)) {
    throw new KokoError('conflict', `backup file ${JSON.stringify(resolved)} already exists; give a new file name or remove the old backup`);
  }
  if (!existsSync(source)) {
    throw new KokoError('not-found', `database file ${JSON.stringify(source)} does not exist; check DATABASE_URL`);
  }

  mkdirSync(path.dirname(resolved), { recursive: true });
  const connection = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  try {
    await connection.backup(resolved);
  } finally {
    connection.close();
  }

  // The backup keeps the source's journal mode in its header; make it a plain, self-contained file.
  const copy = new BetterSqlite3(resolved);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  return { file: resolved, bytes: statSync(resolved).size };
}
