import { existsSync } from 'node:fs';
import path from 'node:path';
import { KokoError } from '@koko/core';

/** Database used when DATABASE_URL is unset: a SQLite file under data/ in the koko checkout. */
export const DEFAULT_DATABASE_URL = 'file:./data/koko.db';

/**
 * Returns the absolute path of the SQLite file that a `file:` URL names. A relative path resolves
 * against the koko checkout, the nearest directory above `cwd` with a pnpm-workspace.yaml. So the
 * web server, the tests and `pnpm db:migrate` open the same file whichever package they run in.
 * Outside a checkout a relative path resolves against `cwd`.
 */
export function databaseFileFromUrl(url: string | undefined, cwd: string = process.cwd()): string {
  const text = url === undefined || url.trim() === '' ? DEFAULT_DATABASE_URL : url.trim();
  if (!text.startsWith('file:')) {
    throw new KokoError(
      'unsupported',
      `DATABASE_URL ${JSON.stringify(text)} is not a SQLite file URL; koko stores its data in SQLite, so give a URL such as ${DEFAULT_DATABASE_URL}`,
      'DATABASE_URL',
    );
  }

  let file = text.slice('file:'.length);
  const query = file.indexOf('?');
  if (query >= 0) file = file.slice(0, query);
  if (file.startsWith('//')) file = decodeURIComponent(new URL(text).pathname);

  if (file === '' || file === ':memory:') {
    throw new KokoError(
      'invalid',
      `DATABASE_URL ${JSON.stringify(text)} names no file; koko keeps its data in a file, for example ${DEFAULT_DATABASE_URL}`,
      'DATABASE_URL',
    );
  }
  return path.resolve(findCheckoutRoot(cwd) ?? cwd, file);
}

function findCheckoutRoot(start: string): string | undefined {
  let directory = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(directory, 'pnpm-workspace.yaml'))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}
