import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseFileFromUrl } from '../src/database-url';
import { makeTempDirectory } from './helpers';

const temp = makeTempDirectory();
afterAll(() => temp.remove());

describe('databaseFileFromUrl', () => {
  const checkout = path.join(temp.path, 'checkout');
  const nested = path.join(checkout, 'apps', 'web');
  mkdirSync(nested, { recursive: true });
  writeFileSync(path.join(checkout, 'pnpm-workspace.yaml'), 'packages: []\n');

  it('resolves the default against the checkout root', () => {
    expect(databaseFileFromUrl(undefined, nested)).toBe(path.join(checkout, 'data', 'koko.db'));
    expect(databaseFileFromUrl('  ', nested)).toBe(path.join(checkout, 'data', 'koko.db'));
  });

  it('resolves relative paths against the checkout root', () => {
    expect(databaseFileFromUrl('file:./state/x.db', nested)).toBe(path.join(checkout, 'state', 'x.db'));
    expect(databaseFileFromUrl('file:y.db', nested)).toBe(path.join(checkout, 'y.db'));
  });

  it('resolves against cwd outside a checkout', () => {
    expect(databaseFileFromUrl('file:./z.db', temp.path)).toBe(path.join(temp.path, 'z.db'));
  });

  it('keeps absolute paths and drops query parameters', () => {
    expect(databaseFileFromUrl('file:/var/lib/koko/koko.db?connection_limit=1', nested)).toBe('/var/lib/koko/koko.db');
    expect(databaseFileFromUrl('file:///var/lib/koko/a%20b.db', nested)).toBe('/var/lib/koko/a b.db');
  });

  it('rejects a URL of another database', () => {
    expect(() => databaseFileFromUrl('postgresql://localhost/koko', nested)).toThrow(/not a SQLite file URL.*file:\.\/data\/koko\.db/);
  });

  it('rejects in-memory and empty file names', () => {
    expect(() => databaseFileFromUrl('file::memory:', nested)).toThrow(/names no file/);
    expect(() => databaseFileFromUrl('file:', nested)).toThrow(/names no file/);
  });
});
