// Finds out whether the web app's last `next build` is older than the code it was built from.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Folders of build output, installed packages and generated code (the Prisma client follows prisma/schema.prisma), skipped in the walk. */
const SKIPPED = new Set(['node_modules', '.next', '.turbo', 'test-results', 'generated']);

/** Returns the newest modification time (ms) of the files under `path`, or 0 when there are none. */
function newestUnder(path: string): number {
  let info;
  try {
    info = statSync(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;

  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (SKIPPED.has(entry)) continue;
    newest = Math.max(newest, newestUnder(join(path, entry)));
  }
  return newest;
}

/**
 * Returns the first of `sources` (files or folders) that changed after the build whose
 * `BUILD_ID` file is given, or undefined when the build is newer than all of them. A missing
 * build counts as stale, and its `BUILD_ID` path is returned.
 */
export function staleBuildCause(buildIdFile: string, sources: string[]): string | undefined {
  let builtAt: number;
  try {
    builtAt = statSync(buildIdFile).mtimeMs;
  } catch {
    return buildIdFile;
  }
  return sources.find((source) => newestUnder(source) > builtAt);
}
