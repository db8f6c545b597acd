// Finds out whether the web app's last `next build` is older than the code it was built from.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Folders skipped in the walk: build output, installed packages, generated code (the Prisma client
 * follows prisma/schema.prisma), and the web app's tests, benchmarks and scripts, which the build
 * does not include.
 */
const SKIPPED = new Set(['node_modules', '.next', '.turbo', 'test-results', 'generated', 'test', 'bench', 'scripts']);

/** A file or folder and its modification time in milliseconds. */
interface Newest {
  path: string;
  mtimeMs: number;
}

/**
 * Returns the most recently modified file or folder under `path`, `path` included. A folder's time
 * changes when an entry is added, removed or renamed, so a deleted source counts as a change.
 */
function newestUnder(path: string): Newest | undefined {
  let info;
  try {
    info = statSync(path);
  } catch {
    return undefined;
  }
  let newest: Newest = { path, mtimeMs: info.mtimeMs };
  if (!info.isDirectory()) return newest;

  for (const entry of readdirSync(path)) {
    if (SKIPPED.has(entry)) continue;
    const inner = newestUnder(join(path, entry));
    if (inner && inner.mtimeMs > newest.mtimeMs) newest = inner;
  }
  return newest;
}

/**
 * Returns the most recently changed file or folder among `sources` when it changed after the build
 * whose `BUILD_ID` file is given, or undefined when the build is newer than all of them. A missing
 * build counts as stale, and its `BUILD_ID` path is returned.
 */
export function staleBuildCause(buildIdFile: string, sources: string[]): string | undefined {
  let builtAt: number;
  try {
    builtAt = statSync(buildIdFile).mtimeMs;
  } catch {
    return buildIdFile;
  }
  const changed = sources.map(newestUnder).filter((entry): entry is Newest => entry !== undefined && entry.mtimeMs > builtAt);
  changed.sort((left, right) => right.mtimeMs - left.mtimeMs);
  return changed[0]?.path;
}
