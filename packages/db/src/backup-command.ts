// `pnpm --filter @koko/db db:backup FILE`: writes a consistent copy of the database that
// DATABASE_URL names to FILE, also while the server runs. A relative FILE resolves against the
// directory pnpm was started in.
import path from 'node:path';
import { isKokoError } from '@koko/core';
import { backupDatabase } from './backup';
import { databaseFileFromUrl } from './database-url';

const target = process.argv[2];
if (target === undefined || target.startsWith('-')) {
  console.error('usage: pnpm --filter @koko/db db:backup FILE   (writes a copy of the database to FILE, which must not exist)');
  process.exitCode = 2;
} else {
  try {
    const source = databaseFileFromUrl(process.env.DATABASE_URL);
    const result = await backupDatabase(source, path.resolve(process.env.INIT_CWD ?? process.cwd(), target));
    console.log(`copied ${source} to ${result.file} (${result.bytes} bytes)`);
  } catch (error) {
    console.error(`koko: ${isKokoError(error) ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
