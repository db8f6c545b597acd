import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { staleBuildCause } from '../../scripts/stale-build';

const root = mkdtempSync(join(tmpdir(), 'koko-stale-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes `path` under the temporary root with the given modification time, in seconds since the epoch. */
function file(path: string, mtime: number): string {
  const full = join(root, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, path);
  utimesSync(full, mtime, mtime);
  return full;
}

describe('staleBuildCause', () => {
  const buildId = file('web/.next/BUILD_ID', 2000);
  file('web/src/page.tsx', 1000);
  file('web/src/deep/er/part.ts', 1500);
  file('core/src/index.ts', 1900);
  file('core/src/generated/client.ts', 3000);
  file('core/node_modules/x/index.js', 3000);
  const sources = [join(root, 'web/src'), join(root, 'core/src'), join(root, 'schema.prisma')];
  // Creating the files above touched their folders; date the folders before the build too.
  for (const folder of ['web/src', 'web/src/deep', 'web/src/deep/er', 'core/src', 'core/src/generated']) utimesSync(join(root, folder), 1000, 1000);

  it('accepts a build newer than its sources', () => {
    expect(staleBuildCause(buildId, sources)).toBeUndefined();
  });

  it('names the file changed after the build', () => {
    file('web/src/deep/er/part.ts', 2500);
    file('core/src/index.ts', 2400);
    expect(staleBuildCause(buildId, sources)).toBe(join(root, 'web/src/deep/er/part.ts'));
  });

  it('counts a deleted file through its folder', () => {
    const removed = join(root, 'web/src/page.tsx');
    const folder = join(root, 'web/src');
    utimesSync(join(root, 'web/src/deep/er/part.ts'), 1500, 1500);
    utimesSync(join(root, 'core/src/index.ts'), 1900, 1900);
    expect(staleBuildCause(buildId, sources)).toBeUndefined();

    rmSync(removed);
    expect(staleBuildCause(buildId, sources)).toBe(folder);
  });

  it('treats a missing build as stale', () => {
    expect(staleBuildCause(join(root, 'web/.next/NO_BUILD_ID'), sources)).toBe(join(root, 'web/.next/NO_BUILD_ID'));
  });
});
