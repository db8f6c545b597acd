// `pnpm db:migrate`: applies pending migrations to the database that DATABASE_URL names
// (default file:./data/koko.db in the koko checkout). Opening the database does the same, so
// this is for migrating before a start or in a deploy step.
import { isKokoError } from '@koko/core';
import { migrateDatabase } from './database';

try {
  const { file, applied } = migrateDatabase();
  if (applied.length === 0) console.log(`database ${file} is up to date`);
  else console.log(`database ${file}: applied ${applied.length} migration(s): ${applied.join(', ')}`);
} catch (error) {
  console.error(`koko: ${isKokoError(error) ? error.message : String(error)}`);
  process.exitCode = 1;
}
