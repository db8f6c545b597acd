// Configuration for the Prisma CLI (generate, migrate status, migrate diff) run in this package.
// Prisma 6.19.3 cannot download its engines here, so the CLI talks to SQLite through the
// better-sqlite3 driver adapter and needs no binary.
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { defineConfig } from 'prisma/config';
import { databaseFileFromUrl } from './src/database-url';

const repositoryRoot = path.resolve(import.meta.dirname, '../..');

export default defineConfig({
  schema: path.join(repositoryRoot, 'prisma/schema.prisma'),
  migrations: { path: path.join(repositoryRoot, 'prisma/migrations') },
  engine: 'js',
  experimental: { adapter: true },
  async adapter() {
    return new PrismaBetterSQLite3({ url: `file:${databaseFileFromUrl(process.env.DATABASE_URL)}` });
  },
});
