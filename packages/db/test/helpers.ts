import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type KokoDatabase, type OpenDatabaseOptions } from '../src/database';
import { createLab, type LabRecord } from '../src/labs';
import { registerHost, type HostRecord } from '../src/hosts';

/** Prefix of every temporary directory the tests make, so a leftover one is easy to spot. */
export const TEMP_PREFIX = 'koko-db-test-';

export const ALICE = { name: 'Alice', sessionId: 'session-alice' };
export const BOB = { name: 'Bob', sessionId: 'session-bob' };

/** A temporary directory that `remove` deletes with everything in it. */
export interface TempDirectory {
  path: string;
  remove(): void;
}

export function makeTempDirectory(): TempDirectory {
  const directory = mkdtempSync(path.join(tmpdir(), TEMP_PREFIX));
  return { path: directory, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

export function fileUrl(directory: string, name = 'koko.db'): string {
  return `file:${path.join(directory, name)}`;
}

/** Opens a fresh database in its own temporary directory. Call `cleanup` in afterEach/afterAll. */
export async function openTempDatabase(options: OpenDatabaseOptions = {}): Promise<{ db: KokoDatabase; directory: TempDirectory; url: string; cleanup: () => Promise<void> }> {
  const directory = makeTempDirectory();
  const url = fileUrl(directory.path);
  let db: KokoDatabase;
  try {
    db = await openDatabase({ url, ...options });
  } catch (error) {
    directory.remove();
    throw error;
  }
  return {
    db,
    directory,
    url,
    cleanup: async () => {
      await db.close();
      directory.remove();
    },
  };
}

/** Registers two hosts, h1 and h2, with underlay addresses from the documentation range. */
export async function twoHosts(db: KokoDatabase): Promise<[HostRecord, HostRecord]> {
  const h1 = await registerHost(db, { name: 'h1', agentUrl: 'http://127.0.0.1:7381', token: 'token-one', underlay: '192.0.2.101' }, ALICE);
  const h2 = await registerHost(db, { name: 'h2', agentUrl: 'http://127.0.0.1:7382', token: 'token-two', underlay: '192.0.2.102' }, ALICE);
  return [h1, h2];
}

export function makeLab(db: KokoDatabase, name = 'lab1'): Promise<LabRecord> {
  return createLab(db, { name }, ALICE);
}

/** A veth link draft between two containers on h1. */
export function vethDraft(left: string, right: string, ifname = 'eth1', otherIfname = ifname) {
  return {
    kind: 'veth' as const,
    a: { host: 'h1', node: { kind: 'docker' as const, container: left }, ifname, addresses: [] },
    b: { host: 'h1', node: { kind: 'docker' as const, container: right }, ifname: otherIfname, addresses: [] },
  };
}

/** A vxlan link draft from a container on h1 to one on h2, with eth0 as the parent on both. */
export function vxlanDraft(left: string, right: string, ifname = 'vx1') {
  return {
    kind: 'vxlan' as const,
    a: { host: 'h1', node: { kind: 'docker' as const, container: left }, ifname, parent: 'eth0' },
    b: { host: 'h2', node: { kind: 'docker' as const, container: right }, ifname, parent: 'eth0' },
  };
}
