import { interfaceNameProblem, KokoError, quote, type AddressFamily, type NodeRef } from '@koko/core';
import { firstFreePair, networksInPool, parseAddressPool } from './address-pool';
import type { KokoDatabase } from './database';
import { nodeKeyOf } from './link-spec';
import type { NodeRecord } from './nodes';

export interface InterfaceNameOptions {
  /** How many names to return. */
  count?: number;
  prefix?: string;
  /** First number tried: 1, because containers usually already have eth0. */
  start?: number;
}

/**
 * Suggests interface names for new link ends in a node: `eth1`, `eth2`, ... skipping names that
 * a stored link uses there or that the node's last inventory listed. It reserves nothing, so two
 * users may get the same suggestion; the second createLink then fails with a conflict.
 */
export async function suggestInterfaceNames(db: KokoDatabase, host: string, node: NodeRef, options: InterfaceNameOptions = {}): Promise<string[]> {
  const { count = 1, prefix = 'eth', start = 1 } = options;
  const problem = interfaceNameProblem(`${prefix}${start}`);
  if (problem) throw new KokoError('invalid', `interface name prefix ${quote(prefix)}: ${problem}`);
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new KokoError('invalid', `count ${count} is invalid; ask for 1 to 100 names`);

  const key = nodeKeyOf(node);
  const row = await db.read((client) =>
    client.node.findFirst({
      where: { host: { name: host }, kind: key.kind, name: key.name },
      select: { interfaces: true, endpoints: { select: { ifname: true } } },
    }),
  );
  const used = new Set<string>(row ? [...(JSON.parse(row.interfaces) as string[]), ...row.endpoints.map((endpoint) => endpoint.ifname)] : []);

  const names: string[] = [];
  for (let number = start; names.length < count; number++) {
    const name = `${prefix}${number}`;
    if (interfaceNameProblem(name)) throw new KokoError('conflict', `no free interface name with prefix ${quote(prefix)} fits in 15 bytes; use a shorter prefix`);
    if (!used.has(name)) names.push(name);
  }
  return names;
}

/**
 * Suggests a pair of addresses for the two ends of a new link from the lab's pool: the first
 * pair subnet that contains no address of the lab's stored links and overlaps no network already
 * on `nodes` (the link's two nodes, as their last inventory listed them). `claimed` are addresses
 * that earlier links of the same batch took and that are not stored yet. Like interface names,
 * it reserves nothing.
 */
export async function suggestAddressPair(
  db: KokoDatabase,
  labId: string,
  family: AddressFamily,
  nodes: readonly NodeRecord[] = [],
  claimed: readonly string[] = [],
): Promise<[string, string]> {
  const { lab, rows } = await db.read(async (client) => ({
    lab: await client.lab.findUnique({ where: { id: labId } }),
    rows: await client.linkEndpoint.findMany({ where: { link: { labId } }, select: { addresses: true } }),
  }));
  if (!lab) throw new KokoError('not-found', `lab ${quote(labId)} does not exist; list labs to see their ids`);

  const range = family === 4 ? lab.ipv4Pool : lab.ipv6Pool;
  const pool = parseAddressPool(range, family === 4 ? lab.ipv4Prefix : lab.ipv6Prefix, family);
  const used = [...rows.flatMap((row) => JSON.parse(row.addresses) as string[]), ...claimed];
  const networks = nodes.flatMap((node) => node.addresses);
  const pair = firstFreePair(pool, used, networks);
  if (!pair) throw new KokoError('conflict', exhaustedPoolMessage(`IPv${family} pool ${range} of lab ${quote(lab.name)}`, pool.pairPrefix, networksInPool(pool, networks)));
  return pair;
}

/**
 * Returns the error message for a pool with no free pair, naming the nodes' networks that overlap
 * it. A lab's pool is set when the lab is created, so the fix is another lab.
 */
export function exhaustedPoolMessage(pool: string, pairPrefix: number, networks: string[]): string {
  const overlap = networks.length > 0 ? ` beside the addresses already on the link's nodes (${[...new Set(networks)].join(', ')})` : '';
  return `the ${pool} has no free /${pairPrefix} left${overlap}; give the addresses yourself, or create a lab with another pool (labs.create takes one) and connect the nodes in it`;
}
